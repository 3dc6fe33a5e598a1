from django.contrib.admin.apps import AdminConfig


class ShopAdminConfig(AdminConfig):
    """Django's admin, on a site that apps extend through registries (core.admin)."""

    default_site = "core.admin.ShopAdminSite"
