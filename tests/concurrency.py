"""Run calls in real threads released together, to race services against PostgreSQL."""

import threading
from collections.abc import Callable

from django.db import connection


def run_at_once(*calls: Callable) -> list:
    """Run each call in its own thread, released together; return results or errors in order.

    Each thread connects before the start line and closes its connection at the end.
    """
    barrier = threading.Barrier(len(calls))
    outcomes: list = [None] * len(calls)

    def run(index: int, call: Callable) -> None:
        try:
            connection.ensure_connection()
            barrier.wait(timeout=10)
            outcomes[index] = call()
        except Exception as error:  # the outcome under test
            outcomes[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=item) for item in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not any(thread.is_alive() for thread in threads)
    return outcomes
