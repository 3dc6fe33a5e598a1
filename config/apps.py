from django.contrib.admin.apps import AdminConfig


class ShopAdminConfig(AdminConfig):
    """Django's admin, on a site that also admits shop members (config.admin)."""

    default_site = "config.admin.ShopAdminSite"
