"""Raw PostgreSQL for the few hot statements the ORM would spend more CPU building than
the database spends running: their columns from the models, running them as prepared
statements, and their rows back into model instances."""

import time
from contextlib import nullcontext
from functools import partial

import psycopg
from django.db import connection, transaction


def columns(model, alias: str, fields=None) -> str:
    """The model's columns (or those of `fields`), prefixed with `alias`, for a SELECT."""
    names = fields or attnames(model)
    return ", ".join(f"{alias}.{model._meta.get_field(name).column}" for name in names)


def attnames(model) -> list[str]:
    """The model's concrete fields' attribute names, in column order."""
    return [field.attname for field in model._meta.concrete_fields]


# A server-binding cursor prepares a statement after this many runs unless told to at once
# (execute_prepared does); no other code here runs one.
PREPARE_ONLY_WHEN_ASKED = 1_000_000


def execute_prepared(sql: str, params: dict, *, savepoint: bool = True) -> tuple | None:
    """Run `sql` (PostgreSQL only) as a server-side prepared statement on Django's
    connection and return its first row (or None).

    Planning dispatch's claim or submit costs PostgreSQL more than running it (about 1 ms
    against well under 1 ms), and Django's cursor sends every query as new text to be
    planned again; a prepared statement is planned once per connection. Outside a
    transaction the statement is its own; inside one, a savepoint keeps an error from
    spoiling it (a read that cannot fail on a constraint needs none: `savepoint=False`).
    """
    in_savepoint = savepoint and connection.in_atomic_block
    with transaction.atomic() if in_savepoint else nullcontext():
        connection.ensure_connection()
        raw = connection.connection
        # Django opens its connections with preparing switched off (prepare_threshold
        # None, which psycopg lets override even prepare=True) and binds parameters on the
        # client (ClientCursor, which never prepares). Its own queries stay so: they go
        # through its ClientCursors, which ignore the threshold.
        if raw.prepare_threshold is None:
            raw.prepare_threshold = PREPARE_ONLY_WHEN_ASKED
        # Errors come out as Django's (an IntegrityError for the (hit, worker) guard).
        with connection.wrap_database_errors, psycopg.Cursor(raw) as cursor:
            _execute_as_django_would(cursor, sql, params)
            return cursor.fetchone()


def _execute_as_django_would(cursor, sql: str, params: dict) -> None:
    """Through the connection's execute wrappers and into its query log when it keeps one
    (DEBUG, and the tests' query counts), as a query on Django's own cursor would go."""

    def execute(sql, params, many, context):
        return cursor.execute(sql, params, prepare=True)

    for wrapper in reversed(connection.execute_wrappers):
        execute = partial(wrapper, execute)
    started = time.monotonic()
    try:
        execute(sql, params, False, {"connection": connection, "cursor": cursor})
    finally:
        if connection.queries_logged:
            connection.queries_log.append(
                {"sql": f"EXECUTE {sql} {params!r}", "time": f"{time.monotonic() - started:.3f}"}
            )


def from_row(model, names, values):
    """A model instance from raw-cursor values, converted as a queryset would (JSON
    columns arrive as text); fields not in `names` are deferred."""
    converted = []
    for name, value in zip(names, values, strict=True):
        field = model._meta.get_field(name)
        if value is not None and hasattr(field, "from_db_value"):
            value = field.from_db_value(value, None, connection)
        converted.append(value)
    return model.from_db(connection.alias, names, converted)
