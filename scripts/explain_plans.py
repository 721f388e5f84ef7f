#!/usr/bin/env python3
"""EXPLAIN the queries that must stay index-driven at national scale, on a database filled by
``manage.py bench_seed``, and name every sequential scan of a large table.

    DATABASE_URL=... DEBUG=1 python scripts/explain_plans.py [--large-rows N]

Prints one JSON object: ``{"large_tables": {...}, "plans": [{"name", "seq_scans", "plan"}]}``.
The queries are built by the same selectors the pages use, for users loaded as a request
loads them (forums.backends.RequestUserBackend): a member, a police member, a user who sees
nothing, and a DPO. Used by tests/platform/test_plans.py and by `make bench`.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def setup() -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()


def large_tables(min_rows: int) -> dict[str, int]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname, reltuples::bigint FROM pg_class "
            "WHERE relkind = 'r' AND relnamespace = current_schema()::regnamespace "
            "AND reltuples >= %s ORDER BY relname",
            [min_rows],
        )
        return dict(cursor.fetchall())


def seq_scans(node: dict[str, Any], large: dict[str, int]) -> Iterator[str]:
    if node.get("Node Type") == "Seq Scan" and node.get("Relation Name") in large:
        yield str(node["Relation Name"])
    for child in node.get("Plans", []):
        yield from seq_scans(child, large)


def queries() -> list[tuple[str, Callable[[], Any]]]:
    """(name, a callable returning the QuerySet) for each query under test."""
    from django.utils import timezone

    from accounts.models import User
    from audit import selectors as audit_selectors
    from audit.models import AccessEvent, AccessEventSubject
    from coordination import selectors as coordination_selectors
    from coordination.models import Note
    from core.permissions import ROLE_DPO, is_police, visible_to
    from forums.backends import RequestUserBackend
    from forums.models import Membership
    from persons import selectors as person_selectors
    from persons.models import FocusPerson

    def loaded(user_id: int | None) -> Any:
        user = RequestUserBackend().get_user(user_id)
        if user is None:
            raise SystemExit(f"no active user {user_id}: is the database seeded by bench_seed?")
        return user

    members = Membership.objects.current().values_list("user_id", flat=True)
    candidates = User.objects.filter(pk__in=members, is_active=True).exclude(groups__name=ROLE_DPO)
    ids = list(candidates.order_by("pk").values_list("pk", flat=True))
    member = next(u for u in map(loaded, ids) if not is_police(u))
    police = next(u for u in map(loaded, ids) if is_police(u))
    nobody = loaded(
        User.objects.filter(is_active=True)
        .exclude(pk__in=members)
        .exclude(groups__name=ROLE_DPO)
        .values_list("pk", flat=True)
        .first()
    )
    dpo = User.objects.filter(groups__name=ROLE_DPO).select_related("agency").first()
    person = visible_to(member, FocusPerson.objects.all()).order_by("pk").first()
    if dpo is None or person is None:
        raise SystemExit("no DPO or no visible person: is the database seeded by bench_seed?")
    scope = audit_selectors.scope_of(dpo)
    police_forum = Membership.objects.current().filter(user=police).values_list("forum", flat=True)
    subject = AccessEventSubject.objects.filter(person_id=person.pk).first()
    today = timezone.localdate()
    month_ago = today - datetime.timedelta(days=30)

    return [
        ("person list, member", lambda: person_selectors.person_list_for(user=member)[:100]),
        ("person list, nobody", lambda: person_selectors.person_list_for(user=nobody)[:100]),
        (
            "person list, police, one forum",
            lambda: person_selectors.person_list_for(user=police, forum_id=police_forum[0])[:100],
        ),
        (
            "person search, member",
            lambda: person_selectors.person_list_for(user=member, query="AB")[:100],
        ),
        (
            "API person list, the rows its count covers",
            lambda: person_selectors.person_list_for(user=member).order_by().values("pk"),
        ),
        (
            "first 50 persons through visible_to",
            lambda: visible_to(member, FocusPerson.objects.order_by("pseudonym"))[:50],
        ),
        (
            "person page: the person",
            lambda: visible_to(member, FocusPerson.objects.filter(pk=person.pk)),
        ),
        (
            "person page: notes",
            lambda: visible_to(member, Note.objects.filter(case_file__person=person)).order_by(
                "-created_at"
            ),
        ),
        (
            "my actions",
            lambda: coordination_selectors.my_open_actions(user=member),
        ),
        (
            "DPO: a person's access history",
            lambda: audit_selectors.access_events(
                scope=scope, person=subject.pseudonym if subject else person.pseudonym
            )[:200],
        ),
        (
            "DPO: a user's access history",
            lambda: audit_selectors.access_events(scope=scope, user=member.pk)[:200],
        ),
        (
            "DPO: access list, last 30 days",
            lambda: audit_selectors.access_events(scope=scope, date_from=month_ago, date_to=today)[
                :50
            ],
        ),
        (
            "DPO: disclosures of a person",
            lambda: audit_selectors.disclosures(scope=scope, person=person.pseudonym)[:200],
        ),
        (
            "audit sequencer: pending reads",
            lambda: AccessEvent.objects.filter(seq__isnull=True).order_by("id")[:5000],
        ),
    ]


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--large-rows", type=int, default=10_000)
    args = parser.parse_args(argv)
    setup()
    from django.db import connection

    large = large_tables(args.large_rows)
    plans = []
    for name, build in queries():
        plan = json.loads(build().explain(format="json"))[0]["Plan"]
        plans.append({"name": name, "seq_scans": sorted(set(seq_scans(plan, large))), "plan": plan})
    connection.close()
    print(json.dumps({"large_tables": large, "plans": plans}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
