"""The demo's kredsråd (issue 13): Københavns Politikreds' council with a samarbejdsplan, four
focus areas with status, a meeting, and a year of released statistics.

The demo's own dozen persons would leave nearly every count below 5, so two background forums
(no demo user sits in them) get a year of concerns and case files through the services, moved
into the past quarters by coordination.demo.life.Backdating; then every ended quarter is
released. Idempotent: a second run adds nothing."""

from __future__ import annotations

import datetime
import random

from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone

from accounts.models import Agency, Municipality, User
from coordination.demo.life import Backdating
from councils import statistics
from councils.models import (
    CooperationPlan,
    Council,
    CouncilMeeting,
    CouncilMembership,
    FocusArea,
    FocusAreaStatus,
)
from councils.periods import Period, quarter_of
from forums.models import Forum, ForumKind, Membership
from persons.services import IdentityInput, concern_register

COUNCIL_MEMBER = "raad@kk.demo.tvaers.dk"
BACKGROUND_USER = "baggrund@statistik.demo.invalid"  # no login: unusable password
NECESSITY = "Forummet skal kende bekymringen for at kunne forebygge kriminalitet i tide."
# (forum name, kind, ages (from, to), [(category, weight)], concerns per quarter (min, max))
BACKGROUND = [
    (
        "SSP Amager (baggrund)",
        ForumKind.SSP,
        (11, 17),
        [("vold", 4), ("skolefravaer", 4), ("berigelse", 3), ("haervaerk", 2), ("digital", 1)],
        (16, 26),
    ),
    (
        "PSP Københavns Vestegn (baggrund)",
        ForumKind.PSP,
        (19, 60),
        [("psykisk_saarbarhed", 5), ("misbrug", 3), ("vold", 1)],
        (7, 12),
    ),
]
FOCUS_AREAS = [
    (
        "Børn og unges trivsel",
        "Færre børn og unge med skolefravær og i voldelige konflikter; tidlig fælles indsats.",
        ["skolefravaer", "vold"],
        [ForumKind.SSP],
        FocusAreaStatus.Progress.ON_TRACK,
        "Fælles skolefraværsindsats er i gang på tre skoler. Tallene følges kvartalsvis.",
    ),
    (
        "Psykisk sårbare personer",
        "Sammenhængende hjælp til psykisk sårbare personer, der begår eller udsættes for "
        "kriminalitet, gennem PSP.",
        ["psykisk_saarbarhed", "misbrug"],
        [ForumKind.PSP],
        FocusAreaStatus.Progress.DELAYED,
        "PSP mødes hver måned; udskrivningsaftaler med psykiatrien mangler stadig.",
    ),
    (
        "Ungdomskriminalitet",
        "Færre unge, der begår berigelseskriminalitet og hærværk.",
        ["berigelse", "haervaerk"],
        [ForumKind.SSP],
        FocusAreaStatus.Progress.ON_TRACK,
        "Nattevandring og opsøgende arbejde i weekenderne er udvidet.",
    ),
    (
        "Radikalisering og ekstremisme",
        "Opsporing og exit-forløb i samarbejde med Infohus og kriminalforsorgen.",
        ["radikalisering"],
        [ForumKind.KSP, ForumKind.INFOHUS],
        FocusAreaStatus.Progress.NOT_STARTED,
        "Indsatsen planlægges med Infohus i første kvartal.",
    ),
]


def seed_councils() -> int:
    """The demo council, its plan and meeting, background data and releases; returns how many
    releases were made."""
    municipality = Municipality.objects.get(code="101")
    _seed_background(municipality)
    council = _seed_council(municipality)
    _seed_plan(council)
    return statistics.freeze_all(timezone.localdate().year - 1)


@transaction.atomic
def _seed_council(municipality: Municipality) -> Council:
    district = municipality.police_district
    council, _ = Council.objects.get_or_create(
        kind=Council.Kind.KREDSRAAD,
        police_district=district,
        defaults={"name": f"Kredsrådet i {district.name if district else ''}"},
    )
    member = User.objects.get(email=COUNCIL_MEMBER)
    CouncilMembership.objects.get_or_create(
        council=council,
        user=member,
        defaults={
            "role": CouncilMembership.Role.SECRETARY,
            "valid_from": datetime.date(timezone.localdate().year - 1, 1, 1),
        },
    )
    return council


