"""Running two requests at the same moment, for race tests."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from django.db import connection, transaction


def race(first: Callable[[], Any], second: Callable[[], Any], hold: float = 1.5) -> list[Any]:
    """Two requests at the same moment, each in its own thread and database connection:
    ``first`` runs in a transaction kept open for ``hold`` seconds after it returned, and
    ``second`` starts once ``first`` has written, so it meets the uncommitted write."""
    written = threading.Event()
    results: list[Any] = [None, None]

    def run_first() -> None:
        try:
            with transaction.atomic():
                results[0] = first()
                written.set()
                time.sleep(hold)
        except Exception as exc:
            results[0] = exc
        finally:
            written.set()
            connection.close()

    def run_second() -> None:
        written.wait(30)
        try:
            results[1] = second()
        except Exception as exc:
            results[1] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run_first), threading.Thread(target=run_second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads)
    return results
