"""The order page's returns: those asked for, and the form to ask (orders do not import
returns: the template loads this)."""

from django import template

from accounts.guests import is_guest
from orders.models import OrderStatus
from orders.policies import is_buyer
from returns.selectors import returns_visible
from returns.services import returnable_lines

register = template.Library()


@register.inclusion_tag("returns/_order_returns.html", takes_context=True)
def order_returns(context, order, lines):
    # The page's viewer: the signed-in person, or a guest holding the order's link.
    user = context.get("viewer") or getattr(context.get("request"), "user", None)
    if (
        order.status != OrderStatus.DELIVERED
        or user is None
        or not (user.is_authenticated or is_guest(user))
    ):
        return {"returns": [], "returnable": []}
    return {
        "order": order,
        "returns": list(returns_visible(user=user).filter(order=order)),
        "returnable": returnable_lines(order, lines) if is_buyer(user, order) else [],
        "csrf_token": context.get("csrf_token"),
    }
