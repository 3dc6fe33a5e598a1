"""The order page's list of invoices and credit notes (templates load it; the orders app
does not import invoicing)."""

from django import template

from invoices.selectors import order_invoices_for

register = template.Library()


@register.inclusion_tag("invoices/_order_invoices.html", takes_context=True)
def order_invoices(context, order):
    request = context.get("request")
    user = getattr(request, "user", None)
    return {"invoices": order_invoices_for(user=user, order=order) if user else []}
