"""App configuration for labeling jobs."""

from django.apps import AppConfig


class JobsConfig(AppConfig):
    name = "jobs"
    verbose_name = "Labeling jobs"
