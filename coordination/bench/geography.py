"""Regions, police districts, the 98 municipalities, their agencies and the forums."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from accounts.models import Agency, Municipality, PoliceDistrict, Region
from coordination.bench.copying import Timings
from coordination.bench.denmark import REGIONS, municipalities
from forums.models import Forum, ForumKind
from forums.rules import DEFAULT_AGE_BANDS

FORUM_KINDS = [ForumKind.SSP, ForumKind.SSP_PLUS, ForumKind.PSP, ForumKind.KSP, ForumKind.S115]
# Local agencies of every municipality: (name pattern, kind, self-governing)
LOCAL_AGENCIES = [
    ("{name} Kommune, Skoleafdelingen", Agency.Kind.SKOLE, False),
    ("{name} Kommune, Socialforvaltningen", Agency.Kind.SOCIALFORVALTNING, False),
    ("Ungdomsklubben {name} (selvejende)", Agency.Kind.ANDET, True),
]


@dataclass
class ForumPlan:
    forum: Forum
    agencies: dict[str, list[Agency]]  # by kind: the agencies serving its municipality
    members: list[tuple[int, str, Agency]] = field(default_factory=list)  # user id, role, agency


@dataclass
class Geography:
    municipalities: list[Municipality]
    agencies: list[Agency]
    serving: dict[int, dict[str, list[Agency]]]  # municipality id -> kind -> agencies
    forums: list[ForumPlan]
    social: dict[int, Agency]  # municipality id -> its social services (the DPO's agency)


def _places() -> tuple[list[Municipality], dict[str, PoliceDistrict], dict[str, Region]]:
    regions = {r.name: r for r in Region.objects.bulk_create(Region(name=n) for n in REGIONS)}
    rows = municipalities()
    names = list(dict.fromkeys(district for _c, _n, district, _r in rows))
    districts = {
        d.name: d for d in PoliceDistrict.objects.bulk_create(PoliceDistrict(name=n) for n in names)
    }
    created = Municipality.objects.bulk_create(
        Municipality(code=code, name=name, police_district=districts[d], region=regions[r])
        for code, name, d, r in rows
    )
    return created, districts, regions


def _agencies(
    places: list[Municipality], districts: dict[str, PoliceDistrict], regions: dict[str, Region]
) -> list[Agency]:
    agencies = [
        Agency(name=pattern.format(name=m.name), kind=kind, municipality=m, is_self_governing=sg)
        for m in places
        for pattern, kind, sg in LOCAL_AGENCIES
    ]
    seat_of_district = {m.police_district_id: m for m in reversed(places)}
    seat_of_region = {m.region_id: m for m in reversed(places)}
    agencies += [
        Agency(
            name=d.name,
            kind=Agency.Kind.POLITI,
            municipality=seat_of_district[d.pk],
            police_district=d,
        )
        for d in districts.values()
    ]
    for region in regions.values():
        seat = seat_of_region[region.pk]
        agencies.append(
            Agency(
                name=f"Psykiatrien i {region.name}",
                kind=Agency.Kind.PSYKIATRI,
                municipality=seat,
                region=region,
            )
        )
        agencies.append(
            Agency(
                name=f"Kriminalforsorgen, {region.name}",
                kind=Agency.Kind.KRIMINALFORSORG,
                municipality=seat,
                region=region,
            )
        )
    return Agency.objects.bulk_create(agencies)


def _serving(
    places: list[Municipality], agencies: list[Agency]
) -> dict[int, dict[str, list[Agency]]]:
    serving: dict[int, dict[str, list[Agency]]] = {}
    for place in places:
        by_kind: dict[str, list[Agency]] = {}
        for agency in agencies:
            if agency.serves(place):
                by_kind.setdefault(agency.kind, []).append(agency)
        serving[place.pk] = by_kind
    return serving


def forum_counts(forums: int, places: int) -> list[int]:
    """Forums per municipality for the first municipalities used: at least two in each (a
    member sits in two forums of one municipality), spread as evenly as the count allows."""
    used = max(1, min(places, forums // 2))
    return [forums // used + (1 if i < forums % used else 0) for i in range(used)]


def _spread(places: list[Municipality], used: int) -> list[Municipality]:
    """``used`` municipalities spread over the country (the list runs by police district)."""
    step = len(places) / used
    return [places[int(i * step)] for i in range(used)]


def _forums(
    places: list[Municipality], serving: dict[int, dict[str, list[Agency]]], total: int
) -> list[ForumPlan]:
    counts = forum_counts(total, len(places))
    unsaved: list[Forum] = []
    for place, count in zip(_spread(places, len(counts)), counts, strict=True):
        for i in range(count):
            kind = FORUM_KINDS[i % len(FORUM_KINDS)]
            age_min, age_max = DEFAULT_AGE_BANDS[kind]
            suffix = f" {i // len(FORUM_KINDS) + 1}" if i >= len(FORUM_KINDS) else ""
            name = f"{ForumKind(kind).label} {place.name}{suffix}"
            unsaved.append(
                Forum(name=name, kind=kind, municipality=place, age_min=age_min, age_max=age_max)
            )
    forums = Forum.objects.bulk_create(unsaved)
    plans = [ForumPlan(forum, serving[forum.municipality_id]) for forum in forums]
    links = [
        Forum.agencies.through(forum_id=plan.forum.pk, agency_id=agency.pk)
        for plan in plans
        for agencies in plan.agencies.values()
        for agency in agencies
    ]
    Forum.agencies.through.objects.bulk_create(links)
    return plans


def seed_geography(forums: int, timings: Timings) -> Geography:
    """The small tables, through bulk_create (COPY is for the big ones)."""
    started = time.perf_counter()
    places, districts, regions = _places()
    agencies = _agencies(places, districts, regions)
    serving = _serving(places, agencies)
    social = {a.municipality_id: a for a in agencies if a.kind == Agency.Kind.SOCIALFORVALTNING}
    plans = _forums(places, serving, forums)
    timings.add(
        "(geography: regions, districts, municipalities, agencies, forums)",
        len(regions) + len(districts) + len(places) + len(agencies) + len(plans),
        time.perf_counter() - started,
    )
    return Geography(places, agencies, serving, plans, social)
