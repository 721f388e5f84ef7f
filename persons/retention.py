"""Retention (GDPR art. 5(1)(e)): when a case file is due for deletion, the one extension a
coordinator may decide, and deletion itself.

A case file is due when it has been closed for the forum kind's grace period, or has had no
activity (concern, agenda item, note, plan change: ``last_activity_at``) for the kind's
inactivity period and has no open plan action; an extension holds it until its date. Deletion
is crypto-shredding plus row deletion: the case file's data key is destroyed and every row
about the case file goes (concerns, notes, agenda items with minutes and guests, the plan and
its actions, reveals, per-person grants); the person, with identity, blind index and data key,
goes with their last case file. What is left is an anonymous tombstone (``DeletedCaseFile``)
and a DELETE_DATA access event. Each person is deleted in one transaction, so a process killed
midway leaves the person whole, and the next run finishes.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from auditlog.context import disable_auditlog
from auditlog.models import LogEntry
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.db import connection, models, transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from audit.models import AccessEvent
from audit.services import access_record
from core.models import DataKey, Notification
from core.permissions import get_object_for, visible_to
from forums.models import ForumKind
from persons.models import (
    CaseFile,
    CaseFileTransfer,
    DeletedCaseFile,
    FocusPerson,
    Identity,
)
from persons.services import drop_ungranted_permissions, require_reason

# coordination.PlanAction.Status.OPEN: persons does not import coordination (apps import one
# way), so the open-action rule reaches the actions through the reverse relations by name.
OPEN_ACTION = "open"
# The causes a coordinator may give for deleting now; the others belong to the schedule.
ON_REQUEST_CAUSES = (
    DeletedCaseFile.Cause.REQUEST,
    DeletedCaseFile.Cause.ERROR,
    DeletedCaseFile.Cause.PURPOSE_ENDED,
)


@dataclass(frozen=True)
class RetentionPolicy:
    inactivity_days: int
    closed_grace_days: int


@cache
def _overrides(raw: str) -> dict[str, RetentionPolicy]:
    policies = {}
    for part in filter(None, (p.strip() for p in raw.split(","))):
        kind, _sep, periods = part.partition("=")
        inactivity, _slash, grace = periods.partition("/")
        if kind.strip() not in ForumKind.values or not inactivity.isdigit() or not grace.isdigit():
            raise ImproperlyConfigured(
                f"RETENTION_BY_KIND: {part!r} is not kind=inactivity_days/closed_grace_days "
                f"with a kind of {', '.join(ForumKind.values)}"
            )
        policies[kind.strip()] = RetentionPolicy(int(inactivity), int(grace))
    return policies


def policy_for(kind: str) -> RetentionPolicy:
    """The retention periods of a forum kind (settings RETENTION_*)."""
    default = RetentionPolicy(
        settings.RETENTION_INACTIVITY_DAYS, settings.RETENTION_CLOSED_GRACE_DAYS
    )
    return _overrides(settings.RETENTION_BY_KIND).get(kind, default)


def _open_action() -> Exists:
    return Exists(CaseFile.objects.filter(pk=OuterRef("pk"), plan__actions__status=OPEN_ACTION))


def due_for_deletion(
    queryset: models.QuerySet[CaseFile, Any], at: datetime.datetime
) -> models.QuerySet[CaseFile, Any]:
    """The case files of ``queryset`` that are due for deletion at ``at``."""
    due = Q(pk__in=[])
    for kind in ForumKind.values:
        policy = policy_for(kind)
        closed = Q(closed_at__lte=at - datetime.timedelta(days=policy.closed_grace_days))
        inactive = Q(
            closed_at__isnull=True,
            last_activity_at__lte=at - datetime.timedelta(days=policy.inactivity_days),
        )
        due |= Q(forum__kind=kind) & (closed | inactive)
    held = Q(retention_extended_until__gt=at) | (Q(closed_at__isnull=True) & _open_action())
    return queryset.filter(due).exclude(held)


def due_at(case_file: CaseFile) -> datetime.datetime:
    """When the case file falls due (an open action holds an open one back beyond this)."""
    policy = policy_for(case_file.forum.kind)
    if case_file.closed_at is not None:
        due = case_file.closed_at + datetime.timedelta(days=policy.closed_grace_days)
    else:
        due = case_file.last_activity_at + datetime.timedelta(days=policy.inactivity_days)
    extended = case_file.retention_extended_until
    return max(due, extended) if extended else due


@dataclass(frozen=True)
class DueCaseFile:
    case_file: CaseFile
    due_at: datetime.datetime
    may_extend: bool


def due_list(*, user: User, at: datetime.datetime | None = None) -> list[DueCaseFile]:
    """What falls due on the user's managed forums within RETENTION_NOTICE_DAYS (and what is
    overdue and waits for tonight's run), soonest first."""
    at = at or timezone.now()
    horizon = at + datetime.timedelta(days=settings.RETENTION_NOTICE_DAYS)
    mine = visible_to(user, CaseFile.objects.all(), "retention")
    case_files = due_for_deletion(mine, horizon).select_related("forum", "person")
    rows = [DueCaseFile(cf, due_at(cf), cf.retention_extended_at is None) for cf in case_files]
    return sorted(rows, key=lambda row: (row.due_at, row.case_file.pk))


