"""The order page's returns: those asked for, and the form to ask (orders do not import
returns: the template loads this)."""

from django import template

from orders.models import OrderStatus
from returns.selectors import returns_visible
from returns.services import _returned

register = template.Library()


@register.inclusion_tag("returns/_order_returns.html", takes_context=True)
def order_returns(context, order, lines):
    request = context.get("request")
    user = getattr(request, "user", None)
    if order.status != OrderStatus.DELIVERED or user is None or not user.is_authenticated:
        return {"returns": [], "returnable": []}
    returned = _returned(order.pk)
    returnable = [
        (line, line.quantity - returned.get(line.pk, 0))
        for line in lines
        if line.quantity - returned.get(line.pk, 0) > 0
    ]
    return {
        "order": order,
        "returns": list(returns_visible(user=user).filter(order=order)),
        "returnable": returnable if order.user_id == user.pk else [],
        "csrf_token": context.get("csrf_token"),
    }
