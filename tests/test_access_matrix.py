"""Who may reach what: every route of the forums, persons, coordination apps and the API,
for every persona. Routes are collected from the URL resolver, so a new route without an
entry here fails ``test_every_route_has_an_entry``."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from coordination.models import AgendaItem, ForumSession, Plan, PlanAction
from coordination.plans import action_create, plan_save
from councils.models import (
    CooperationPlan,
    Council,
    CouncilMeeting,
    CouncilMembership,
    FocusArea,
    StatisticsRelease,
)
from forums.models import Forum, ForumKind, Membership
from persons.models import CaseFile, FocusPerson, PersonGrant
from persons.services import casefile_update, person_grant_create
from tests.factories import UserFactory
from tests.world import NECESSITY, World

NAMESPACES = {"forums", "persons", "coordination", "api", "audit", "councils"}
ACTORS = [
    "anonymous",
    "member",
    "other_agency_member",
    "chair",
    "coordinator",
    "other_forum_member",
    "expired_member",
    "dpo",
    "admin",
    "police_in_two_forums",
    "grantee",
    "council_member",
    "council_secretary",
]
PERSONA = {
    "member": "school_member",
    "other_agency_member": "police_member",
    "chair": "chair",
    "coordinator": "coordinator",
    "other_forum_member": "outsider",
    "expired_member": "expired_member",
    "dpo": "dpo",
    "admin": "admin",
    "police_in_two_forums": "police_two",  # made in matrix_world
    "grantee": "grantee",  # made in matrix_world
    "council_member": "council_member",  # made in matrix_world: the lokalråd's members
    "council_secretary": "council_secretary",
}
# Personas expected to fare as another does, but where OVERRIDES say otherwise: a police
# officer in both forums is the forum's police member as far as the forum's objects go (and
# never lists across the two: the purpose lock); a per-person grantee is, like a former member,
# outside every forum, but reads the person and the plan.
# Council members (the content-blind ``council`` role) fare as the administrator everywhere
# outside their council's pages.
ALIASES = {
    "police_in_two_forums": "other_agency_member",
    "grantee": "expired_member",
    "council_member": "admin",
    "council_secretary": "admin",
}
# The grantee reads the person and the plan's actions (and their own grant); what they can see
# but not change answers 403, as everywhere (404 only for the unseen).
GRANTEE_SEES = {
    ("coordination:person-detail", 0): 200,
    ("api:person-detail", 0): 200,
    ("api:plan-actions", 0): 200,
    ("api:person-grants", 0): 200,
    ("coordination:person-reveal", 0): 403,
    ("api:person-reveal", 0): 403,
    ("coordination:casefile-open", 0): 403,
    ("coordination:person-grant-create", 0): 403,
    ("coordination:action-status", 0): 403,
    ("api:plan-actions", 1): 403,
    ("api:action-detail", 0): 403,
}
FORUM_MEMBERS = {"member", "other_agency_member", "chair", "coordinator"}
MANAGERS = {"chair", "coordinator"}
SCHOOL = {"member", "coordinator"}  # the agency that wrote the agency note
CONTENT_BLIND = {"dpo", "admin"}
IN_THIRD_FORUM = {"member", "chair", "coordinator"}  # see matrix_world


@dataclass
class Case:
    method: str
    url: Callable[[World], str]
    expected: Callable[[str], int]
    data: Callable[[World], dict[str, Any]] = lambda w: {}
    listed: Callable[[World, str], set[int]] | None = None  # ids an allowed list must show
    api: bool = True
    extra: dict[str, Any] = field(default_factory=dict)


def seen_elsewhere(expected: Callable[[str], int], seeing: set[str]) -> Callable[[str], int]:
    """``expected``, but 403 for ``seeing``: they see the object, it is not theirs to change."""

    def answer(actor: str) -> int:
        return 403 if actor in seeing else expected(actor)

    return answer


def ui(allowed: set[str], ok: int = 200, elsewhere: int = 404) -> Callable[[str], int]:
    def expected(actor: str) -> int:
        if actor == "anonymous":
            return 302
        if actor in CONTENT_BLIND:
            return 403
        return ok if actor in allowed else elsewhere

    return expected


def api(
    allowed: set[str],
    ok: int = 200,
    seen_not_allowed: frozenset[str] | set[str] = frozenset(),
    blind: int = 403,
) -> Callable[[str], int]:
    def expected(actor: str) -> int:
        if actor == "anonymous":
            return 401
        if actor in CONTENT_BLIND:
            return blind
        if actor in allowed:
            return ok
        return 403 if actor in seen_not_allowed else 404

    return expected


EVERYONE = set(ACTORS) - {"anonymous"}


def managers_page(ok: int = 200) -> Callable[[str], int]:
    """Issue 11's workflow pages: the forum's chair and coordinator only; everyone else,
    plain members and the content-blind roles too, 404 (persons.views.ManagerOnlyView)."""

    def expected(actor: str) -> int:
        if actor == "anonymous":
            return 302
        return ok if actor in MANAGERS else 404

    return expected


def dpo_only(ok: int = 200, anonymous: int = 401) -> Callable[[str], int]:
    def expected(actor: str) -> int:
        if actor == "anonymous":
            return anonymous
        return ok if actor == "dpo" else 403

    return expected


def dpo_page(ok: int = 200) -> Callable[[str], int]:
    return dpo_only(ok, anonymous=302)


def any_event(w: World) -> int:
    """An access event to review: a member's view of the world's person."""
    from audit.services import access_record

    return access_record(actor=w.school_member, action="view_person", objects=[w.person]).pk


REASON = "Nødvendigt for at koordinere indsatsen mellem skole og socialforvaltning."


def empty_session(w: World) -> int:
    return ForumSession.objects.get(location="Tom").pk


def agenda_session(w: World) -> int:
    return ForumSession.objects.get(location="Rådhuset").pk


def agenda_item(w: World) -> int:
    return AgendaItem.objects.get(session_id=agenda_session(w)).pk


def the_plan(w: World) -> int:
    return Plan.objects.get(case_file=w.case_file).pk


def the_action(w: World) -> int:
    return PlanAction.objects.get(plan_id=the_plan(w)).pk


def record_data(w: World) -> dict[str, Any]:
    return {
        "mode": "anonymous",
        "necessity": REASON,
        "presenting_agency": w.police.pk,
        "minutes": "Kort referat",
        "attendees": [w.chair.pk, w.police_member.pk],
    }


OWNER = {"member"}  # the school member owns the plan's action


def third_forum_ids(w: World) -> int:
    return Forum.objects.get(name="SSP Tre").pk


def own_list(w: World, actor: str, mine: Any, others: Any) -> set[int]:
    if actor == "police_in_two_forums":  # only lists of their own (forums): the others refuse
        return {mine.pk, others.pk}
    if actor == "grantee" and isinstance(mine, FocusPerson):  # the granted person, nothing else
        return {mine.pk}
    if actor in FORUM_MEMBERS:
        return {mine.pk}
    if actor == "other_forum_member":
        return {others.pk}
    return set()


GRANTEE = {"other_forum_member"}  # a_grant gives the outsider read access to the person


def a_grant(w: World) -> int:
    """The chair gives the outsider (another forum's coordinator) access to the person."""
    return person_grant_create(
        actor=w.chair,
        case_file=w.case_file,
        grantee=w.outsider,
        expires_at=timezone.now() + datetime.timedelta(days=30),
        reason=REASON,
    ).pk


def grants_url(w: World) -> str:
    a_grant(w)
    return reverse("api:person-grants", args=[w.person.pk])


def grant_api_data(w: World) -> dict[str, Any]:
    expires_at = timezone.now() + datetime.timedelta(days=30)
    return {
        "case_file": w.case_file.pk,
        "user": w.outsider.pk,
        "expires_at": expires_at.isoformat(),
        "reason": REASON,
    }


def grant_form_data(w: World) -> dict[str, Any]:
    last_day = timezone.localdate() + datetime.timedelta(days=30)
    return {
        "case_file": w.case_file.pk,
        "email": w.outsider.email,
        "expires_at": last_day.isoformat(),
        "reason": REASON,
    }


MATRIX: dict[str, list[Case]] = {
    # --- pages ---------------------------------------------------------------------------
    "forums:list": [
        Case("get", lambda w: reverse("forums:list"), ui(EVERYONE - CONTENT_BLIND), api=False)
    ],
    "persons:forum-detail": [
        Case(
            "get",
            lambda w: reverse("persons:forum-detail", args=[w.forum.pk]),
            ui(FORUM_MEMBERS),
            api=False,
        )
    ],
    "persons:concern-create": [
        Case(
            "get",
            lambda w: reverse("persons:concern-create"),
            ui(EVERYONE - CONTENT_BLIND),
            api=False,
        )
    ],
    "persons:retention": [
        Case(
            "get",
            lambda w: reverse("persons:retention"),
            ui(EVERYONE - CONTENT_BLIND),
            api=False,
        )
    ],
    "persons:retention-extend": [
        Case(
            "post",
            lambda w: reverse("persons:retention-extend", args=[w.case_file.pk]),
            lambda a: ui(MANAGERS, ok=302)(a) if a not in FORUM_MEMBERS - MANAGERS else 403,
            data=lambda w: {"reason": REASON},
            api=False,
        )
    ],
    "persons:retention-delete": [
        Case(
            "post",
            lambda w: reverse("persons:retention-delete", args=[w.case_file.pk]),
            lambda a: ui(MANAGERS, ok=302)(a) if a not in FORUM_MEMBERS - MANAGERS else 403,
            data=lambda w: {"cause": "request", "confirm": "on"},
            api=False,
        )
    ],
    "persons:concern-decide": [
        Case(
            "get",
            lambda w: reverse("persons:concern-decide", args=[w.concern.pk]),
            managers_page(),
            api=False,
        )
    ],
    "persons:casefile-consent": [
        Case(
            "get",
            lambda w: reverse("persons:casefile-consent", args=[w.case_file.pk]),
            managers_page(),
            api=False,
        )
    ],
    "persons:casefile-transfer": [
        Case(
            "get",
            lambda w: reverse("persons:casefile-transfer", args=[w.case_file.pk]),
            managers_page(),
            api=False,
        )
    ],
    "coordination:access-report": [
        Case(
            "get",
            lambda w: reverse("coordination:access-report", args=[w.person.pk]),
            ui(MANAGERS),
            api=False,
        )
    ],
    "coordination:access-report-pdf": [
        Case(
            "get",
            lambda w: reverse("coordination:access-report-pdf", args=[w.person.pk]),
            ui(MANAGERS),
            api=False,
        )
    ],
    "coordination:access-report-restrict": [
        Case(
            "post",
            lambda w: reverse("coordination:access-report-restrict", args=[w.person.pk]),
            ui(MANAGERS, ok=302),
            data=lambda w: {"case_file": w.case_file.pk, "part": "lookups", "reason": REASON},
            api=False,
        )
    ],
    "coordination:person-list": [
        Case(
            "get",
            lambda w: reverse("coordination:person-list"),
            ui(EVERYONE - CONTENT_BLIND),
            api=False,
        )
    ],
    "coordination:person-detail": [
        Case(
            "get",
            lambda w: reverse("coordination:person-detail", args=[w.person.pk]),
            ui(FORUM_MEMBERS),
            api=False,
        )
    ],
    "coordination:person-reveal": [
        Case(
            "post",
            lambda w: reverse("coordination:person-reveal", args=[w.person.pk]),
            ui(FORUM_MEMBERS, ok=302),
            data=lambda w: {"reason": REASON},
            api=False,
        )
    ],
    "coordination:casefile-mode": [
        Case(
            "post",
            lambda w: reverse("coordination:casefile-mode", args=[w.case_file.pk]),
            lambda a: ui(MANAGERS, ok=302)(a) if a not in FORUM_MEMBERS - MANAGERS else 403,
            data=lambda w: {"mode": "anonymous"},
            api=False,
        )
    ],
    "coordination:casefile-open": [
        Case(
            "post",
            lambda w: reverse("coordination:casefile-open", args=[w.person.pk]),
            # Managers run "SSP Tre" (matrix_world); other members have no forum to choose: 400.
            lambda a: ui(MANAGERS, ok=302)(a) if a not in FORUM_MEMBERS - MANAGERS else 400,
            data=lambda w: {
                "forum": third_forum_ids(w),
                "consent": "not_sought",
                "necessity": NECESSITY,
            },
            api=False,
        )
    ],
    "coordination:note-create": [
        Case(
            "get",
            lambda w: reverse("coordination:note-create", args=[w.case_file.pk]),
            ui(FORUM_MEMBERS),
            api=False,
        )
    ],
    "coordination:note-share": [
        Case(
            "post",
            lambda w: reverse("coordination:note-share", args=[w.agency_note.pk]),
            ui(SCHOOL, ok=302),
            data=lambda w: {"necessity": REASON},
            api=False,
        )
    ],
    # Berigtigelse: the author corrects their own note; the rest of the author's agency sees it
    # (403), everyone else does not (404).
    "coordination:note-correct": [
        Case(
            method,
            lambda w: reverse("coordination:note-correct", args=[w.agency_note.pk]),
            seen_elsewhere(ui({"member"}, ok=ok), SCHOOL - {"member"}),
            data=lambda w: {"body": "Rettet tekst om fraværet.", "reason": REASON},
            api=False,
        )
        for method, ok in (("get", 200), ("post", 302))
    ],
    "coordination:identity-correct": [
        Case(
            method,
            lambda w: reverse("coordination:identity-correct", args=[w.case_file.pk]),
            seen_elsewhere(ui(MANAGERS, ok=ok), FORUM_MEMBERS - MANAGERS),
            data=lambda w: {"address": "Rettevej 3, 2200 København N", "reason": REASON},
            api=False,
        )
        for method, ok in (("get", 200), ("post", 302))
    ],
    # --- meetings, plans, tasks -------------------------------------------------------------
    "coordination:sessions": [
        Case(
            "get",
            lambda w: reverse("coordination:sessions"),
            ui(EVERYONE - CONTENT_BLIND),
            api=False,
        )
    ],
    "coordination:session-detail": [
        Case(
            "get",
            lambda w: reverse("coordination:session-detail", args=[agenda_session(w)]),
            ui(FORUM_MEMBERS),
            api=False,
        )
    ],
    "coordination:session-agenda": [
        Case(
            "post",
            lambda w: reverse("coordination:session-agenda", args=[empty_session(w)]),
            lambda a: ui(MANAGERS, ok=302)(a) if a not in FORUM_MEMBERS - MANAGERS else 403,
            data=lambda w: {"operation": "add", "case_file": w.case_file.pk},
            api=False,
        )
    ],
    "coordination:session-approve": [
        Case(
            "post",
            lambda w: reverse("coordination:session-approve", args=[empty_session(w)]),
            lambda a: 302 if a == "chair" else (403 if a in FORUM_MEMBERS else ui(set())(a)),
            api=False,
        )
    ],
    "coordination:item-record": [
        Case(
            "post",
            lambda w: reverse("coordination:item-record", args=[agenda_item(w)]),
            lambda a: ui(MANAGERS, ok=400)(a) if a not in FORUM_MEMBERS - MANAGERS else 403,
            api=False,
        )
    ],
    "coordination:item-presenter": [
        Case(
            "get",
            lambda w: reverse("coordination:item-presenter", args=[agenda_item(w)]),
            ui(FORUM_MEMBERS),
            api=False,
        )
    ],
    "coordination:plan": [
        Case(
            "get",
            lambda w: reverse("coordination:plan", args=[w.case_file.pk]),
            ui(FORUM_MEMBERS),
            api=False,
        )
    ],
    "coordination:action-status": [
        Case(
            "post",
            lambda w: reverse("coordination:action-status", args=[the_action(w)]),
            lambda a: 403 if a == "other_agency_member" else ui(MANAGERS | OWNER, ok=302)(a),
            data=lambda w: {"version": 1, "status": "done"},
            api=False,
        )
    ],
    "coordination:item-detail": [
        Case(
            "get",
            lambda w: reverse("coordination:item-detail", args=[agenda_item(w)]),
            ui(FORUM_MEMBERS),
            api=False,
        )
    ],
    "coordination:item-guest-invite": [
        Case(
            "post",
            lambda w: reverse("coordination:item-guest-invite", args=[agenda_item(w)]),
            lambda a: 302 if a == "chair" else (403 if a in FORUM_MEMBERS else ui(set())(a)),
            data=lambda w: {"email": w.outsider.email},
            api=False,
        )
    ],
    "coordination:handover": [
        Case(
            "get",
            lambda w: reverse("coordination:handover", args=[w.forum.pk]),
            ui(FORUM_MEMBERS),
            api=False,
        )
    ],
    # The work list: every logged-in user has a start page (its sections come from restricted
    # selectors, so the content-blind roles see counts or nothing; tests/coordination/test_home).
    "coordination:home": [
        Case(
            "get",
            lambda w: reverse("coordination:home"),
            lambda actor: 302 if actor == "anonymous" else 200,
            api=False,
        )
    ],
    "coordination:my-tasks": [
        Case(
            "get",
            lambda w: reverse("coordination:my-tasks"),
            ui(EVERYONE - CONTENT_BLIND),
            api=False,
        )
    ],
    "api:forum-sessions": [
        Case("get", lambda w: reverse("api:forum-sessions", args=[w.forum.pk]), api(FORUM_MEMBERS)),
        Case(
            "post",
            lambda w: reverse("api:forum-sessions", args=[w.forum.pk]),
            api(MANAGERS, ok=201, seen_not_allowed=FORUM_MEMBERS - MANAGERS),
            data=lambda w: {"starts_at": (timezone.now() + datetime.timedelta(days=3)).isoformat()},
        ),
    ],
    "api:session-detail": [
        Case(
            "get",
            lambda w: reverse("api:session-detail", args=[agenda_session(w)]),
            api(FORUM_MEMBERS),
        )
    ],
    "api:session-agenda-items": [
        Case(
            "post",
            lambda w: reverse("api:session-agenda-items", args=[empty_session(w)]),
            api(MANAGERS, ok=201, seen_not_allowed=FORUM_MEMBERS - MANAGERS),
            data=lambda w: {"case_file": w.case_file.pk, "kind": "review"},
        ),
    ],
    "api:session-approve": [
        Case(
            "post",
            lambda w: reverse("api:session-approve", args=[empty_session(w)]),
            api({"chair"}, seen_not_allowed=FORUM_MEMBERS - {"chair"}),
        ),
    ],
    "api:agenda-item-record": [
        Case(
            "post",
            lambda w: reverse("api:agenda-item-record", args=[agenda_item(w)]),
            api(MANAGERS, seen_not_allowed=FORUM_MEMBERS - MANAGERS),
            data=record_data,
        ),
    ],
    "api:case-file-plan": [
        Case(
            "get",
            lambda w: reverse("api:case-file-plan", args=[w.case_file.pk]),
            api(FORUM_MEMBERS),
        ),
        Case(
            "post",
            lambda w: reverse("api:case-file-plan", args=[w.case_file.pk]),
            api(MANAGERS, seen_not_allowed=FORUM_MEMBERS - MANAGERS),
            data=lambda w: {"goals": "Nye mål", "version": 1},
        ),
    ],
    "api:plan-actions": [
        Case(
            "get",
            lambda w: reverse("api:plan-actions", args=[the_plan(w)]),
            api(FORUM_MEMBERS),
            listed=lambda w, a: {the_action(w)},
        ),
        Case(
            "post",
            lambda w: reverse("api:plan-actions", args=[the_plan(w)]),
            api(MANAGERS, ok=201, seen_not_allowed=FORUM_MEMBERS - MANAGERS),
            data=lambda w: {
                "description": "Ny handling",
                "responsible_agency": w.school.pk,
                "owner": w.school_member.pk,
                "due_date": "2027-01-15",
            },
        ),
    ],
    "api:action-detail": [
        Case(
            "patch",
            lambda w: reverse("api:action-detail", args=[the_action(w)]),
            api(MANAGERS | OWNER, seen_not_allowed={"other_agency_member"}),
            data=lambda w: {"version": 1, "status": "done"},
        ),
    ],
    "api:my-actions": [
        Case(
            "get",
            lambda w: reverse("api:my-actions"),
            api(EVERYONE - CONTENT_BLIND),
            listed=lambda w, a: {the_action(w)} if a in OWNER else set(),
        ),
    ],
    # --- DPO pages: the dpo role only ------------------------------------------------------
    "audit:dashboard": [Case("get", lambda w: reverse("audit:dashboard"), dpo_page(), api=False)],
    "audit:access-list": [
        Case("get", lambda w: reverse("audit:access-list"), dpo_page(), api=False),
        Case("get", lambda w: reverse("audit:access-list") + "?format=csv", dpo_page(), api=False),
    ],
    "audit:person-history": [
        Case(
            "get",
            lambda w: reverse("audit:person-history", args=[w.person.pseudonym]),
            dpo_page(),
            api=False,
        )
    ],
    "audit:user-history": [
        Case(
            "get",
            lambda w: reverse("audit:user-history", args=[w.school_member.pk]),
            dpo_page(),
            api=False,
        )
    ],
    "audit:unusual": [Case("get", lambda w: reverse("audit:unusual"), dpo_page(), api=False)],
    "audit:verify": [
        Case("get", lambda w: reverse("audit:verify"), dpo_page(), api=False),
        Case("post", lambda w: reverse("audit:verify"), dpo_page(), api=False),
    ],
    "audit:spot-check": [Case("get", lambda w: reverse("audit:spot-check"), dpo_page(), api=False)],
    "coordination:art30": [
        Case("get", lambda w: reverse("coordination:art30"), dpo_page(), api=False)
    ],
    "coordination:art30-pdf": [
        Case("get", lambda w: reverse("coordination:art30-pdf"), dpo_page(), api=False)
    ],
    "coordination:retention-decisions": [
        Case("get", lambda w: reverse("coordination:retention-decisions"), dpo_page(), api=False)
    ],
    "audit:spot-check-review": [
        Case(
            "post",
            lambda w: reverse("audit:spot-check-review", args=[any_event(w)]),
            dpo_page(302),
            data=lambda w: {"finding": "ok", "comment": ""},
            api=False,
        )
    ],
    # --- API -----------------------------------------------------------------------------
    "api:audit-access-events": [
        Case("get", lambda w: reverse("api:audit-access-events"), dpo_only())
    ],
    "api:audit-disclosures": [Case("get", lambda w: reverse("api:audit-disclosures"), dpo_only())],
    "api:audit-searches": [Case("get", lambda w: reverse("api:audit-searches"), dpo_only())],
    "api:audit-verify": [Case("get", lambda w: reverse("api:audit-verify"), dpo_only())],
    "api:me": [Case("get", lambda w: reverse("api:me"), api(EVERYONE, blind=200))],
    # Issuing needs credentials, not a session (an empty body is refused for everyone);
    # revoking with a browser session logs that session out.
    "api:auth-token": [
        Case("post", lambda w: reverse("api:auth-token"), lambda actor: 400),
        Case("delete", lambda w: reverse("api:auth-token"), api(EVERYONE, ok=204, blind=204)),
    ],
    "api:auth-logout": [
        Case("post", lambda w: reverse("api:auth-logout"), api(EVERYONE, ok=204, blind=204))
    ],
    "api:agency-list": [
        Case("get", lambda w: reverse("api:agency-list"), api(EVERYONE, blind=200))
    ],
    "api:notification-list": [
        Case("get", lambda w: reverse("api:notification-list"), api(EVERYONE, blind=200))
    ],
    "api:forum-list": [
        Case(
            "get",
            lambda w: reverse("api:forum-list"),
            api(EVERYONE - CONTENT_BLIND),
            listed=lambda w, a: (
                own_list(w, a, w.forum, w.other_forum)
                | ({third_forum_ids(w)} if a in IN_THIRD_FORUM else set())
            ),
        ),
        Case(
            "post",
            lambda w: reverse("api:forum-list"),
            api(
                {"coordinator", "other_forum_member"},
                ok=201,
                seen_not_allowed={"member", "other_agency_member", "chair", "expired_member"},
            ),
            data=lambda w: {
                "name": "Nyt forum",
                "kind": "ssp",
                "municipality": w.forum.municipality_id,
            },
        ),
    ],
    "api:forum-detail": [
        Case("get", lambda w: reverse("api:forum-detail", args=[w.forum.pk]), api(FORUM_MEMBERS)),
        Case(
            "patch",
            lambda w: reverse("api:forum-detail", args=[w.forum.pk]),
            api(MANAGERS, seen_not_allowed=FORUM_MEMBERS - MANAGERS),
            data=lambda w: {"name": "Omdøbt"},
        ),
    ],
    "api:forum-memberships": [
        Case(
            "get",
            lambda w: reverse("api:forum-memberships", args=[w.forum.pk]),
            api(FORUM_MEMBERS),
            listed=lambda w, a: set(
                Membership.objects.filter(forum=w.forum).values_list("pk", flat=True)
            ),
        ),
        Case(
            "post",
            lambda w: reverse("api:forum-memberships", args=[w.forum.pk]),
            api(MANAGERS, ok=201, seen_not_allowed=FORUM_MEMBERS - MANAGERS),
            data=lambda w: {"user": w.outsider.pk, "role": "member"},
        ),
    ],
    "api:membership-detail": [
        Case(
            "delete",
            lambda w: reverse(
                "api:membership-detail",
                args=[Membership.objects.get(user=w.school_member, forum=w.forum).pk],
            ),
            api(MANAGERS, ok=204, seen_not_allowed=FORUM_MEMBERS - MANAGERS),
        ),
    ],
    "api:concern-list": [
        Case(
            "get",
            lambda w: reverse("api:concern-list"),
            # the police purpose lock: one forum at a time (?forum=), see test_insiders.py
            lambda a: 403 if a == "other_agency_member" else api(EVERYONE - CONTENT_BLIND)(a),
            listed=lambda w, a: own_list(w, a, w.concern, w.other_case_file.concerns.get()),
        ),
        Case(
            "post",
            lambda w: reverse("api:concern-list"),
            api(FORUM_MEMBERS, ok=201),
            data=lambda w: {
                "forum": w.forum.pk,
                "identity": {"name": "Ny Person", "cpr": "0202134123"},
                "categories": ["vold"],
                "description": "Ny bekymring",
                "necessity": NECESSITY,  # source_agency left out: the user's own agency
            },
        ),
    ],
    "api:person-list": [
        Case(
            "get",
            lambda w: reverse("api:person-list"),
            lambda a: 403 if a == "other_agency_member" else api(EVERYONE - CONTENT_BLIND)(a),
            listed=lambda w, a: own_list(w, a, w.person, w.other_person),
        ),
    ],
    "api:person-detail": [
        Case("get", lambda w: reverse("api:person-detail", args=[w.person.pk]), api(FORUM_MEMBERS))
    ],
    "api:person-reveal": [
        Case(
            "post",
            lambda w: reverse("api:person-reveal", args=[w.person.pk]),
            api(FORUM_MEMBERS),
            data=lambda w: {"reason": REASON},
        ),
    ],
    "api:case-file-list": [
        Case(
            "get",
            lambda w: reverse("api:case-file-list"),
            lambda a: 403 if a == "other_agency_member" else api(EVERYONE - CONTENT_BLIND)(a),
            listed=lambda w, a: own_list(w, a, w.case_file, w.other_case_file),
        ),
        Case(
            "post",
            lambda w: reverse("api:case-file-list"),
            api(MANAGERS, ok=201, seen_not_allowed={"member"}),
            data=lambda w: {
                "person": w.person.pk,
                "forum": third_forum_ids(w),
                "necessity": NECESSITY,
            },
        ),
    ],
    "api:case-file-detail": [
        Case(
            "get",
            lambda w: reverse("api:case-file-detail", args=[w.case_file.pk]),
            api(FORUM_MEMBERS),
        ),
        Case(
            "patch",
            lambda w: reverse("api:case-file-detail", args=[w.case_file.pk]),
            api(MANAGERS, seen_not_allowed=FORUM_MEMBERS - MANAGERS),
            data=lambda w: {"mode": "anonymous"},
        ),
    ],
    "api:case-file-notes": [
        Case(
            "get",
            lambda w: reverse("api:case-file-notes", args=[w.case_file.pk]),
            api(FORUM_MEMBERS),
            listed=lambda w, a: {w.forum_note.pk} | ({w.agency_note.pk} if a in SCHOOL else set()),
        ),
        Case(
            "post",
            lambda w: reverse("api:case-file-notes", args=[w.case_file.pk]),
            api(FORUM_MEMBERS, ok=201),
            data=lambda w: {"body": "Kort notat"},
        ),
    ],
    "api:note-share": [
        Case(
            "post",
            lambda w: reverse("api:note-share", args=[w.agency_note.pk]),
            api(SCHOOL),
            data=lambda w: {"necessity": REASON},
        ),
    ],
    # --- per-person grants ------------------------------------------------------------------
    "coordination:person-grant-create": [
        Case(
            "post",
            lambda w: reverse("coordination:person-grant-create", args=[w.person.pk]),
            lambda a: ui(MANAGERS, ok=302)(a) if a not in FORUM_MEMBERS - MANAGERS else 403,
            data=grant_form_data,
            api=False,
        )
    ],
    "coordination:person-grant-revoke": [
        Case(
            "post",
            lambda w: reverse("coordination:person-grant-revoke", args=[a_grant(w)]),
            lambda a: 403 if a in GRANTEE else ui(MANAGERS, ok=302)(a),
            api=False,
        )
    ],
    "api:person-grants": [
        Case(
            "get",
            grants_url,
            api(FORUM_MEMBERS | GRANTEE),
            listed=lambda w, a: (
                set(PersonGrant.objects.values_list("pk", flat=True))
                if a in MANAGERS
                else set(
                    PersonGrant.objects.filter(grantee=getattr(w, PERSONA[a])).values_list(
                        "pk", flat=True
                    )
                )
                if a in GRANTEE | {"grantee"}
                else set()
            ),
        ),
        Case(
            "post",
            lambda w: reverse("api:person-grants", args=[w.person.pk]),
            api(MANAGERS, ok=201, seen_not_allowed=FORUM_MEMBERS - MANAGERS),
            data=grant_api_data,
        ),
    ],
    "api:person-grant-detail": [
        Case(
            "delete",
            lambda w: reverse("api:person-grant-detail", args=[a_grant(w)]),
            api(MANAGERS, ok=204, seen_not_allowed=GRANTEE),
        ),
    ],
}


COUNCIL = {"council_member", "council_secretary"}


def council_page(ok: int = 200, secretary_only: bool = False) -> Callable[[str], int]:
    """The council's pages: its members (change: its secretary; a member sees it, 403); every
    other account 404, as for a council that does not exist."""

    def expected(actor: str) -> int:
        if actor == "anonymous":
            return 302
        if actor == "council_secretary" or (actor in COUNCIL and not secretary_only):
            return ok
        return 403 if actor in COUNCIL else 404

    return expected


@dataclass
class CouncilObjects:
    """The matrix world's lokalråd (made in matrix_world), kept beside the world."""

    council: Council
    focus_area: FocusArea
    meeting: CouncilMeeting


def council_objects(w: World) -> CouncilObjects:
    objects: CouncilObjects = vars(w)["councils"]
    return objects


def the_council(w: World) -> int:
    return council_objects(w).council.pk


def council_meeting(w: World) -> int:
    return council_objects(w).meeting.pk


def the_focus_area(w: World) -> int:
    return council_objects(w).focus_area.pk


def the_council_plan(w: World) -> int:
    return council_objects(w).focus_area.plan_id


def council_url(name: str, *args: Callable[[World], int]) -> Callable[[World], str]:
    return lambda w: reverse(f"councils:{name}", args=[a(w) for a in args])


def stats_query(url: Callable[[World], str]) -> Callable[[World], str]:
    return lambda w: url(w) + "?periode=2026-Q3"


COUNCIL_MATRIX: dict[str, list[Case]] = {
    "councils:list": [
        Case("get", council_url("list"), lambda a: 302 if a == "anonymous" else 200, api=False)
    ],
    "councils:detail": [Case("get", council_url("detail", the_council), council_page(), api=False)],
    "councils:statistics": [
        Case("get", stats_query(council_url("statistics", the_council)), council_page(), api=False)
    ],
    "councils:statistics-csv": [
        Case(
            "get",
            stats_query(council_url("statistics-csv", the_council)),
            council_page(),
            api=False,
        )
    ],
    "councils:statistics-pdf": [
        Case(
            "get",
            stats_query(council_url("statistics-pdf", the_council)),
            council_page(),
            api=False,
        )
    ],
    "councils:status-create": [
        Case(
            "get",
            council_url("status-create", the_council, the_focus_area),
            council_page(secretary_only=True),
            api=False,
        ),
        Case(
            "post",
            council_url("status-create", the_council, the_focus_area),
            council_page(302, secretary_only=True),
            data=lambda w: {"written_on": "2026-11-02", "progress": "on_track", "text": "I gang."},
            api=False,
        ),
    ],
    "councils:plan-create": [
        Case(
            "get",
            council_url("plan-create", the_council),
            council_page(secretary_only=True),
            api=False,
        ),
        Case(
            "post",
            council_url("plan-create", the_council),
            council_page(302, secretary_only=True),
            data=lambda w: {
                "title": "Handleplan 2027",
                "period_start": "2027-01-01",
                "period_end": "2027-12-31",
            },
            api=False,
        ),
    ],
    "councils:plan-edit": [
        Case(
            "get",
            council_url("plan-edit", the_council, the_council_plan),
            council_page(secretary_only=True),
            api=False,
        )
    ],
    "councils:area-create": [
        Case(
            "get",
            council_url("area-create", the_council, the_council_plan),
            council_page(secretary_only=True),
            api=False,
        )
    ],
    "councils:area-edit": [
        Case(
            "get",
            council_url("area-edit", the_council, the_council_plan, the_focus_area),
            council_page(secretary_only=True),
            api=False,
        ),
        Case(
            "post",
            council_url("area-edit", the_council, the_council_plan, the_focus_area),
            council_page(302, secretary_only=True),
            data=lambda w: {"title": "Tryghed", "categories": ["vold"], "order": 1},
            api=False,
        ),
    ],
    "councils:meeting-create": [
        Case(
            "get",
            council_url("meeting-create", the_council),
            council_page(secretary_only=True),
            api=False,
        )
    ],
    "councils:meeting": [
        Case("get", council_url("meeting", the_council, council_meeting), council_page(), api=False)
    ],
    "councils:meeting-edit": [
        Case(
            "get",
            council_url("meeting-edit", the_council, council_meeting),
            council_page(secretary_only=True),
            api=False,
        )
    ],
}
MATRIX.update(COUNCIL_MATRIX)


def route_names() -> set[str]:
    names = set()

    def walk(resolver: URLResolver, namespace: str | None) -> None:
        for pattern in resolver.url_patterns:
            if isinstance(pattern, URLResolver):
                walk(pattern, pattern.namespace or namespace)
            elif isinstance(pattern, URLPattern) and namespace in NAMESPACES and pattern.name:
                names.add(f"{namespace}:{pattern.name}")

    walk(get_resolver(), None)
    return names


def test_every_route_has_an_entry():
    assert route_names() == set(MATRIX)


@pytest.fixture
def matrix_world(world):
    """The world with a named case file, a third forum the managers run (for opening), an
    empty session and a session with the case file on its agenda, and a plan with an action
    owned by the school member."""
    casefile_update(
        actor=world.coordinator, case_file=world.case_file, mode=CaseFile.Mode.NAMED, reason=REASON
    )
    soon = timezone.now() + datetime.timedelta(days=7)
    ForumSession.objects.create(
        forum=world.forum, starts_at=soon, location="Tom", created_by=world.coordinator
    )
    with_agenda = ForumSession.objects.create(
        forum=world.forum, starts_at=soon, location="Rådhuset", created_by=world.coordinator
    )
    AgendaItem(
        session=with_agenda, case_file=world.case_file, kind=AgendaItem.Kind.NEW_CONCERN, order=1
    ).save()
    plan = plan_save(actor=world.coordinator, case_file=world.case_file, goals="Mål for planen")
    action_create(
        actor=world.coordinator,
        plan=plan,
        description="Samtale med familien",
        responsible_agency=world.school,
        owner=world.school_member,
        due_date=timezone.localdate() + datetime.timedelta(days=10),
    )
    third = Forum.objects.create(
        name="SSP Tre", kind=ForumKind.SSP, municipality=world.forum.municipality, age_max=17
    )
    for user, role in [
        (world.coordinator, "coordinator"),
        (world.chair, "chair"),
        (world.school_member, "member"),
    ]:
        Membership.objects.create(
            forum=third, user=user, role=role, valid_from=datetime.date(2026, 1, 1)
        )
    police_two = UserFactory.create(full_name="Per To Fora", agency=world.police, roles=["member"])
    for forum in (world.forum, world.other_forum):
        Membership.objects.create(
            forum=forum, user=police_two, valid_from=datetime.date(2026, 1, 1)
        )
    world.police_two = police_two
    grantee = UserFactory.create(full_name="Gitte Adgang", agency=world.social, roles=["member"])
    person_grant_create(
        actor=world.chair,
        case_file=world.case_file,
        grantee=grantee,
        expires_at=timezone.now() + datetime.timedelta(days=30),
        reason=REASON,
    )
    world.grantee = grantee
    _council_for(world)
    return world


def _council_for(world: World) -> None:
    """The municipality's lokalråd with a plan, a focus area, a meeting and a released
    quarter (no figures: every count 0), a plain member and the secretary."""
    municipality = world.forum.municipality
    council = Council.objects.create(
        name="Lokalrådet", kind=Council.Kind.LOKALRAAD, municipality=municipality
    )
    since = datetime.date(2026, 1, 1)
    for attr, role in [
        ("council_member", CouncilMembership.Role.MEMBER),
        ("council_secretary", CouncilMembership.Role.SECRETARY),
    ]:
        user = UserFactory.create(agency=world.police, roles=["council"])
        CouncilMembership.objects.create(council=council, user=user, role=role, valid_from=since)
        setattr(world, attr, user)
    plan = CooperationPlan.objects.create(
        council=council,
        title="Handleplan",
        period_start=since,
        period_end=datetime.date(2026, 12, 31),
    )
    vars(world)["councils"] = CouncilObjects(
        council=council,
        focus_area=FocusArea.objects.create(plan=plan, title="Unges trivsel"),
        meeting=CouncilMeeting.objects.create(council=council, held_on=since),
    )
    StatisticsRelease.objects.create(municipality=municipality, period="2026-Q3")


OVERRIDES: dict[tuple[str, int, str], int] = {
    (route, index, "grantee"): status for (route, index), status in GRANTEE_SEES.items()
}

CASES = [
    (name, index, actor)
    for name, cases in MATRIX.items()
    for index in range(len(cases))
    for actor in ACTORS
]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("route", "index", "actor"), CASES, ids=[f"{r}-{i}-{a}" for r, i, a in CASES]
)
def test_access(matrix_world, client, route, index, actor):
    case = MATRIX[route][index]
    if actor != "anonymous":
        client.force_login(getattr(matrix_world, PERSONA[actor]))
    kwargs: dict[str, Any] = {}
    data = case.data(matrix_world)
    if case.api:
        kwargs = {"data": data, "content_type": "application/json"} if case.method != "get" else {}
    elif case.method == "post":
        kwargs = {"data": data}

    response = getattr(client, case.method)(case.url(matrix_world), **kwargs)

    # On the council pages the council personas are themselves (elsewhere, the administrator).
    as_actor = actor if route in COUNCIL_MATRIX else ALIASES.get(actor, actor)
    expected = OVERRIDES.get((route, index, actor)) or case.expected(as_actor)
    assert response.status_code == expected, getattr(response, "content", b"")[:500]
    if case.listed and expected == 200:
        body = response.json()
        shown = {row["id"] for row in body["results"]}
        assert shown == case.listed(matrix_world, actor)