def due_row(*, user: User, case_file_id: Any) -> DueCaseFile:
    """One case file of the user's managed forums, due or not, for extending or deleting it
    now (404 as for one that does not exist)."""
    case_file = get_object_for(
        user, CaseFile.objects.select_related("forum", "person"), case_file_id, "retention"
    )
    return DueCaseFile(case_file, due_at(case_file), case_file.retention_extended_at is None)


@transaction.atomic
def casefile_extend(*, actor: User, case_file_id: Any, reason: str) -> CaseFile:
    """Hold a case file back once, for RETENTION_EXTENSION_DAYS past its due date, for a
    reason (encrypted under the case file's key, so it goes when the case file goes)."""
    case_file = get_object_for(
        actor,
        CaseFile.objects.select_for_update(of=("self",)).select_related("forum", "person"),
        case_file_id,
        "retention",
    )
    if case_file.retention_extended_at is not None:
        raise ValidationError(
            {"reason": [_("Sagen er allerede forlænget én gang; den kan ikke forlænges igen.")]}
        )
    reason = require_reason(
        reason, "reason", _("Forlængelse kræver en begrundelse (mindst 20 tegn).")
    )
    now = timezone.now()
    base = max(due_at(case_file), now)
    case_file.retention_extended_at = now
    case_file.retention_extended_by = actor
    case_file.retention_extended_until = base + datetime.timedelta(
        days=settings.RETENTION_EXTENSION_DAYS
    )
    case_file.retention_extension_reason = reason
    case_file.save(
        update_fields=[
            "retention_extended_at",
            "retention_extended_by",
            "retention_extended_until",
            "retention_extension_reason",
        ]
    )
    # The reason stays out of the audit row (it is free text about a person); the DPO reads it
    # on the case file's retention entry while the case file exists.
    access_record(actor=actor, action=AccessEvent.Action.EXTEND_RETENTION, objects=[case_file])
    return case_file


# --- deletion ----------------------------------------------------------------------------------


@dataclass
class RetentionRun:
    due: int = 0
    deleted_case_files: int = 0
    deleted_persons: int = 0
    tombstones: list[DeletedCaseFile] = field(default_factory=list)


def _forget_changes(objects: dict[type[models.Model], list[Any]]) -> None:
    """Delete the change-log rows of the deleted objects: they hold field values (dates,
    statuses, choices) of a person whose data is gone. The application's database role may
    not delete change-log rows; on PostgreSQL the owner's function does it, and only for
    objects that no longer exist (core migration 0004)."""
    for model, pks in objects.items():
        if not pks:
            continue
        content_type = ContentType.objects.get_for_model(model)
        keys = [str(pk) for pk in pks]
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT tvaers_changelog_forget(%s, %s)", [content_type.pk, keys])
        else:
            LogEntry.objects.filter(content_type=content_type, object_pk__in=keys).delete()


