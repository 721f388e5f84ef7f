"""The record of processing activities (fortegnelse, GDPR art. 30), one per forum kind.

Rendered from the code and the configuration, never typed twice: the forum kinds and their
age bands and § 115 cooperation numbers (forums), the concern categories (persons), the
retention periods (``persons.retention.policy_for``) and the security settings. It lives in
coordination, the app that may import forums and persons (the audit app imports no domain
app); the DPO's pages link to it. What only the law says (the meaning of each paragraph, who
each kind is for) is a table here, keyed by code.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Agency
from forums import rules
from forums.models import Forum, ForumKind
from persons import retention
from persons.categories import category_choices

ADULT_AGE = 18


# Who meets in each kind (domain.md, "The forums"): the agency kinds that receive information.
RECIPIENT_KINDS: dict[str, tuple[str, ...]] = {
    "ssp": (
        Agency.Kind.SKOLE,
        Agency.Kind.SOCIALFORVALTNING,
        Agency.Kind.POLITI,
        Agency.Kind.ANDET,
    ),
    "ssp_plus": (
        Agency.Kind.SKOLE,
        Agency.Kind.SOCIALFORVALTNING,
        Agency.Kind.POLITI,
        Agency.Kind.KRIMINALFORSORG,
        Agency.Kind.ANDET,
    ),
    "psp": (Agency.Kind.POLITI, Agency.Kind.SOCIALFORVALTNING, Agency.Kind.PSYKIATRI),
    "ksp": (Agency.Kind.KRIMINALFORSORG, Agency.Kind.SOCIALFORVALTNING, Agency.Kind.POLITI),
    "s115": (Agency.Kind.SKOLE, Agency.Kind.SOCIALFORVALTNING, Agency.Kind.POLITI),
    "infohus": (
        Agency.Kind.POLITI,
        Agency.Kind.SOCIALFORVALTNING,
        Agency.Kind.KRIMINALFORSORG,
        Agency.Kind.PSYKIATRI,
    ),
}


def _audiences() -> dict[str, str]:
    """About whom each kind meets (domain.md), for the purpose."""
    return {
        "ssp": _("børn og unge i risiko for kriminalitet"),
        "ssp_plus": _("unge voksne i risiko for kriminalitet"),
        "psp": _(
            "socialt udsatte voksne (psykisk sygdom, misbrug, truende adfærd, risiko for at "
            "miste boligen)"
        ),
        "ksp": _(
            "personer, der løslades fra kriminalforsorgens institutioner, unge under 18 år, der "
            "udskrives fra anbringelse, og løsladte, der vurderes radikaliserede eller i risiko"
        ),
        "s115": _("særligt kriminalitetstruede unge, der drøftes med navn"),
        "infohus": _("personer, der giver bekymring for radikalisering og ekstremisme"),
    }


def _cooperation_labels() -> dict[str, str]:
    """Retsplejelovens § 115, stk. 1, by the cooperation codes of forums.rules."""
    return {
        "nr1": _("stk. 1, nr. 1 (det kriminalitetsforebyggende samarbejde, SSP)"),
        "nr2": _(
            "stk. 1, nr. 2 (samarbejdet mellem politi, sociale myndigheder og psykiatri, PSP)"
        ),
        "nr3a": _("stk. 1, nr. 3, litra a (løsladte fra kriminalforsorgens institutioner, KSP)"),
        "nr3b": _("stk. 1, nr. 3, litra b (unge under 18 år udskrevet fra anbringelse, KSP)"),
        "nr3c": _("stk. 1, nr. 3, litra c (løsladte vurderet radikaliserede eller i risiko, KSP)"),
    }


def _paragraph_labels() -> dict[str, str]:
    """Who discloses on which paragraph (forums.rules.paragraph_for)."""
    return {
        "stk1": _("stk. 1: politiet videregiver til de andre myndigheder"),
        "stk2": _("stk. 2: de andre myndigheder videregiver til politiet og til hinanden"),
        "stk3": _(
            "stk. 3: selvejende institutioner med offentlige opgaver deltager på samme vilkår"
        ),
    }


@dataclass(frozen=True)
class Period:
    what: str
    period: str


@dataclass(frozen=True)
class Record:
    """The art. 30(1) record of one forum kind."""

    kind: str
    name: str
    controller: str
    purposes: tuple[str, ...]
    legal_basis: tuple[str, ...]
    persons: tuple[str, ...]
    data: tuple[str, ...]
    recipients: tuple[str, ...]
    deletion: tuple[Period, ...]


@dataclass(frozen=True)
class Register:
    """Every forum kind's record, and the security measures common to all (art. 30(1)(g))."""

    records: tuple[Record, ...]
    security: tuple[str, ...]
    made_on: datetime.date


def forum_kinds() -> list[tuple[str, str]]:
    """(code, label) of every forum kind, from the Forum model's choices."""
    field = Forum._meta.get_field("kind")
    return [(str(code), str(label)) for code, label in cast(Sequence[Any], field.choices)]


