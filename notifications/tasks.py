"""Celery tasks of notifications: thin wrappers that take ids and call one service."""

from celery import shared_task

from marketplace.exceptions import NotFound
from notifications import services


@shared_task(name="notifications.worker_notification_send", ignore_result=True)
def worker_notification_send(notification_id: int) -> int:
    """Email a notification's recipients (enqueued on commit by workers_notify)."""
    try:
        return services.worker_notification_send(notification_id=notification_id)
    except NotFound:
        return 0


@shared_task(name="notifications.webhook_event_record", ignore_result=True)
def webhook_event_record(
    *, event_id: str, organization_id: int, event_type: str, occurred_at: str, data: dict
) -> None:
    """Store an emitted event and queue its deliveries (enqueued on commit by events)."""
    services.webhook_event_record(
        event_id=event_id,
        organization_id=organization_id,
        event_type=event_type,
        occurred_at=occurred_at,
        data=data,
    )


@shared_task(name="notifications.webhook_delivery_attempt", ignore_result=True)
def webhook_delivery_attempt(delivery_id: int) -> None:
    """One attempt at a delivery; the retry sweep queues the next one when it is due."""
    services.webhook_delivery_attempt(delivery_id=delivery_id)


@shared_task(name="notifications.webhook_deliveries_retry_due", ignore_result=True)
def webhook_deliveries_retry_due() -> int:
    return services.webhook_deliveries_retry_due()
