"""App configuration for notifications: emails to workers and requesters' webhooks."""

from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = "Notifications"