def cooperations(kind: str) -> tuple[str, ...]:
    """The § 115, stk. 1 cooperation codes a kind works under (KSP: all its letters)."""
    if kind == ForumKind.KSP:
        return tuple(
            code for letter in rules.KSP_LETTERS for code in rules.cooperations_for(kind, letter)
        )
    return tuple(rules.cooperations_for(kind))


def age_band(kind: str) -> tuple[int | None, int | None]:
    return rules.DEFAULT_AGE_BANDS.get(kind, (None, None))


def retention_policy(kind: str) -> retention.RetentionPolicy:
    return retention.policy_for(kind)


def access_log_days() -> int:
    return int(settings.AUDIT_ACCESS_RETENTION_DAYS)


def _band_text(low: int | None, high: int | None) -> str:
    if low is None and high is None:
        return _("ingen aldersgrænse")
    if high is None:
        return _("%(low)s år og derover") % {"low": low}
    return _("%(low)s-%(high)s år") % {"low": low or 0, "high": high}


def _purposes(kind: str, label: str) -> tuple[str, ...]:
    audience = _audiences().get(kind, label)
    return (
        _(
            "Forebyggelse af kriminalitet gennem samarbejde mellem myndigheder efter "
            "retsplejelovens § 115 om %(audience)s."
        )
        % {"audience": audience},
        _(
            "Koordinering af en fælles indsats (helhedsplan) med aftalte handlinger, ansvarlige "
            "myndigheder og frister."
        ),
        _(
            "Oplysningerne må ikke bruges til efterforskning af straffesager (retsplejelovens "
            "§ 115, stk. 2)."
        ),
    )


def _legal_basis(kind: str) -> tuple[str, ...]:
    numbers = _cooperation_labels()
    paragraphs = rules.PARAGRAPHS
    paragraph_labels = _paragraph_labels()
    return (
        *(
            _("Retsplejelovens § 115, %(number)s.") % {"number": numbers.get(code, code)}
            for code in cooperations(kind)
        ),
        *(
            _("Retsplejelovens § 115, %(paragraph)s.")
            % {"paragraph": paragraph_labels.get(code, code)}
            for code in paragraphs
        ),
        _(
            "Databeskyttelsesforordningens art. 6, stk. 1, litra e (opgave i samfundets "
            "interesse og myndighedsudøvelse)."
        ),
        _("Art. 9, stk. 2, litra g, jf. retsplejelovens § 115 (helbredsoplysninger)."),
        _("Art. 10 og databeskyttelseslovens § 8 (oplysninger om strafbare forhold)."),
        _(
            "Samtykke er ikke en betingelse (§ 115, stk. 4: ingen har pligt til at videregive); "
            "om samtykke er indhentet, afvist eller ikke søgt, registreres på sagen."
        ),
    )


def _persons(kind: str) -> tuple[str, ...]:
    low, high = age_band(kind)
    minors = low is None or low < ADULT_AGE
    adults = high is None or high >= ADULT_AGE
    rows = [
        _(
            "Fokuspersoner, som forummet drøfter (standardaldersgruppe: %(band)s; det enkelte "
            "forum kan sætte sin egen)."
        )
        % {"band": _band_text(low, high)}
    ]
    if minors:
        rows.append(_("Børn og unge under 18 år."))
        rows.append(_("Forældremyndighedsindehavere, som nævnes i bekymringer og referater."))
    if adults:
        rows.append(_("Voksne fra 18 år."))
    rows.append(_("Andre personer, der nævnes i bekymringer, noter og referater."))
    rows.append(
        _(
            "Medarbejdere hos de deltagende myndigheder, der bruger Tværs (navn, e-mail, "
            "myndighed og log over deres brug)."
        )
    )
    return tuple(rows)


def _data(kind: str) -> tuple[str, ...]:
    categories = ", ".join(str(label).lower() for _code, label in category_choices())
    psychiatry = Agency.Kind.PSYKIATRI in RECIPIENT_KINDS.get(kind, ())
    health = (
        _("Helbredsoplysninger (art. 9), også fra psykiatrien: psykisk sygdom og misbrug.")
        if psychiatry
        else _(
            "Helbredsoplysninger (art. 9), når en bekymring angår psykisk sårbarhed eller misbrug."
        )
    )
    return (
        _("Identitet: navn, adresse og fødselsdato (krypteret)."),
        _("CPR-nummer (krypteret; genfindes via et nøglebaseret indeks, ikke i klartekst)."),
        _("Pseudonym og fødselsår."),
        _("Bekymringer efter kategori: %(categories)s; med beskrivelse (krypteret).")
        % {"categories": categories},
        _("Noter (krypteret) og mødereferater (krypteret)."),
        _("Helhedsplaner: mål (krypteret) og handlinger med ansvarlig myndighed, ejer og frist."),
        _("Samtykke: indhentet, afvist eller ikke søgt."),
        _(
            "Videregivelser: hvilken myndighed der har videregivet til hvilke, om hvem, på "
            "hvilken hjemmel og med hvilken begrundelse."
        ),
        health,
        _("Oplysninger om strafbare forhold (art. 10, databeskyttelseslovens § 8)."),
    )


