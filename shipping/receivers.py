"""Shipping answers the shops app's signals (shops sits below shipping)."""

from django.dispatch import receiver

from shops.signals import shop_opened


@receiver(shop_opened, dispatch_uid="shipping.default_zone")
def give_new_shop_a_zone(sender, shop, **kwargs) -> None:
    from shipping.services import shipping_default_zone_create

    shipping_default_zone_create(shop=shop)
