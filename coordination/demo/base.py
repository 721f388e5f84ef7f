"""The demo's standing cast: forums, memberships and the first persons (with a concern and
notes), written through the services so encryption, rules and audit apply. Persons are seeded
once per forum (idempotent). The year of forum life around them is coordination.demo.life."""

from __future__ import annotations

import datetime

from django.db import transaction
from django.utils import timezone

from accounts.models import Agency, Municipality, User
from coordination.services import note_create
from forums.models import Forum, ForumKind, Membership
from forums.rules import DEFAULT_AGE_BANDS
from persons.models import CaseFile
from persons.retention import policy_for
from persons.services import (
    IdentityInput,
    casefile_update,
    concern_register,
    person_find_by_cpr,
)

KK, ODENSE = "101", "461"

# (municipality, name, kind, [(email prefix, role)])
FORUMS = [
    (
        KK,
        "SSP Nørrebro",
        ForumKind.SSP,
        [
            ("koordinator@kk", "coordinator"),
            ("formand@kk", "chair"),
            ("skole@kk", "member"),
            ("politi@kk", "member"),
            ("social@kk", "member"),
        ],
    ),
    (
        KK,
        "SSP+ København",
        ForumKind.SSP_PLUS,
        [
            ("koordinator@kk", "coordinator"),
            ("politi@kk", "member"),
            ("social@kk", "member"),
            ("kriminalforsorg@kk", "member"),
        ],
    ),
    (
        KK,
        "PSP København",
        ForumKind.PSP,
        [
            ("koordinator@kk", "coordinator"),
            ("politi@kk", "member"),
            ("social@kk", "chair"),
            ("psykiatri@kk", "member"),
        ],
    ),
    (
        KK,
        "KSP Hovedstaden",
        ForumKind.KSP,
        [
            ("koordinator@kk", "coordinator"),
            ("kriminalforsorg@kk", "chair"),
            ("social@kk", "member"),
            ("politi@kk", "member"),
        ],
    ),
    (
        KK,
        "§ 115-udvalget København",
        ForumKind.S115,
        [
            ("koordinator@kk", "coordinator"),
            ("skole@kk", "member"),
            ("politi@kk", "member"),
            ("social@kk", "member"),
        ],
    ),
    (
        KK,
        "Infohus København",
        ForumKind.INFOHUS,
        [
            ("koordinator@kk", "coordinator"),
            ("politi@kk", "member"),
            ("social@kk", "member"),
            ("psykiatri@kk", "member"),
            ("kriminalforsorg@kk", "member"),
        ],
    ),
    (
        ODENSE,
        "SSP Odense Øst",
        ForumKind.SSP,
        [
            ("koordinator@odense", "coordinator"),
            ("politi@odense", "member"),
            ("formand@odense", "chair"),
            ("skole@odense", "member"),
            ("social@odense", "member"),
        ],
    ),
    (
        ODENSE,
        "SSP+ Odense",
        ForumKind.SSP_PLUS,
        [
            ("koordinator@odense", "coordinator"),
            ("social@odense", "chair"),
            ("politi@odense", "member"),
        ],
    ),
]

# New seats start two years back, so the demo's year of past sessions has its members; seats
# of an older seed keep the date they were given.
MEMBERSHIP_YEARS_BACK = 2

# Fictitious people (the CPR numbers are made up but well-formed).
# (forum, reporter, name, cpr, address, categories, description, ksp letter, go named)
PERSONS = [
    (
        "SSP Nørrebro",
        "skole@kk",
        "Mikkel Demosen",
        "1203114345",
        "Testvej 1, 2200 København N",
        ["skolefravaer", "haervaerk"],
        "Højt fravær siden efterårsferien; set med ældre unge ved stationen.",
        "",
        True,
    ),
    (
        "SSP Nørrebro",
        "politi@kk",
        "Yasmin Prøvesen",
        "0502124322",
        "Prøvegade 7, 2200 København N",
        ["berigelse"],
        "Anholdt for butikstyveri sammen med to ældre; forældre kontaktet.",
        "",
        False,
    ),
    (
        "SSP Nørrebro",
        "social@kk",
        "Lukas Eksempelsen",
        "2907105127",
        "",
        ["vold", "omsorgssvigt"],
        "Episoder med vold i skolegården; familien har underretninger.",
        "",
        False,
    ),
    (
        "SSP+ København",
        "politi@kk",
        "Omar Fiktivsen",
        "1408044511",
        "",
        ["bande", "narkotika_alkohol"],
        "Tilknytning til gruppering; salg af hash observeret.",
        "",
        False,
    ),
    (
        "PSP København",
        "psykiatri@kk",
        "Hanne Demodatter",
        "0306854218",
        "Demovej 3, 2400 København NV",
        ["psykisk_saarbarhed", "utryghed"],
        "Udskrevet; truende adfærd over for naboer, risiko for udsættelse.",
        "",
        False,
    ),
    (
        "KSP Hovedstaden",
        "kriminalforsorg@kk",
        "Jonas Testesen",
        "1109953217",
        "",
        ["loesladelse"],
        "Forventet løsladelse om 3 måneder; behov for bolig og beskæftigelse.",
        "a",
        False,
    ),
    (
        "SSP Odense Øst",
        "politi@odense",
        "Emma Opdigtetsen",
        "2204114226",
        "",
        ["digital"],
        "Deling af billeder af klassekammerat; afpresningsforsøg.",
        "",
        False,
    ),
]


