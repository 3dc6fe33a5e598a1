from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ShopsConfig(AppConfig):
    name = "shops"
    verbose_name = _("Shops")

    def ready(self) -> None:
        from accounts.roles import register_role_provider
        from shops.selectors import shop_role_provider

        register_role_provider(shop_role_provider)

        from allauth.account.models import EmailAddress
        from django.conf import settings
        from django.db.models.signals import post_delete, post_save

        from core.security.jwt import register_card_companion
        from shops.models import ShopMembership
        from shops.selectors import (
            memberships_forget,
            memberships_generation_key,
            memberships_key,
        )

        # A signed-in request asks which shops its person manages: read with the token's
        # user, in the same round trip.
        register_card_companion(memberships_key)
        register_card_companion(memberships_generation_key)

        # Who manages which shop is cached per person (shops.selectors): a membership, an
        # email address (only a verified current address counts) or the person changed.
        def forget(sender, instance, **kwargs) -> None:
            # A membership's or an address's person; a person's own row.
            memberships_forget(getattr(instance, "user_id", None) or instance.pk)

        for sender in (ShopMembership, EmailAddress, settings.AUTH_USER_MODEL):
            for signal in (post_save, post_delete):
                signal.connect(
                    forget, sender=sender, weak=False,
                    dispatch_uid=f"shops_memberships_forget_{sender}_{signal is post_save}",
                )  # fmt: skip
