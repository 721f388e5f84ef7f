"""Bench users: members in two forums of one municipality each (a coordinator and a chair per
forum, police among them), a DPO per municipality and one user with no memberships. One
password hash for all; a confirmed TOTP device each, its key derived from the email."""

from __future__ import annotations

import datetime
import hashlib
import random
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import Agency, User
from accounts.roles import Role
from coordination.bench.copying import Timings, copy_rows, next_id
from coordination.bench.geography import ForumPlan, Geography
from forums.models import Membership

# The agency kinds of members in turn: one in eight is police.
MEMBER_KINDS = [
    Agency.Kind.SKOLE,
    Agency.Kind.SOCIALFORVALTNING,
    Agency.Kind.POLITI,
    Agency.Kind.PSYKIATRI,
    Agency.Kind.SOCIALFORVALTNING,
    Agency.Kind.KRIMINALFORSORG,
    Agency.Kind.SKOLE,
    Agency.Kind.ANDET,
]
FIRST_NAMES = ["Anne", "Mette", "Lars", "Jens", "Sofie", "Peter", "Hanne", "Mads", "Ida", "Ole"]
LAST_NAMES = ["Jensen", "Nielsen", "Hansen", "Pedersen", "Andersen", "Larsen", "Sørensen"]
EMAIL_DOMAIN = "bench.tvaers.dk"


def totp_key(email: str) -> str:
    """The bench user's TOTP key (hex, as django-otp stores it): anyone with the email can
    compute it, which is the point of a benchmark account and why DEBUG must be on."""
    return hashlib.sha256(email.encode()).hexdigest()[:40]


@dataclass
class BenchUser:
    pk: int
    email: str
    agency: Agency | None
    role: str
    forums: list[ForumPlan] = field(default_factory=list)


@dataclass
class People:
    members: list[BenchUser]
    dpos: dict[int, BenchUser]  # municipality id -> DPO
    nobody: BenchUser


def _by_municipality(geography: Geography) -> dict[int, list[ForumPlan]]:
    grouped: dict[int, list[ForumPlan]] = {}
    for plan in geography.forums:
        grouped.setdefault(plan.forum.municipality_id, []).append(plan)
    return grouped


def _members(geography: Geography, total: int, first_pk: int) -> list[BenchUser]:
    grouped = _by_municipality(geography)
    forums_total = len(geography.forums)
    users: list[BenchUser] = []
    placed = 0.0
    for plans in grouped.values():
        placed += total * len(plans) / forums_total
        count = round(placed) - len(users)
        for j in range(count):
            pk = first_pk + len(users)
            kind = MEMBER_KINDS[j % len(MEMBER_KINDS)]
            agency = plans[0].agencies[kind][0]
            user = BenchUser(pk, f"bruger{len(users) + 1:05d}@{EMAIL_DOMAIN}", agency, Role.MEMBER)
            user.forums = [plans[j % len(plans)], plans[(j + 1) % len(plans)]]
            for plan in user.forums:
                plan.members.append((pk, Membership.Role.MEMBER, agency))
            users.append(user)
    return users


def _appoint(geography: Geography, users: dict[int, BenchUser]) -> None:
    """A coordinator and a chair per forum, never police (the first non-police members)."""
    for plan in geography.forums:
        civilians = [i for i, (_pk, _r, a) in enumerate(plan.members) if a.kind != "politi"]
        for index, role in zip(civilians, Membership.MANAGING_ROLES[::-1], strict=False):
            pk, _role, agency = plan.members[index]
            plan.members[index] = (pk, role, agency)
            if role == Membership.Role.COORDINATOR:
                users[pk].role = Role.COORDINATOR


def _others(geography: Geography, first_pk: int) -> tuple[dict[int, BenchUser], BenchUser]:
    dpos = {
        place.pk: BenchUser(
            first_pk + i, f"dpo{place.code}@{EMAIL_DOMAIN}", geography.social[place.pk], Role.DPO
        )
        for i, place in enumerate(geography.municipalities)
    }
    some_agency = geography.social[geography.forums[0].forum.municipality_id]
    nobody = BenchUser(first_pk + len(dpos), f"ingen@{EMAIL_DOMAIN}", some_agency, Role.MEMBER)
    return dpos, nobody


def _user_rows(users: list[BenchUser], password: str, rng: random.Random) -> Any:
    joined = timezone.now() - datetime.timedelta(days=400)
    for user in users:
        name = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
        agency_id = user.agency.pk if user.agency else None
        yield (user.pk, password, None, False, user.email, name, agency_id, True, False, joined)


def _write(
    geography: Geography,
    everyone: list[BenchUser],
    password: str,
    rng: random.Random,
    timings: Timings,
) -> None:
    fields = [
        "id",
        "password",
        "last_login",
        "is_superuser",
        "email",
        "full_name",
        "agency_id",
        "is_active",
        "is_staff",
        "date_joined",
    ]
    copy_rows(User, fields, _user_rows(everyone, make_password(password), rng), timings)
    groups = {role: Group.objects.get_or_create(name=role)[0].pk for role in Role.values}
    through = User.groups.through
    first = next_id(through)
    copy_rows(
        through,
        ["id", "user_id", "group_id"],
        ((first + i, u.pk, groups[u.role]) for i, u in enumerate(everyone)),
        timings,
    )
    now = timezone.now()
    copy_rows(
        TOTPDevice,
        ["user_id", "name", "confirmed", "key", "created_at"],
        ((u.pk, "Bench", True, totp_key(u.email), now) for u in everyone),
        timings,
    )
    start = timezone.localdate() - datetime.timedelta(days=365)
    memberships = (
        (pk, plan.forum.pk, role, start, None)
        for plan in geography.forums
        for pk, role, _agency in plan.members
    )
    copy_rows(
        Membership, ["user_id", "forum_id", "role", "valid_from", "valid_to"], memberships, timings
    )


def seed_people(
    geography: Geography, total: int, password: str, rng: random.Random, timings: Timings
) -> People:
    first = next_id(User)
    members = _members(geography, total, first)
    _appoint(geography, {u.pk: u for u in members})
    dpos, nobody = _others(geography, first + len(members))
    people = People(members, dpos, nobody)
    _write(geography, [*members, *dpos.values(), nobody], password, rng, timings)
    return people