# Retention in the demo ("Til sletning", README): one case file falls due in two weeks for lack
# of activity, one was closed long enough ago that tonight's run (or `apply_retention`) deletes
# it. Dated relative to the day of seeding.
RETENTION_DEMO = {"Lukas Eksempelsen": "inactive", "Yasmin Prøvesen": "closed"}


def _retention_demo(name: str, case_file: CaseFile) -> None:
    state = RETENTION_DEMO.get(name)
    if state is None:
        return
    policy = policy_for(case_file.forum.kind)
    now = timezone.now()
    if state == "inactive":
        last = now - datetime.timedelta(days=policy.inactivity_days - 14)
        CaseFile.objects.filter(pk=case_file.pk).update(last_activity_at=last)
    else:
        casefile_update(
            actor=user("koordinator@kk"),
            case_file=case_file,
            closed_reason="Forløbet er afsluttet; familien har fået hjælp gennem skolen.",
        )
        closed = now - datetime.timedelta(days=policy.closed_grace_days + 5)
        CaseFile.objects.filter(pk=case_file.pk).update(closed_at=closed, last_activity_at=closed)


def user(prefix: str) -> User:
    return User.objects.get(email=f"{prefix}.demo.tvaers.dk")


@transaction.atomic
def seed_cast() -> tuple[dict[str, Forum], int]:
    """Create the demo forums and first persons; returns the forums by name and how many
    persons were added."""
    forums: dict[str, Forum] = {}
    seats_from = timezone.localdate() - datetime.timedelta(days=365 * MEMBERSHIP_YEARS_BACK)
    for code, name, kind, seats in FORUMS:
        age_min, age_max = DEFAULT_AGE_BANDS[kind]
        forum, _ = Forum.objects.get_or_create(
            municipality=Municipality.objects.get(code=code),
            name=name,
            defaults={"kind": kind, "age_min": age_min, "age_max": age_max},
        )
        forums[name] = forum
        for prefix, role in seats:
            seat = user(prefix)
            Membership.objects.get_or_create(
                user=seat,
                forum=forum,
                defaults={"role": role, "valid_from": seats_from},
            )
            if seat.agency_id:
                forum.agencies.add(seat.agency_id)
    added = 0
    for forum_name, reporter_prefix, name, cpr, address, categories, text, letter, named in PERSONS:
        forum = forums[forum_name]
        if CaseFile.objects.filter(
            forum=forum, person__identity__cpr_index__isnull=False
        ).count() >= sum(1 for p in PERSONS if p[0] == forum_name):
            continue
        reporter = user(reporter_prefix)
        known = person_find_by_cpr(forum=forum, cpr=cpr)
        if known is not None and known.case_files.filter(forum=forum).exists():
            continue  # seeded by an earlier run
        result = concern_register(
            actor=reporter,
            forum=forum,
            identity=IdentityInput(name=name, cpr=cpr, address=address),
            categories=categories,
            description=text,
            source_agency=Agency.objects.get(users=reporter),
            necessity="Forummet skal kende bekymringen for at kunne forebygge kriminalitet i tide.",
            ksp_letter=letter,
        )
        added += 1
        case_file = result.concern.case_file
        note_create(
            actor=reporter,
            case_file=case_file,
            body=f"Intern note fra {reporter.agency}: samtale planlagt med familien i næste uge.",
        )
        if named:
            casefile_update(
                actor=user("koordinator@kk"),
                case_file=case_file,
                mode=CaseFile.Mode.NAMED,
                reason="Flere myndigheder skal koordinere konkrete tiltag over for den unge og familien.",
            )
            note_create(
                actor=user("politi@kk"),
                case_file=case_file,
                body="Set sammen med ældre unge ved Nørrebro Station tre aftener i træk.",
                visibility="forum",
                necessity="Skolen og socialforvaltningen skal kende risikoen for at kunne tilbyde hjælp.",
            )
        _retention_demo(name, case_file)  # last: the notes above count as activity
    return forums, added
