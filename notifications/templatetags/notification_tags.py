"""The header's bell: `{% notification_bell %}` (the unread count, rendered on load)."""

from django import template

from notifications.selectors import unread_count

register = template.Library()


@register.inclusion_tag("notifications/_bell.html", takes_context=True)
def notification_bell(context):
    request = context.get("request")
    user = getattr(request, "user", None)
    return {"unread": unread_count(user=user) if user is not None else 0}