@transaction.atomic
def _seed_plan(council: Council) -> None:
    if council.plans.exists():
        return
    year = timezone.localdate().year
    plan = CooperationPlan.objects.create(
        council=council,
        title=f"Samarbejdsplan {year}",
        period_start=datetime.date(year, 1, 1),
        period_end=datetime.date(year, 12, 31),
    )
    member = User.objects.get(email=COUNCIL_MEMBER)
    forums = Forum.objects.filter(municipality__police_district=council.police_district)
    agencies = Agency.objects.filter(municipality__police_district=council.police_district)
    meeting = CouncilMeeting.objects.create(
        council=council,
        held_on=timezone.localdate() - datetime.timedelta(days=14),
        location="Politigården",
        agenda="1. Velkomst\n2. Status på punkter i samarbejdsplanen\n3. Statistik for "
        "seneste kvartal\n4. Eventuelt",
        minutes="Status blev gennemgået. Rådet ønsker tallene for PSP fulgt særligt.",
    )
    for order, (title, text, categories, kinds, progress, status) in enumerate(FOCUS_AREAS):
        area = FocusArea.objects.create(
            plan=plan, title=title, description=text, categories=categories, order=order
        )
        area.forums.set(forums.filter(kind__in=kinds))
        area.agencies.set(agencies.filter(kind__in=["politi", "skole", "socialforvaltning"]))
        FocusAreaStatus.objects.create(
            area=area,
            progress=progress,
            text=status,
            written_on=meeting.held_on,
            meeting=meeting,
            author=member,
        )
        meeting.focus_areas.add(area)


def _background_user(municipality: Municipality) -> User:
    agency = Agency.objects.filter(municipality=municipality, kind=Agency.Kind.SKOLE).first()
    user, created = User.objects.get_or_create(
        email=BACKGROUND_USER,
        defaults={"full_name": "Baggrundsdata til statistik", "agency": agency},
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
        user.groups.set([Group.objects.get_or_create(name="member")[0]])
    return user


def _seed_background(municipality: Municipality) -> None:
    actor = _background_user(municipality)
    rng = random.Random(13)  # noqa: S311 - the same demo every time; nothing secret
    today = timezone.localdate()
    quarters = [quarter_of(today)]
    for _ in range(5):
        quarters.insert(0, quarters[0].previous())
    for name, kind, (youngest, oldest), categories, (low, high) in BACKGROUND:
        forum, created = Forum.objects.get_or_create(
            municipality=municipality, name=name, defaults={"kind": kind}
        )
        if not created and forum.case_files.exists():
            continue
        if actor.agency is not None:
            forum.agencies.add(actor.agency)
        Membership.objects.get_or_create(
            forum=forum, user=actor, defaults={"valid_from": datetime.date(today.year - 2, 1, 1)}
        )
        _fill(forum, actor, quarters, rng, (youngest, oldest), categories, (low, high))


@transaction.atomic
def _fill(
    forum: Forum,
    actor: User,
    quarters: list[Period],
    rng: random.Random,
    ages: tuple[int, int],
    categories: list[tuple[str, int]],
    per_quarter: tuple[int, int],
) -> None:
    backdating = Backdating()
    codes = [c for c, w in categories for _ in range(w)]
    today = timezone.localdate()
    number = 0
    for quarter in quarters:
        days = (min(quarter.end_day, today) - quarter.first_day).days
        for _ in range(rng.randint(*per_quarter)):
            number += 1
            when = timezone.make_aware(
                datetime.datetime.combine(
                    quarter.first_day + datetime.timedelta(days=rng.randrange(max(days, 1))),
                    datetime.time(10),
                )
            )
            if when > timezone.now():
                continue
            age = rng.randint(*ages)
            result = concern_register(
                actor=actor,
                forum=forum,
                identity=IdentityInput(
                    name=f"Baggrund {forum.pk}-{number}",
                    birth_date=datetime.date(when.year - age, rng.randint(1, 12), 1),
                ),
                categories=[rng.choice(codes)],
                description="Baggrundsdata til demoens statistik.",
                source_agency=actor.agency,
                necessity=NECESSITY,
            )
            backdating.opened[result.concern.case_file_id] = when
            backdating.concerns[result.concern.pk] = (when, None)
    backdating.apply()
