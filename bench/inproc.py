"""The harness's in-process side (imported only after django.setup() by bench/probe.py): which
users and URLs to load, the permission filter's cost against its limits, the audit backlog,
and the database's facts. Reads only; the bench database is throwaway."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from django.db import connection
from django.db.models import QuerySet
from django_otp.plugins.otp_totp.models import TOTPDevice
from guardian.shortcuts import get_objects_for_user

from accounts.models import User
from accounts.roles import Role
from coordination.models import ForumSession
from core.permissions import is_police, sees_no_content, visible_to
from forums.backends import RequestUserBackend
from forums.models import Membership
from persons.models import CaseFile, FocusPerson

FIRST_PAGE = 50
GUARDIAN_PERMISSION = "persons.view_focusperson"
PG_SETTINGS = (
    "server_version",
    "jit",
    "shared_buffers",
    "work_mem",
    "effective_cache_size",
    "max_connections",
    "fsync",
    "synchronous_commit",
    "random_page_cost",
)
BIG_TABLES = (
    "persons_focusperson",
    "persons_casefile",
    "coordination_note",
    "coordination_planaction",
    "audit_accessevent",
    "audit_accesseventsubject",
)


# --- users and URLs to load ----------------------------------------------------------------


def _totp_keys() -> dict[int, str]:
    rows = TOTPDevice.objects.filter(confirmed=True).order_by("user_id", "pk")
    keys: dict[int, str] = {}
    for user_id, key in rows.values_list("user_id", "key"):
        keys.setdefault(user_id, key)
    return keys


def member_candidates(preferred: Iterable[str] = (), *, police: bool = True) -> list[User]:
    """Active users holding a current membership, the preferred emails first, then by id:
    the same choice on every run of the same data. Police may not search across forums
    (§ 115, stk. 2), so the load's searching members leave them out (``police=False``)."""
    users = User.objects.filter(
        is_active=True, pk__in=Membership.objects.current().values("user_id")
    ).select_related("agency")
    ordered = sorted(users, key=lambda user: user.pk)
    wanted = [email.lower() for email in preferred]
    ordered.sort(key=lambda user: wanted.index(user.email) if user.email in wanted else len(wanted))
    return [
        user for user in ordered if not sees_no_content(user) and (police or not is_police(user))
    ]


def member_plan(user: User, totp_key: str) -> dict[str, Any] | None:
    """What one member can load: persons, a session, a case file to write a note on."""
    persons = list(
        visible_to(user, FocusPerson.objects.order_by("pk")).values_list("pk", "pseudonym")[:20]
    )
    session = visible_to(user, ForumSession.objects.order_by("-pk")).values_list("pk", flat=True)
    case_file = visible_to(user, CaseFile.objects.order_by("pk")).values_list("pk", flat=True)
    forums = Membership.objects.current().filter(user=user).order_by("forum_id")
    session_id, case_file_id = session.first(), case_file.first()
    if not persons or session_id is None or case_file_id is None:
        return None
    return {
        "email": user.email,
        "user_id": user.pk,
        "totp_key": totp_key,
        "police": is_police(user),
        "municipality_id": user.agency.municipality_id if user.agency else None,
        "forum_ids": list(forums.values_list("forum_id", flat=True)),
        "person_ids": [pk for pk, _ in persons],
        "pseudonyms": [pseudonym for _, pseudonym in persons],
        "session_id": session_id,
        "case_file_id": case_file_id,
    }


def members_plan(count: int, preferred: Iterable[str] = ()) -> list[dict[str, Any]]:
    keys = _totp_keys()
    plans: list[dict[str, Any]] = []
    for user in member_candidates(preferred, police=False):
        plan = member_plan(user, keys[user.pk]) if user.pk in keys else None
        if plan is not None:
            plans.append(plan)
        if len(plans) == count:
            break
    return plans


def dpo_plan(members: list[dict[str, Any]], named: Mapping[str, Any]) -> dict[str, Any] | None:
    """The DPO bench_seed named, with the person and user it chose in their scope; otherwise
    a DPO of the first member's municipality with that member and their first person (in
    scope once the member has read the person page, which the harness does first)."""
    dpos = User.objects.filter(is_active=True, groups__name=Role.DPO).order_by("pk")
    dpo = dpos.filter(email__iexact=named.get("email", "")).first() if named else None
    subject: dict[str, Any] = {}
    if dpo is not None and named.get("pseudonym") and named.get("municipality_user_id"):
        subject = {
            "pseudonym": named["pseudonym"],
            "subject_user_id": named["municipality_user_id"],
        }
    elif members:
        dpo = dpos.filter(agency__municipality_id=members[0]["municipality_id"]).first()
        subject = {
            "pseudonym": members[0]["pseudonyms"][0],
            "subject_user_id": members[0]["user_id"],
        }
    key = _totp_keys().get(dpo.pk) if dpo else None
    if dpo is None or key is None or not subject:
        return None
    return {"email": dpo.email, "user_id": dpo.pk, "totp_key": key, **subject}


# --- the permission filter against its limits ------------------------------------------------


