"""Who may change the tax configuration: platform staff with Django's permissions."""

from __future__ import annotations

from accounts.policies import staff_may


def may_change_taxes(user) -> bool:
    return staff_may(user, "taxes.change_taxrate")
