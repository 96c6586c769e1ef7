"""App configuration for the storefront: users, organizations, API keys, vendors."""

from django.apps import AppConfig


class MarketplaceConfig(AppConfig):
    name = "marketplace"
    verbose_name = "Marketplace"
