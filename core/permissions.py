"""DRF permissions that ask an app's policy (its `policies.py`) who may call a view.

The policies are the rule; these only put them at the door of a view, so that a caller
without the permission is refused (403) before anything is read. Services check the
same policy again for the object at hand.
"""

from __future__ import annotations

from collections.abc import Callable

from rest_framework import permissions

Policy = Callable[[object], bool]


class PolicyPermission(permissions.BasePermission):
    """Signed-in callers for whom `policy(user)` holds; reads ask `read_policy` instead
    when it is given (anyone signed in when it is `None` and `reads_open` is set)."""

    policy: Policy
    read_policy: Policy | None = None
    reads_open = False

    def has_permission(self, request, view) -> bool:
        user = request.user
        if request.method in permissions.SAFE_METHODS:
            if self.reads_open:
                return True
            if self.read_policy is not None:
                return bool(user and user.is_authenticated and type(self).read_policy(user))
        return bool(user and user.is_authenticated and type(self).policy(user))


def policy_permission(
    policy: Policy, *, read: Policy | None = None, reads_open: bool = False
) -> type[PolicyPermission]:
    """A permission class asking `policy` (and `read` for GET, HEAD, OPTIONS; or letting
    everyone read when `reads_open`)."""
    return type(
        f"May_{policy.__name__}",
        (PolicyPermission,),
        {
            "policy": staticmethod(policy),
            "read_policy": staticmethod(read) if read else None,
            "reads_open": reads_open,
        },
    )
