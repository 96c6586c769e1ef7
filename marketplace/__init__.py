"""Groundwork's Django project and storefront: users, organizations, API keys, vendors."""

from marketplace.celery import app as celery_app

__all__ = ["celery_app"]
