"""A snapshot of every Groundwork table and of the emails sent, to prove that a refused
request or service call changed nothing."""

from django.apps import apps
from django.core import mail

# Our apps and allauth's (email addresses, authenticators); not sessions or logins.
APP_LABELS = (
    "marketplace",
    "workforce",
    "jobs",
    "payments",
    "notifications",
    "account",
    "mfa",
)


def database_snapshot(*, leave_out: tuple[str, ...] = ()) -> dict:
    """Every row of every table, by model label ("marketplace.ApiKey").

    `leave_out` names what a request may change about itself without changing anything
    else: a whole model ("marketplace.ApiKeyUse") or one column ("marketplace.ApiKey.last_used_at").
    """
    snapshot: dict = {"emails sent": len(mail.outbox)}
    for app_label in APP_LABELS:
        for model in apps.get_app_config(app_label).get_models():
            label = model._meta.label
            if label in leave_out:
                continue
            columns = [
                field.attname
                for field in model._meta.concrete_fields
                if f"{label}.{field.name}" not in leave_out
            ]
            snapshot[label] = list(model.objects.order_by("pk").values(*columns))
    return snapshot