def ratio_users(count: int) -> list[User]:
    """``count`` users for the filter's ratio: members spread over the id range, and one
    active user without any membership (who sees nothing: the filter's worst case)."""
    members = member_candidates()
    step = max(1, len(members) // max(1, count - 1))
    chosen = members[::step][: count - 1]
    nobody = (
        User.objects.filter(is_active=True, agency__isnull=False)
        .exclude(pk__in=Membership.objects.values("user_id"))
        .order_by("pk")
    )
    seeing_nothing = next((user for user in nobody if not sees_no_content(user)), None)
    return [*chosen, *([seeing_nothing] if seeing_nothing else [])]


def _median_ms(run: Callable[[], object], repeat: int) -> float:
    run()  # the first call warms caches and the connection; it is not counted
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def _first_page(queryset: QuerySet[FocusPerson, Any]) -> Callable[[], list[int]]:
    return lambda: list(queryset.values_list("pk", flat=True)[:FIRST_PAGE])


def _ours(user: User) -> list[int]:
    return list(
        visible_to(user, FocusPerson.objects.order_by("pseudonym")).values_list("pk", flat=True)[
            :FIRST_PAGE
        ]
    )


def _guardian(user: User) -> list[int]:
    # Without global permissions: a role's model-wide view permission would otherwise make
    # guardian answer every person, which is neither our rule nor a fair comparison.
    queryset = get_objects_for_user(
        user,
        GUARDIAN_PERMISSION,
        FocusPerson.objects.order_by("pseudonym"),
        accept_global_perms=False,
    )
    return list(queryset.values_list("pk", flat=True)[:FIRST_PAGE])


def user_timings(user: User, repeat: int) -> dict[str, Any]:
    """Each variant with the user as a request has it: loaded once, before the timing, by the
    authentication backend (with roles and current forums). Only the first page's query is
    timed, as for the unfiltered page; loading the user is the same for every page."""
    unfiltered = FocusPerson.objects.order_by("pseudonym")
    loaded = RequestUserBackend().get_user(user.pk)
    if loaded is None:
        raise RuntimeError(f"user {user.pk} is not active")
    guardian_user = User.objects.select_related("agency").get(pk=user.pk)
    ours, guardian = _ours(loaded), _guardian(guardian_user)
    return {
        "user_id": user.pk,
        "sees": len(ours),
        "guardian_agrees": ours == guardian,
        "unfiltered_ms": _median_ms(_first_page(unfiltered), repeat),
        "ours_ms": _median_ms(lambda: _ours(loaded), repeat),
        "guardian_ms": _median_ms(lambda: _guardian(guardian_user), repeat),
    }


def permission_timings(count: int, repeat: int) -> list[dict[str, Any]]:
    return [user_timings(user, repeat) for user in ratio_users(count)]


# --- the audit sequencer and the database ----------------------------------------------------


def backlog() -> tuple[int, float]:
    from audit.selectors import audit_backlog  # the lead's sequencer interface (issue 12)

    return audit_backlog()


def database_facts() -> dict[str, Any]:
    with connection.cursor() as cursor:
        facts: dict[str, Any] = {}
        for name in PG_SETTINGS:
            cursor.execute(f"SHOW {name}")  # names from the constant above, never input
            facts[name] = cursor.fetchone()[0]
        cursor.execute(
            "SELECT relname, reltuples::bigint FROM pg_class WHERE relname = ANY(%s)",
            [list(BIG_TABLES)],
        )
        facts["rows_estimated"] = dict(cursor.fetchall())
    return facts


def statistics_timings(repeat: int) -> dict[str, Any]:
    """Issue 13: the nightly release of every district's ended quarters, then what a kredsråd
    member's pages read and draw for the largest district's last year: its four latest ended
    quarters, each beside the one before. (Not the last calendar year: the benchmark data
    covers the twelve months before today, so last year's quarters are mostly empty.)"""
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from councils import selectors
    from councils import statistics as council_statistics
    from councils.models import Council
    from councils.periods import quarter_of

    started = time.perf_counter()
    releases = council_statistics.freeze_all(timezone.localdate().year - 1)
    freeze_s = time.perf_counter() - started
    scopes = [s for s in council_statistics.scopes() if s.district is not None]
    if not scopes:
        return {"releases": releases, "freeze_s": freeze_s}
    largest = max(scopes, key=lambda s: len(s.municipalities))
    council = Council(kind=Council.Kind.KREDSRAAD, police_district=largest.district)
    area = selectors.areas_of(council)[0]
    latest = quarter_of(timezone.localdate()).previous()
    year = [latest, latest.previous(), latest.previous().previous()]
    year.append(year[-1].previous())

    def page() -> object:
        drawn = []
        for quarter in year:
            stats = selectors.statistics_for(council=council, area=area, period=quarter)
            drawn += selectors.charted(stats)
        return drawn

    with CaptureQueriesContext(connection) as captured:
        page()
    return {
        "releases": releases,
        "freeze_s": round(freeze_s, 2),
        "municipalities": len(largest.municipalities),
        "quarters": [quarter.code for quarter in year],
        "district_year_ms": round(_median_ms(page, repeat), 2),
        "queries": len(captured),
    }
