"""Demo agencies and users for `manage.py seed_demo`: a few of each, with one shared password
and one shared TOTP secret (the second factor), both published. Only seed_demo uses them, and
it refuses to run with DEBUG off unless told it is a training installation."""

from __future__ import annotations

import base64
from dataclasses import dataclass

from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX, check_password, make_password
from django.contrib.auth.models import Group
from django.db import transaction
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import Agency, Municipality, PoliceDistrict, Region, User
from accounts.roles import Role
from accounts.signals import account_event

DEMO_PASSWORD = "Tvaers-demo-2026"  # noqa: S105 - printed by seed_demo and listed in README.md
# Base32, as an authenticator app takes it; printed by seed_demo and listed in README.md.
# `manage.py demo_otp EMAIL` prints the current code for it.
DEMO_TOTP_SECRET = "TVAERSDEMOTVAERSDEMOTVAERSDEMO23"  # noqa: S105 - published on purpose
DEMO_TOTP_DEVICE_NAME = "Demo"


def demo_totp_key() -> str:
    """DEMO_TOTP_SECRET as django-otp stores a key (hex)."""
    return base64.b32decode(DEMO_TOTP_SECRET).hex()


# (code, name, police district, region)
MUNICIPALITIES = [
    ("101", "København", "Københavns Politi", "Region Hovedstaden"),
    ("461", "Odense", "Fyns Politi", "Region Syddanmark"),
]
# The police serve their whole district, psychiatry its whole region.
DISTRICT_AGENCIES = {"Københavns Politi", "Fyns Politi"}
REGION_AGENCIES = {"Region Hovedstadens Psykiatri", "Psykiatrien i Region Syddanmark"}

# (municipality code, agency name, kind, self-governing)
AGENCIES = [
    ("101", "Københavns Politi", Agency.Kind.POLITI, False),
    ("101", "Københavns Kommune, Børne- og Ungdomsforvaltningen", Agency.Kind.SKOLE, False),
    ("101", "Københavns Kommune, Socialforvaltningen", Agency.Kind.SOCIALFORVALTNING, False),
    ("101", "Region Hovedstadens Psykiatri", Agency.Kind.PSYKIATRI, False),
    ("101", "Kriminalforsorgen Hovedstaden", Agency.Kind.KRIMINALFORSORG, False),
    ("101", "Ungdomsklubben Nørrebro (selvejende)", Agency.Kind.ANDET, True),
    ("461", "Fyns Politi", Agency.Kind.POLITI, False),
    ("461", "Odense Kommune, Skoleafdelingen", Agency.Kind.SKOLE, False),
    ("461", "Odense Kommune, Socialafdelingen", Agency.Kind.SOCIALFORVALTNING, False),
    ("461", "Psykiatrien i Region Syddanmark", Agency.Kind.PSYKIATRI, False),
    ("461", "Kriminalforsorgen Syddanmark", Agency.Kind.KRIMINALFORSORG, False),
]


@dataclass(frozen=True)
class DemoUser:
    email: str
    full_name: str
    agency: str | None
    role: Role


USERS = [
    DemoUser(
        "koordinator@kk.demo.tvaers.dk", "Karen Koordinator", AGENCIES[1][1], Role.COORDINATOR
    ),
    DemoUser("formand@kk.demo.tvaers.dk", "Frida Formand", AGENCIES[2][1], Role.MEMBER),
    DemoUser("skole@kk.demo.tvaers.dk", "Sofie Skolelærer", AGENCIES[1][1], Role.MEMBER),
    DemoUser("politi@kk.demo.tvaers.dk", "Peter Politi", AGENCIES[0][1], Role.MEMBER),
    DemoUser("social@kk.demo.tvaers.dk", "Sara Socialrådgiver", AGENCIES[2][1], Role.MEMBER),
    DemoUser("psykiatri@kk.demo.tvaers.dk", "Per Psykiatri", AGENCIES[3][1], Role.MEMBER),
    DemoUser(
        "kriminalforsorg@kk.demo.tvaers.dk", "Kim Kriminalforsorg", AGENCIES[4][1], Role.MEMBER
    ),
    DemoUser(
        "koordinator@odense.demo.tvaers.dk", "Ole Koordinator", AGENCIES[7][1], Role.COORDINATOR
    ),
    DemoUser("politi@odense.demo.tvaers.dk", "Olivia Politi", AGENCIES[6][1], Role.MEMBER),
    DemoUser("formand@odense.demo.tvaers.dk", "Otto Formand", AGENCIES[8][1], Role.MEMBER),
    DemoUser("skole@odense.demo.tvaers.dk", "Oline Skolelærer", AGENCIES[7][1], Role.MEMBER),
    DemoUser("social@odense.demo.tvaers.dk", "Oskar Socialrådgiver", AGENCIES[8][1], Role.MEMBER),
    DemoUser("dpo@kk.demo.tvaers.dk", "Dorthe Databeskyttelse", AGENCIES[2][1], Role.DPO),
    DemoUser("admin@demo.tvaers.dk", "Anders Administrator", None, Role.ADMIN),
    # The kredsråd's secretary (councils.demo): council pages and anonymous statistics only.
    DemoUser("raad@kk.demo.tvaers.dk", "Rasmus Rådssekretær", AGENCIES[0][1], Role.COUNCIL),
]


