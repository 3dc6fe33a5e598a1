"""The order page's list of invoices and credit notes (templates load it; the orders app
does not import invoicing)."""

from django import template

from invoices.selectors import order_invoices_for

register = template.Library()


@register.inclusion_tag("invoices/_order_invoices.html", takes_context=True)
def order_invoices(context, order):
    # The page's viewer: the signed-in person, or a guest holding the order's link.
    user = context.get("viewer") or getattr(context.get("request"), "user", None)
    return {"invoices": order_invoices_for(user=user, order=order) if user else []}
