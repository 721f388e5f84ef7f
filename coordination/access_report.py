"""The person's access report (indsigt, GDPR art. 15; CJEU C-579/21): what the forums the
actor chairs or coordinates hold about one person, where it came from, who received it, and
who looked it up (agency, forum and purpose, never the staff member's name).

Only a chair or coordinator produces it, for the case files of their own forums (closed ones
included, until deletion); another forum's case files are that forum's report, and their
existence is not shown here (a psychiatry or prison forum must not be revealed to SSP). Parts
withheld by a reasoned decision (databeskyttelseslovens § 22, ``ReportRestriction``) show as
withheld. Producing the report is an ACCESS_REPORT access event.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import Agency, User
from audit.models import AccessEvent, AccessEventSubject, Disclosure
from audit.services import access_record, reason_shown
from coordination.models import AgendaItem, Note, Plan, ReportRestriction
from core.permissions import visible_to
from forums.models import Forum
from persons.models import CaseFile, Concern, FocusPerson, KnownIdentity
from persons.services import require_reason

WITHHELD = ReportRestriction.Part


@dataclass(frozen=True)
class Item:
    """One record in the report; ``withheld`` replaces its content."""

    kind: str
    pk: int
    when: datetime.datetime | datetime.date | None
    lines: tuple[tuple[str, str], ...]  # (label, value), content included
    withheld: bool = False


@dataclass(frozen=True)
class LookUp:
    when: datetime.datetime
    agency: str
    forum: str
    purpose: str
    action: str


@dataclass(frozen=True)
class Received:
    when: datetime.datetime
    from_agency: str
    to_agencies: str
    paragraph: str
    categories: str
    necessity: str


@dataclass
class CaseFileSection:
    case_file: CaseFile
    identity: KnownIdentity
    concerns: list[Item] = field(default_factory=list)
    notes: list[Item] = field(default_factory=list)
    minutes: list[Item] = field(default_factory=list)
    plan: list[Item] = field(default_factory=list)
    disclosures: list[Received] = field(default_factory=list)
    disclosures_withheld: bool = False
    lookups: list[LookUp] = field(default_factory=list)
    lookups_withheld: bool = False
    restrictions: list[ReportRestriction] = field(default_factory=list)


@dataclass
class AccessReport:
    person: FocusPerson
    identity: KnownIdentity
    sections: list[CaseFileSection]
    made_at: datetime.datetime
    made_by_agency: str


# The purposes of reads, in the person's words; a route not named here shows as "Anden
# visning" (the route name stays in the audit trail for the DPO).
PURPOSES = {
    "coordination:person-detail": gettext_lazy("Personens side i forummet"),
    "coordination:person-list": gettext_lazy("Forummets personliste"),
    "coordination:person-reveal": gettext_lazy("Visning af identitet til forummets arbejde"),
    "persons:forum-detail": gettext_lazy("Forummets personliste"),
    "persons:retention": gettext_lazy("Gennemgang af sager til sletning"),
    "coordination:access-report": gettext_lazy("Indsigtsrapport"),
    "coordination:access-report-pdf": gettext_lazy("Indsigtsrapport"),
}


def _purpose(route: str) -> str:
    if route.startswith("coordination:session") or route.startswith("coordination:item"):
        return str(_("Forberedelse og referat af møde"))
    if route.startswith("api:"):
        return str(_("Fagsystemets opslag (API)"))
    if not route:
        return str(_("Systemets egen behandling"))
    return str(PURPOSES.get(route, _("Anden visning i forummet")))


def report_case_files(*, user: User, person_id: Any) -> list[CaseFile]:
    """The person's case files the user may report on (404 when none: the same answer as for
    a person who does not exist)."""
    case_files = list(
        visible_to(user, CaseFile.objects.filter(person_id=person_id), "report")
        .select_related("forum", "person", "data_key")
        .order_by("opened_at", "pk")
    )
    if not case_files:
        raise Http404
    return case_files


def _restricted(restrictions: list[ReportRestriction], part: str, pk: int | None) -> bool:
    return any(r.part == part and r.object_id == pk for r in restrictions)


def access_report(*, actor: User, person_id: Any) -> AccessReport:
    """Build the report (one query per kind of record, not per record) and record it."""
    case_files = report_case_files(user=actor, person_id=person_id)
    person = case_files[0].person
    by_id = {cf.pk: cf for cf in case_files}
    restrictions = list(ReportRestriction.objects.filter(case_file__in=case_files))
    sections = {
        cf.pk: CaseFileSection(
            case_file=cf,
            identity=cf.known_identity(),
            restrictions=[r for r in restrictions if r.case_file_id == cf.pk],
        )
        for cf in case_files
    }
    concerns = Concern.objects.filter(case_file__in=case_files).select_related(
        "source_agency", "case_file__data_key"
    )
    for concern in concerns.order_by("created_at"):
        section = sections[concern.case_file_id]
        _add(section, section.concerns, WITHHELD.CONCERN, concern, concern.created_at)
    notes = Note.objects.filter(case_file__in=case_files).select_related(
        "agency", "case_file__data_key"
    )
    for note in notes.order_by("created_at"):
        section = sections[note.case_file_id]
        _add(section, section.notes, WITHHELD.NOTE, note, note.created_at)
    items = AgendaItem.objects.filter(
        case_file__in=case_files, recorded_at__isnull=False
    ).select_related("session__forum", "case_file__data_key")
    for item in items.order_by("session__starts_at"):
        section = sections[item.case_file_id]
        _add(section, section.minutes, WITHHELD.MINUTES, item, item.session.starts_at)
    plans = Plan.objects.filter(case_file__in=case_files).select_related("case_file__data_key")
    for plan in plans.prefetch_related("actions__responsible_agency"):
        section = sections[plan.case_file_id]
        _add(section, section.plan, WITHHELD.PLAN, plan, None)
    _add_disclosures(sections, person.pk, by_id)
    _add_lookups(sections, person.pk, by_id)
    access_record(actor=actor, action=AccessEvent.Action.ACCESS_REPORT, objects=[person])
    first = case_files[0]
    return AccessReport(
        person=person,
        identity=first.known_identity(),
        sections=list(sections.values()),
        made_at=timezone.now(),
        made_by_agency=actor.agency.name if actor.agency else "",
    )


Lines = tuple[tuple[str, str], ...]


def _concern_lines(concern: Concern) -> Lines:
    return (
        (str(_("Kilde")), concern.source_agency.name),
        (str(_("Kategorier")), ", ".join(concern.categories)),
        (str(_("Beskrivelse")), concern.description),
    )


def _note_lines(note: Note) -> Lines:
    return ((str(_("Myndighed")), note.agency.name), (str(_("Tekst")), note.body))


def _minutes_lines(item: AgendaItem) -> Lines:
    return ((str(_("Referat")), item.minutes),)


def _plan_lines(plan: Plan) -> Lines:
    actions = (
        (
            str(_("Handling")),
            f"{action.description} ({action.responsible_agency.name}, "
            f"{_('frist')} {action.due_date:%d.%m.%Y}, {action.get_status_display()})",
        )
        for action in plan.actions.all()
    )
    return ((str(_("Mål")), plan.goals), *actions)


LINES: dict[str, Callable[[Any], Lines]] = {
    WITHHELD.CONCERN: _concern_lines,
    WITHHELD.NOTE: _note_lines,
    WITHHELD.MINUTES: _minutes_lines,
    WITHHELD.PLAN: _plan_lines,
}


def _add(
    section: CaseFileSection,
    items: list[Item],
    part: str,
    record: Concern | Note | AgendaItem | Plan,
    when: datetime.datetime | datetime.date | None,
) -> None:
    """One record of the report, or its place marked withheld (its content not decrypted)."""
    withheld = _restricted(section.restrictions, part, record.pk)
    items.append(Item(part, record.pk, when, () if withheld else LINES[part](record), withheld))


def _agency_names(ids: set[int]) -> dict[int, str]:
    return dict(Agency.objects.filter(pk__in=ids).values_list("pk", "name"))


def _add_disclosures(
    sections: dict[int, CaseFileSection], person_id: int, case_files: dict[int, CaseFile]
) -> None:
    forum_sections = {cf.forum_id: sections[pk] for pk, cf in case_files.items()}
    disclosures = list(
        Disclosure.objects.filter(person_id=person_id, forum_id__in=forum_sections).order_by(
            "occurred_at"
        )
    )
    agencies = _agency_names(
        {d.from_agency_id for d in disclosures} | {a for d in disclosures for a in d.to_agency_ids}
    )
    for section in sections.values():
        section.disclosures_withheld = _restricted(section.restrictions, WITHHELD.DISCLOSURES, None)
    for disclosure in disclosures:
        section = forum_sections[disclosure.forum_id]
        if section.disclosures_withheld:
            continue
        section.disclosures.append(
            Received(
                when=disclosure.occurred_at,
                from_agency=agencies.get(disclosure.from_agency_id, ""),
                to_agencies=", ".join(agencies.get(a, "") for a in disclosure.to_agency_ids),
                paragraph=disclosure.paragraph,
                categories=", ".join(disclosure.data_categories),
                necessity=reason_shown(disclosure),  # sealed under the case file's key
            )
        )


def _add_lookups(
    sections: dict[int, CaseFileSection], person_id: int, case_files: dict[int, CaseFile]
) -> None:
    """Reads of the person in the capacity of the report's forums (the staff member's agency,
    never their name). Reads recorded before access events named their forum are left out:
    they cannot be attributed to a forum, and could belong to one this report must not show."""
    forum_sections = {cf.forum_id: sections[pk] for pk, cf in case_files.items()}
    forums = dict(Forum.objects.filter(pk__in=forum_sections).values_list("pk", "name"))
    events = list(
        AccessEvent.objects.filter(
            pk__in=AccessEventSubject.objects.filter(person_id=person_id).values("event_id")
        )
        .exclude(forum_ids=[])
        .exclude(action=AccessEvent.Action.DENIED)
        .order_by("occurred_at")
    )
    agencies = _agency_names({e.actor_agency_id for e in events if e.actor_agency_id})
    for section in sections.values():
        section.lookups_withheld = _restricted(section.restrictions, WITHHELD.LOOKUPS, None)
    for event in events:
        for forum_id in event.forum_ids:
            target = forum_sections.get(forum_id)
            if target is None or target.lookups_withheld:
                continue
            target.lookups.append(
                LookUp(
                    when=event.occurred_at,
                    agency=agencies.get(event.actor_agency_id or 0, str(_("Tværs (systemet)"))),
                    forum=forums[forum_id],
                    purpose=_purpose(event.purpose),
                    action=event.get_action_display(),
                )
            )


@transaction.atomic
def restriction_add(
    *, actor: User, person_id: Any, case_file_id: Any, part: str, object_id: Any, reason: str
) -> ReportRestriction:
    """Withhold one record (or a case file's disclosures or look-ups) from the report."""
    case_files = {cf.pk: cf for cf in report_case_files(user=actor, person_id=person_id)}
    try:
        case_file = case_files[int(case_file_id)]
    except (KeyError, TypeError, ValueError):
        raise ValidationError({"case_file": [_("Vælg en af personens sager.")]}) from None
    if part not in WITHHELD.values:
        raise ValidationError({"part": [_("Vælg hvilken del der tilbageholdes.")]})
    reason = require_reason(
        reason,
        "reason",
        _("En begrænsning af indsigten kræver en begrundelse efter § 22 (mindst 20 tegn)."),
    )
    whole = part in (WITHHELD.DISCLOSURES, WITHHELD.LOOKUPS)
    target: int | None = None
    if not whole:
        owners = {
            WITHHELD.CONCERN: Concern.objects.filter(case_file=case_file),
            WITHHELD.NOTE: Note.objects.filter(case_file=case_file),
            WITHHELD.MINUTES: AgendaItem.objects.filter(case_file=case_file),
            WITHHELD.PLAN: Plan.objects.filter(case_file=case_file),
        }[WITHHELD(part)]
        try:
            target = int(object_id)
        except (TypeError, ValueError):
            target = None
        if target is None or not owners.filter(pk=target).exists():
            raise ValidationError({"object_id": [_("Posten findes ikke i sagen.")]})
    restriction = ReportRestriction(
        case_file=case_file, part=part, object_id=target, reason=reason, decided_by=actor
    )
    try:
        with transaction.atomic():
            restriction.save()
    except IntegrityError:
        raise ValidationError({"part": [_("Denne del er allerede tilbageholdt.")]}) from None
    return restriction
