"""Row-lock options for this database, shared by every jobs service."""

from django.db import connection


def lock_options(*, skip_locked: bool = False) -> dict:
    """select_for_update() options for this database.

    PostgreSQL: FOR NO KEY UPDATE OF the model's own table, optionally SKIP LOCKED.
    SQLite has no row locks: its immediate transactions take the write lock at BEGIN, so
    writers run one at a time and the same query without options is safe.
    """
    if connection.vendor == "sqlite":
        return {}
    return {"no_key": True, "skip_locked": skip_locked, "of": ("self",)}
