class Conflict(Exception):
    """A write based on stale data: nothing was saved (API: 409; pages: a clear message)."""