def _reverse(
    parents: models.QuerySet[Any, Any], name: str, field: str
) -> models.QuerySet[Any, Any]:
    """The rows of ``parents``' reverse relation ``name`` (whose foreign key is ``field``), by
    name: persons does not import coordination, whose models hang off the case file."""
    model: type[models.Model] = getattr(parents.model, name).rel.related_model
    related: models.QuerySet[Any, Any] = model._default_manager.filter(**{f"{field}__in": parents})
    return related


def _ids(*querysets: models.QuerySet[Any, Any]) -> dict[type[models.Model], list[Any]]:
    return {qs.model: list(qs.values_list("pk", flat=True)) for qs in querysets}


def _shred(data_key_id: Any) -> None:
    data_key = DataKey.objects.get(pk=data_key_id)
    data_key.destroy()  # the wrapped key first: nothing under it can be read again
    data_key.delete()


def _casefile_delete(*, actor: User | None, case_file: CaseFile, cause: str) -> DeletedCaseFile:
    """Delete one locked case file and everything about it; the caller holds the transaction
    and deletes the person when this was their last case file."""
    plan = getattr(case_file, "plan", None)
    items = case_file.agenda_items.all()
    related: dict[type[models.Model], list[Any]] = {
        CaseFile: [case_file.pk],
        **_ids(case_file.concerns.all(), case_file.notes.all(), items),
        **_ids(case_file.grants.all(), case_file.reveals.all()),
        **_ids(case_file.report_restrictions.all(), case_file.identity_corrections.all()),
        **_ids(
            case_file.consent_records.all(),
            CaseFileTransfer.objects.filter(to_case_file=case_file),
        ),
        **_ids(_reverse(case_file.notes.all(), "revisions", "note")),
        # Revisions and guests of the agenda items (reached through the items' reverse
        # relations by name: persons does not import coordination).
        **_ids(*(_reverse(items, name, "item") for name in ("revisions", "guests"))),
    }
    if plan is not None:
        related |= _ids(type(plan).objects.filter(pk=plan.pk), plan.actions.all())
    counts = {
        "concerns": len(related[case_file.concerns.model]),
        "notes": len(related[case_file.notes.model]),
        "agenda_items": len(related[items.model]),
        "plans": 1 if plan else 0,
        "plan_actions": len(related[plan.actions.model]) if plan else 0,
        "reveals": len(related[case_file.reveals.model]),
        "grants": len(related[case_file.grants.model]),
    }
    grantees = set(case_file.grants.values_list("grantee_id", flat=True))
    # Recorded before the rows go, in the same transaction: the event and the deletion stand
    # or fall together. The cause is a code, never free text.
    access_record(
        actor=actor or AnonymousUser(),  # the schedule: no user (the system)
        action=AccessEvent.Action.DELETE_DATA,
        objects=[case_file],
        reason=cause,
    )
    tombstone = DeletedCaseFile(
        person_id=case_file.person_id,
        pseudonym=case_file.person.pseudonym,
        forum_id=case_file.forum_id,
        case_file_id=case_file.pk,
        opened_at=case_file.opened_at,
        closed_at=case_file.closed_at,
        last_activity_at=case_file.last_activity_at,
        deleted_by=actor,
        cause=cause,
        deleted_counts={kind: n for kind, n in counts.items() if n},
    )
    data_key_id = case_file.data_key_id
    with disable_auditlog():
        # Agenda items protect their case file (a session's agenda must not lose items by
        # accident); here they go on purpose, with their minutes, revisions and guests.
        case_file.agenda_items.all().delete()
        case_file.delete()  # concerns, notes, plan, actions, reveals, grants, restrictions
    _shred(data_key_id)
    drop_ungranted_permissions({(grantee, case_file.person_id) for grantee in grantees})
    _forget_changes(related)
    tombstone.save()
    return tombstone


