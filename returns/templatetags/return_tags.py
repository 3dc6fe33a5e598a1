"""The order page's returns: those asked for, and the form to ask (orders do not import
returns: the template loads this)."""

from django import template

from orders.models import OrderStatus
from returns.selectors import returns_visible
from returns.services import returnable_lines

register = template.Library()


@register.inclusion_tag("returns/_order_returns.html", takes_context=True)
def order_returns(context, order, lines):
    request = context.get("request")
    user = getattr(request, "user", None)
    if order.status != OrderStatus.DELIVERED or user is None or not user.is_authenticated:
        return {"returns": [], "returnable": []}
    return {
        "order": order,
        "returns": list(returns_visible(user=user).filter(order=order)),
        "returnable": returnable_lines(order, lines) if order.user_id == user.pk else [],
        "csrf_token": context.get("csrf_token"),
    }
