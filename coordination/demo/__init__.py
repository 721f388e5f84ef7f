"""Demo data for `manage.py seed_demo`: the standing cast (base) and a year of forum life
around it (life), both written through the services."""

from __future__ import annotations

from coordination.demo.base import seed_cast
from coordination.demo.life import seed_life


def seed_domain() -> int:
    """Create the demo forums, persons and their year; returns how many persons were added.
    Idempotent: a second run adds nothing."""
    forums, added = seed_cast()
    return added + seed_life(forums)