def _recipients(kind: str) -> tuple[str, ...]:
    labels = dict(Agency.Kind.choices)
    return (
        *(str(labels[agency_kind]) for agency_kind in RECIPIENT_KINDS.get(kind, ())),
        _("Selvejende institutioner med offentlige opgaver, når de deltager (§ 115, stk. 3)."),
        _("Systemet overfører ikke oplysninger til tredjelande; driftsmiljøet vælges af kommunen."),
    )


def _deletion(kind: str) -> tuple[Period, ...]:
    policy = retention_policy(kind)
    log_days = access_log_days()
    extension = int(getattr(settings, "RETENTION_EXTENSION_DAYS", 183))
    return (
        Period(
            _("Sagsmapper"),
            _(
                "Slettes %(days)s dage efter seneste aktivitet (bekymring, dagsordenspunkt, "
                "note, ændring af plan), medmindre en helhedsplan har åbne handlinger. Koordinatoren kan én "
                "gang forlænge med %(extension)s dage med en begrundelse."
            )
            % {"days": policy.inactivity_days, "extension": extension},
        ),
        Period(
            _("Lukkede sagsmapper"),
            _("Slettes %(days)s dage efter lukning.") % {"days": policy.closed_grace_days},
        ),
        Period(
            _("Sådan slettes"),
            _(
                "Sagsmappens datanøgle destrueres (kryptografisk sletning), og alle rækker om "
                "sagsmappen slettes; personen med identitet og CPR-indeks slettes sammen med sin "
                "sidste sagsmappe. Tilbage står kun en anonym registrering af sletningen."
            ),
        ),
        Period(_("Adgangslog"), _("%(days)s dage.") % {"days": log_days}),
        Period(
            _("Videregivelser"),
            _("Så længe de oplysninger, de angår, opbevares, og derefter %(days)s dage.")
            % {"days": log_days},
        ),
    )


def security_measures() -> tuple[str, ...]:
    """Technical and organisational measures, with the configured numbers."""
    return (
        _(
            "Kuvertkryptering: hver fokusperson og hver sagsmappe har sin egen datanøgle. "
            "Identitet, CPR-nummer, bekymringer, noter, referater og planmål krypteres med "
            "AES-256-GCM; datanøglerne gemmes kun krypteret med en hovednøgle, der ikke ligger "
            "i databasen."
        ),
        _(
            "Pseudonymisering: en person står i log, e-mails og anonyme drøftelser med et "
            "tilfældigt pseudonym; e-mails indeholder højst pseudonym og link."
        ),
        _("Totrinslogin: adgangskode og engangskode (TOTP) for alle brugere."),
        _(
            "Spærring: efter %(limit)s mislykkede login inden for %(hours)s timer spærres "
            "kontoen og klientens adresse."
        )
        % {
            "limit": getattr(settings, "LOGIN_FAILURE_LIMIT", 3),
            "hours": getattr(settings, "LOGIN_LOCKOUT_HOURS", 24),
        },
        _(
            "Sessioner udløber efter %(idle)s minutters inaktivitet og senest %(max)s timer "
            "efter login."
        )
        % {
            "idle": getattr(settings, "SESSION_IDLE_MINUTES", 30),
            "max": getattr(settings, "SESSION_MAX_HOURS", 10),
        },
        _(
            "Rolle- og objektbaserede rettigheder: kun aktuelle medlemmer af et forum ser dets "
            "personer; databeskyttelsesrådgiver og administratorer ser aldrig indhold; politiet "
            "kan ikke søge på tværs af fora eller eksportere."
        ),
        _(
            "Revisionsspor: al læsning, søgning, videregivelse og ændring logges. Adgangslog og "
            "videregivelser kan kun tilføjes til, er hash-kædede, og kædens hoved signeres "
            "digitalt i kontrolpunkter."
        ),
        _("Sider og svar må ikke gemmes af browser eller proxy (Cache-Control: no-store)."),
    )


def record_for(kind: str, label: str) -> Record:
    return Record(
        kind=kind,
        name=label,
        controller=_("Den kommune, der er dataansvarlig for forummet."),
        purposes=_purposes(kind, label),
        legal_basis=_legal_basis(kind),
        persons=_persons(kind),
        data=_data(kind),
        recipients=_recipients(kind),
        deletion=_deletion(kind),
    )


def register() -> Register:
    """The whole record: one entry per forum kind, in the order of the kinds."""
    return Register(
        records=tuple(record_for(kind, label) for kind, label in forum_kinds()),
        security=security_measures(),
        made_on=timezone.localdate(),
    )
