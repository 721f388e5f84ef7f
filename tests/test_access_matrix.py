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

from forums.models import Forum, ForumKind, Membership
from persons.models import CaseFile
from persons.services import casefile_update
from tests.world import World

NAMESPACES = {"forums", "persons", "coordination", "api", "audit"}
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


def third_forum_ids(w: World) -> int:
    return Forum.objects.get(name="SSP Tre").pk


def own_list(w: World, actor: str, mine: Any, others: Any) -> set[int]:
    if actor in FORUM_MEMBERS:
        return {mine.pk}
    if actor == "other_forum_member":
        return {others.pk}
    return set()


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
            data=lambda w: {"forum": third_forum_ids(w), "consent": "not_sought"},
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
            api(EVERYONE - CONTENT_BLIND),
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
                "source_agency": w.school.pk,
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
            api(EVERYONE - CONTENT_BLIND),
            listed=lambda w, a: own_list(w, a, w.case_file, w.other_case_file),
        ),
        Case(
            "post",
            lambda w: reverse("api:case-file-list"),
            api(MANAGERS, ok=201, seen_not_allowed={"member"}),
            data=lambda w: {"person": w.person.pk, "forum": third_forum_ids(w)},
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
}


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
    """The world with a named case file and a third forum the managers run (for opening)."""
    casefile_update(
        actor=world.coordinator, case_file=world.case_file, mode=CaseFile.Mode.NAMED, reason=REASON
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
    return world


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

    expected = case.expected(actor)
    assert response.status_code == expected, getattr(response, "content", b"")[:500]
    if case.listed and expected == 200:
        body = response.json()
        shown = {row["id"] for row in body["results"]}
        assert shown == case.listed(matrix_world, actor)
