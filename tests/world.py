"""The personas of the test suite and a small world they live in.

One SSP forum ("forum") in municipality 101 with a coordinator, a chair, a school member, a
police member and an expired member; another forum ("other_forum") with an outsider; a DPO and
an administrator. Person ``person`` is on ``forum`` (anonymous), with a concern, an agency
note of the school and a note shared with the forum; ``other_person`` is on ``other_forum``.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.utils import timezone

from accounts.models import Agency, User
from coordination.models import Note
from coordination.services import note_create
from forums.models import Forum, ForumKind, Membership
from persons.models import CaseFile, Concern, FocusPerson
from persons.services import IdentityInput, concern_register
from tests.factories import AgencyFactory, MunicipalityFactory, UserFactory

PERSON_NAME = "Rasmus Testbarn"
PERSON_CPR = "0103124567"  # 1 March 2012 (7th digit 4: 2000s)
OTHER_NAME = "Nadia Andetbarn"
OTHER_CPR = "1506114321"
AGENCY_NOTE_TEXT = "Skolens interne iagttagelse om fravær og mistrivsel"
FORUM_NOTE_TEXT = "Politiets oplysning om færden ved stationen om aftenen"
CONCERN_TEXT = "Bekymring om hærværk og fravær fra skolen"
NECESSITY = "Skolen skal kende risikoen for at kunne hjælpe den unge i tide."


@dataclass
class World:
    municipality_code: str
    school: Agency
    police: Agency
    social: Agency
    forum: Forum
    other_forum: Forum
    coordinator: User
    chair: User
    school_member: User
    police_member: User
    expired_member: User
    outsider: User
    dpo: User
    admin: User
    person: FocusPerson
    case_file: CaseFile
    concern: Concern
    agency_note: Note
    forum_note: Note
    other_person: FocusPerson
    other_case_file: CaseFile


def _member(
    forum: Forum, user: User, role: str = Membership.Role.MEMBER, **dates: datetime.date
) -> None:
    Membership.objects.create(
        forum=forum,
        user=user,
        role=role,
        valid_from=dates.get("valid_from", datetime.date(2026, 1, 1)),
        valid_to=dates.get("valid_to"),
    )


def build_world() -> World:
    municipality = MunicipalityFactory.create(code="101", name="København")
    school = AgencyFactory(name="Skolen", kind=Agency.Kind.SKOLE, municipality=municipality)
    police = AgencyFactory(name="Politiet", kind=Agency.Kind.POLITI, municipality=municipality)
    social = AgencyFactory(
        name="Socialforvaltningen", kind=Agency.Kind.SOCIALFORVALTNING, municipality=municipality
    )
    forum = Forum.objects.create(
        name="SSP Test", kind=ForumKind.SSP, municipality=municipality, age_max=17
    )
    other_forum = Forum.objects.create(
        name="SSP Andet", kind=ForumKind.SSP, municipality=municipality, age_max=17
    )
    forum.agencies.set([school, police, social])
    other_forum.agencies.set([school, social])

    coordinator = UserFactory(full_name="Karen Koordinator", agency=school, roles=["coordinator"])
    chair = UserFactory(full_name="Frida Formand", agency=social, roles=["member"])
    school_member = UserFactory(full_name="Sofie Skole", agency=school, roles=["member"])
    police_member = UserFactory(full_name="Peter Politi", agency=police, roles=["member"])
    expired_member = UserFactory(full_name="Ebbe Udløbet", agency=school, roles=["member"])
    outsider = UserFactory(full_name="Otto Udenfor", agency=social, roles=["coordinator"])
    dpo = UserFactory(full_name="Dorthe DPO", agency=social, roles=["dpo"])
    admin = UserFactory(full_name="Anders Admin", agency=None, roles=["admin"], is_staff=True)

    _member(forum, coordinator, Membership.Role.COORDINATOR)
    _member(forum, chair, Membership.Role.CHAIR)
    _member(forum, school_member)
    _member(forum, police_member)
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    _member(forum, expired_member, valid_from=datetime.date(2025, 1, 1), valid_to=yesterday)
    _member(other_forum, outsider, Membership.Role.COORDINATOR)

    result = concern_register(
        actor=school_member,
        forum=forum,
        identity=IdentityInput(
            name=PERSON_NAME, cpr=PERSON_CPR, address="Testvej 12, 2200 København N"
        ),
        categories=["skolefravaer", "haervaerk"],
        description=CONCERN_TEXT,
        source_agency=school,
        necessity=NECESSITY,
    )
    case_file = result.concern.case_file
    agency_note = note_create(actor=school_member, case_file=case_file, body=AGENCY_NOTE_TEXT)
    forum_note = note_create(
        actor=police_member,
        case_file=case_file,
        body=FORUM_NOTE_TEXT,
        visibility="forum",
        necessity=NECESSITY,
    )
    other = concern_register(
        actor=outsider,
        forum=other_forum,
        identity=IdentityInput(name=OTHER_NAME, cpr=OTHER_CPR),
        categories=["vold"],
        description="Bekymring i det andet forum",
        source_agency=social,
        necessity=NECESSITY,
    )
    return World(
        municipality_code=municipality.code,
        school=school,
        police=police,
        social=social,
        forum=forum,
        other_forum=other_forum,
        coordinator=coordinator,
        chair=chair,
        school_member=school_member,
        police_member=police_member,
        expired_member=expired_member,
        outsider=outsider,
        dpo=dpo,
        admin=admin,
        person=result.person,
        case_file=case_file,
        concern=result.concern,
        agency_note=agency_note,
        forum_note=forum_note,
        other_person=other.person,
        other_case_file=other.concern.case_file,
    )