def _person_delete(person: FocusPerson) -> None:
    """The person's identity, blind index, reveals, grants and data key (no case file left)."""
    pk = person.pk  # delete() clears it
    with disable_auditlog():
        person.delete()  # identity (and its CPR blind index), reveals, grants, guardian rows
    _shred(person.data_key_id)
    _forget_changes({FocusPerson: [pk], Identity: [pk]})
    # In-app notices about the person link to their page; the page is gone, and so are they.
    Notification.objects.filter(
        Q(link__startswith=f"/personer/{pk}/") | Q(message__contains=person.pseudonym)
    ).delete()


def _delete_for_person(
    *, actor: User | None, person_id: int, case_file_ids: list[int], causes: dict[int, str]
) -> tuple[list[DeletedCaseFile], bool]:
    """One person's due case files, and the person if none is left, in one transaction: the
    tombstones, and whether the person went. Rows another run holds are skipped (it deletes
    them)."""
    with transaction.atomic():
        person = (
            FocusPerson.objects.select_for_update(skip_locked=True).filter(pk=person_id).first()
        )
        if person is None:
            return [], False
        case_files = list(
            CaseFile.objects.select_for_update(of=("self",))
            .filter(pk__in=case_file_ids, person=person)
            .select_related("forum")
            .order_by("pk")
        )
        tombstones = []
        for case_file in case_files:
            case_file.person = person
            tombstones.append(
                _casefile_delete(actor=actor, case_file=case_file, cause=causes[case_file.pk])
            )
        if not person.case_files.exists():
            _person_delete(person)
            DeletedCaseFile.objects.filter(pk__in=[t.pk for t in tombstones]).update(
                person_deleted=True
            )
            for tombstone in tombstones:
                tombstone.person_deleted = True
            return tombstones, True
        return tombstones, False


def apply_retention(*, at: datetime.datetime | None = None, dry_run: bool = False) -> RetentionRun:
    """Delete every case file due at ``at`` (default now), person by person; with ``dry_run``
    only count. Idempotent: a run interrupted midway leaves each person whole or gone, and
    the next run deletes the rest. Persons left without any case file go too."""
    at = at or timezone.now()
    due = list(
        due_for_deletion(CaseFile.objects.all(), at).values_list("pk", "person_id", "closed_at")
    )
    run = RetentionRun(due=len(due))
    orphans = list(
        FocusPerson.objects.filter(
            ~Exists(CaseFile.objects.filter(person=OuterRef("pk")))
        ).values_list("pk", flat=True)
    )
    if dry_run:
        return run
    by_person: dict[int, list[int]] = defaultdict(list)
    causes: dict[int, str] = {}
    for pk, person_id, closed_at in due:
        by_person[person_id].append(pk)
        causes[pk] = DeletedCaseFile.Cause.CLOSED if closed_at else DeletedCaseFile.Cause.INACTIVE
    for person_id in orphans:
        by_person.setdefault(person_id, [])
    for person_id, case_file_ids in sorted(by_person.items()):
        tombstones, person_deleted = _delete_for_person(
            actor=None, person_id=person_id, case_file_ids=case_file_ids, causes=causes
        )
        run.tombstones += tombstones
        run.deleted_case_files += len(tombstones)
        run.deleted_persons += person_deleted
    return run


def casefile_delete_now(*, actor: User, case_file_id: Any, cause: str) -> DeletedCaseFile:
    """A coordinator deletes a case file now (the person's request, a registration made by
    error, the purpose fulfilled), through the same path as the schedule; the person goes
    with their last case file."""
    if cause not in ON_REQUEST_CAUSES:
        raise ValidationError({"cause": [_("Vælg hvorfor sagen slettes.")]})
    case_file = get_object_for(actor, CaseFile.objects.all(), case_file_id, "retention")
    tombstones, _person_deleted = _delete_for_person(
        actor=actor,
        person_id=case_file.person_id,
        case_file_ids=[case_file.pk],
        causes={case_file.pk: cause},
    )
    if not tombstones:  # another run holds the person right now
        raise ValidationError({"cause": [_("Sagen slettes netop nu. Prøv igen om lidt.")]})
    return tombstones[0]
