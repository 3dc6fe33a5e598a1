"""Who may do what to payments (see docs/architecture.md, "Policies").

Everyone pays for and reads their own payments. Platform staff read every payment with
Django's `payments.view_payment` and give money back with `payments.add_refund`, in the
API and in both admins (payments and orders) alike.
"""

from __future__ import annotations

from accounts.policies import staff_may


def may_view_all_payments(user) -> bool:
    return staff_may(user, "payments.view_payment")


def may_refund(user) -> bool:
    return staff_may(user, "payments.add_refund")