def _seed_geography(municipalities: dict[str, Municipality], agencies: dict[str, Agency]) -> None:
    """Police districts and regions, filled in where still empty. Through update(): the
    models refuse to change them once in use, and demo data from before they existed is in
    use (this is the seed's one-time upgrade of its own data, never an administrator's)."""
    for code, _name, district, region in MUNICIPALITIES:
        rows = Municipality.objects.filter(pk=municipalities[code].pk)
        rows.filter(police_district__isnull=True).update(
            police_district=PoliceDistrict.objects.get_or_create(name=district)[0]
        )
        rows.filter(region__isnull=True).update(region=Region.objects.get_or_create(name=region)[0])
        municipalities[code].refresh_from_db()
    for name, agency in agencies.items():
        served = Agency.objects.filter(pk=agency.pk)
        if name in DISTRICT_AGENCIES:
            served.filter(police_district__isnull=True).update(
                police_district=agency.municipality.police_district
            )
        if name in REGION_AGENCIES:
            served.filter(region__isnull=True).update(region=agency.municipality.region)


class _DemoPasswords:
    """The demo password hashed once and shared by every demo user (it is published anyway):
    a hash costs about a second by design, and seed_demo must stay fast. Each distinct stored
    hash is checked once."""

    def __init__(self) -> None:
        self._encoded = ""
        self._checked: dict[str, bool] = {}

    def encoded(self) -> str:
        if not self._encoded:
            self._encoded = make_password(DEMO_PASSWORD)
            self._checked[self._encoded] = True
        return self._encoded

    def is_demo(self, stored: str) -> bool:
        if stored not in self._checked:
            usable = bool(stored) and not stored.startswith(UNUSABLE_PASSWORD_PREFIX)
            self._checked[stored] = usable and check_password(DEMO_PASSWORD, stored)
        return self._checked[stored]


@transaction.atomic
def seed_accounts() -> list[DemoUser]:
    """Create or refresh the demo agencies and users; safe to run any number of times."""
    passwords = _DemoPasswords()
    municipalities = {
        code: Municipality.objects.update_or_create(code=code, defaults={"name": name})[0]
        for code, name, _district, _region in MUNICIPALITIES
    }
    agencies = {
        name: Agency.objects.update_or_create(
            municipality=municipalities[code],
            name=name,
            defaults={"kind": kind, "is_self_governing": self_governing},
        )[0]
        for code, name, kind, self_governing in AGENCIES
    }
    _seed_geography(municipalities, agencies)
    for demo in USERS:
        user, _ = User.objects.update_or_create(
            email=demo.email,
            defaults={
                "full_name": demo.full_name,
                "agency": agencies[demo.agency] if demo.agency else None,
                "is_active": True,
                # Administrators manage users and agencies in Django admin; nobody else gets in.
                "is_staff": demo.role == Role.ADMIN,
            },
        )
        if not passwords.is_demo(user.password):  # a re-run is no password reset to record
            user.password = passwords.encoded()
            user.save(update_fields=["password"])
        user.groups.set([Group.objects.get_or_create(name=demo.role.value)[0]])
        _enrol_demo_device(user)
    return USERS


def _enrol_demo_device(user: User) -> None:
    """The user's only TOTP device holds DEMO_TOTP_SECRET (a re-run restores it, e.g. after
    an administrator's reset in the demo)."""
    key = demo_totp_key()
    TOTPDevice.objects.filter(user=user).exclude(name=DEMO_TOTP_DEVICE_NAME, key=key).delete()
    device, created = TOTPDevice.objects.get_or_create(
        user=user, name=DEMO_TOTP_DEVICE_NAME, key=key, defaults={"confirmed": True}
    )
    if not device.confirmed:
        device.confirmed = True
        device.save(update_fields=["confirmed"])
    if created:
        account_event.send(
            sender=User, actor=None, target=user, action="otp_enrolled", details={"demo": True}
        )
