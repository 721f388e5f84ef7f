"""A police district with two municipalities and a dataset with known answers for the council
statistics: made in the third quarter of 2026 (time travel), released afterwards."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

import pytest
import time_machine

from accounts.models import Agency, Municipality, PoliceDistrict, User
from coordination.services import note_create
from councils.models import (
    CooperationPlan,
    Council,
    CouncilMembership,
    FocusArea,
)
from forums.models import Forum, ForumKind, Membership
from persons.models import CaseFile
from persons.services import IdentityInput, concern_register
from tests.factories import AgencyFactory, UserFactory
from tests.world import NECESSITY

IN_Q3 = datetime.datetime(2026, 8, 14, 10, 0, tzinfo=datetime.UTC)


@dataclass
class District:
    district: PoliceDistrict
    aby: Municipality
    bby: Municipality
    school: Agency
    police: Agency
    social: Agency
    ssp: Forum
    psp: Forum
    teacher: User
    officer: User
    social_worker: User
    kredsraad: Council
    lokalraad: Council
    member: User  # council role, member of the kredsråd
    secretary: User  # council role, the kredsråd's secretary
    local_member: User  # council role, member of Aby's lokalråd only
    plan: CooperationPlan
    focus: FocusArea


def _join(forum: Forum, user: User) -> None:
    Membership.objects.create(forum=forum, user=user, valid_from=datetime.date(2026, 1, 1))


def register(
    d: District, forum: Forum, actor: User, source: Agency, category: str, n: int, born: int
) -> None:
    """``n`` concerns about ``n`` different persons (each opens a case file)."""
    for i in range(n):
        concern_register(
            actor=actor,
            forum=forum,
            identity=IdentityInput(
                name=f"Person {forum.pk} {category} {born} {i}",
                birth_date=datetime.date(born, 3, 1),
            ),
            categories=[category],
            description="Bekymring til statistik",
            source_agency=source,
            necessity=NECESSITY,
        )


def build_district() -> District:
    district = PoliceDistrict.objects.create(name="Testkredsen")
    aby = Municipality.objects.create(code="901", name="Aby", police_district=district)
    bby = Municipality.objects.create(code="902", name="Bby", police_district=district)
    school = AgencyFactory(name="Aby Skole", kind=Agency.Kind.SKOLE, municipality=aby)
    police = AgencyFactory(
        name="Testkredsens Politi",
        kind=Agency.Kind.POLITI,
        municipality=aby,
        police_district=district,
    )
    social = AgencyFactory(
        name="Bby Socialforvaltning", kind=Agency.Kind.SOCIALFORVALTNING, municipality=bby
    )
    ssp = Forum.objects.create(name="SSP Aby", kind=ForumKind.SSP, municipality=aby, age_max=17)
    psp = Forum.objects.create(name="PSP Bby", kind=ForumKind.PSP, municipality=bby, age_min=18)
    ssp.agencies.set([school, police])
    psp.agencies.set([social, police])
    teacher = UserFactory.create(full_name="Tina Lærer", agency=school, roles=["member"])
    officer = UserFactory.create(full_name="Ole Betjent", agency=police, roles=["member"])
    social_worker = UserFactory.create(full_name="Sara Social", agency=social, roles=["member"])
    _join(ssp, teacher)
    _join(ssp, officer)
    _join(psp, social_worker)
    _join(psp, officer)

    kredsraad = Council.objects.create(
        name="Kredsrådet i Testkredsen", kind=Council.Kind.KREDSRAAD, police_district=district
    )
    lokalraad = Council.objects.create(
        name="Lokalrådet i Aby", kind=Council.Kind.LOKALRAAD, municipality=aby
    )
    member = UserFactory.create(full_name="Rikke Rådsmedlem", agency=police, roles=["council"])
    secretary = UserFactory.create(full_name="Søren Sekretær", agency=police, roles=["council"])
    local_member = UserFactory.create(full_name="Lone Lokal", agency=school, roles=["council"])
    since = datetime.date(2026, 1, 1)
    CouncilMembership.objects.create(council=kredsraad, user=member, valid_from=since)
    CouncilMembership.objects.create(
        council=kredsraad,
        user=secretary,
        role=CouncilMembership.Role.SECRETARY,
        valid_from=since,
    )
    CouncilMembership.objects.create(council=lokalraad, user=local_member, valid_from=since)
    plan = CooperationPlan.objects.create(
        council=kredsraad,
        title="Samarbejdsplan 2026",
        period_start=datetime.date(2026, 1, 1),
        period_end=datetime.date(2026, 12, 31),
    )
    focus = FocusArea.objects.create(
        plan=plan,
        title="Børn og unges trivsel",
        description="Færre unge i voldelige konflikter.",
        categories=["vold"],
    )
    focus.agencies.set([school, police])
    focus.forums.set([ssp])
    return District(
        district,
        aby,
        bby,
        school,
        police,
        social,
        ssp,
        psp,
        teacher,
        officer,
        social_worker,
        kredsraad,
        lokalraad,
        member,
        secretary,
        local_member,
        plan,
        focus,
    )


def known_answers(d: District) -> None:
    """Aby: 7 concerns about violence from the school (persons aged 15), and the police
    shares a note on 5 of them (§ 115, stk. 1); Bby: 6 about psychological vulnerability
    from social services (persons aged 36). No count below 5."""
    with time_machine.travel(IN_Q3, tick=False):
        register(d, d.ssp, d.teacher, d.school, "vold", 7, born=2011)
        register(d, d.psp, d.social_worker, d.social, "psykisk_saarbarhed", 6, born=1990)
        for case_file in CaseFile.objects.filter(forum=d.ssp).order_by("pk")[:5]:
            note_create(
                actor=d.officer,
                case_file=case_file,
                body="Set i området.",
                visibility="forum",
                necessity=NECESSITY,
            )


@pytest.fixture
def district(db: Any) -> District:
    return build_district()


def neighbour() -> tuple[Council, Municipality, Forum, Agency]:
    """Another district's kredsråd, with a municipality, a forum and an agency of its own."""
    other = PoliceDistrict.objects.create(name="Naboredsen")
    cby = Municipality.objects.create(code="903", name="Cby", police_district=other)
    council = Council.objects.create(
        name="Kredsrådet i Naboredsen", kind=Council.Kind.KREDSRAAD, police_district=other
    )
    forum = Forum.objects.create(name="SSP Cby", kind=ForumKind.SSP, municipality=cby)
    agency = AgencyFactory.create(name="Cby Skole", kind=Agency.Kind.SKOLE, municipality=cby)
    return council, cby, forum, agency
