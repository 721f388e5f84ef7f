"""How much of everything a scale gives (issue 12: S=1.0 is the national dataset)."""

from __future__ import annotations

from dataclasses import dataclass

NOTES_PER_CASE_FILE = 10
ACTIONS_PER_PLAN = 3
SESSIONS_PER_FORUM = 12
ITEMS_PER_SESSION = 10
CLOSED_SHARE = 0.03  # persons who also have a closed case file on another forum
SHARED_NOTE_SHARE = 0.1  # notes shared with the forum (each a disclosure)
MEMBERSHIPS_PER_USER = 2


@dataclass(frozen=True)
class Sizes:
    scale: float
    forums: int
    users: int
    persons: int
    access_events: int

    @classmethod
    def at(cls, scale: float) -> Sizes:
        if scale <= 0:
            raise ValueError("scale must be > 0")
        return cls(
            scale=scale,
            # At least 10 forums and 30 users, so a tiny scale still has several forums per
            # municipality and members of every kind in each.
            forums=max(10, round(500 * scale)),
            users=max(30, round(5000 * scale)),
            persons=max(10, round(100_000 * scale)),
            access_events=max(100, round(10_000_000 * scale)),
        )
