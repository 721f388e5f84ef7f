"""Writes on forum sessions and their agendas: proposal, recording (with disclosure), approval."""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Exists, F, OuterRef, Q, Subquery
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Agency, User
from audit.services import disclosure_record
from coordination.models import AgendaGuest, AgendaItem, ForumSession, MinutesRevision, PlanAction
from core.exceptions import Conflict
from core.models import Notification
from core.permissions import AnyUser, sees_no_content
from forums.models import Forum, Membership
from forums.rules import derive_basis
from persons.models import CaseFile, Concern
from persons.services import (
    NECESSITY_MESSAGE,
    casefile_disclosure_record,
    casefile_touch,
    require_reason,
)

MAX_MINUTES = 50_000


def agenda_proposal(*, forum: Forum, day: datetime.date) -> list[tuple[CaseFile, str]]:
    """Case files of the forum for a session on ``day``, each once, in this order: new concerns
    brought to the forum and not yet discussed, reviews due by the day, follow-ups of open
    actions due by the day. Only open case files of this forum."""
    open_files = CaseFile.objects.open().filter(forum=forum)
    last_discussed = (
        AgendaItem.objects.filter(case_file=OuterRef("case_file"), recorded_at__isnull=False)
        .order_by("-recorded_at")
        .values("recorded_at")[:1]
    )
    undiscussed_concerns = (
        Concern.objects.filter(
            case_file=OuterRef("pk"),
            decision__in=[Concern.Decision.PENDING, Concern.Decision.BRING_TO_FORUM],
        )
        .annotate(last=Subquery(last_discussed))
        .filter(Q(last__isnull=True) | Q(created_at__gt=F("last")))
    )
    new = open_files.filter(Exists(undiscussed_concerns))
    review = open_files.filter(plan__review_date__lte=day)
    follow_up = open_files.filter(
        plan__actions__status=PlanAction.Status.OPEN, plan__actions__due_date__lte=day
    )
    proposal: dict[int, tuple[CaseFile, str]] = {}
    for queryset, kind in (
        (new, AgendaItem.Kind.NEW_CONCERN),
        (review, AgendaItem.Kind.REVIEW),
        (follow_up, AgendaItem.Kind.FOLLOW_UP),
    ):
        for case_file in queryset.distinct().order_by("opened_at", "pk"):
            proposal.setdefault(case_file.pk, (case_file, kind))
    return list(proposal.values())


MAX_PLANNING_DAYS = 2 * 366


def forum_chair(forum_id: int) -> User | None:
    """The forum's current chair; with several, the longest-standing (earliest start)."""
    membership = (
        Membership.objects.current()
        .filter(forum_id=forum_id, role=Membership.Role.CHAIR)
        .select_related("user")
        .order_by("valid_from", "pk")
        .first()
    )
    return membership.user if membership else None


def _require_member_chair(forum_id: int, chair: User) -> None:
    if not (
        chair.is_active
        and Membership.objects.current().filter(forum_id=forum_id, user_id=chair.pk).exists()
    ):
        raise ValidationError(
            {"chair": [_("Mødelederen skal være et aktuelt medlem af forummet.")]}
        )


@transaction.atomic
def session_create(
    *,
    actor: User,
    forum: Forum,
    starts_at: datetime.datetime,
    location: str = "",
    chair: User | None = None,
) -> ForumSession:
    """Plan a session (chair/coordinator; the caller fetched the forum for "change") with the
    proposed agenda. The session's chair defaults to the forum's chair."""
    if starts_at < timezone.now() - datetime.timedelta(days=1):
        raise ValidationError({"starts_at": [_("Mødet kan ikke planlægges i fortiden.")]})
    if starts_at > timezone.now() + datetime.timedelta(days=MAX_PLANNING_DAYS):
        # Far-future dates overflow every date computed from them (guest access, reminders).
        raise ValidationError({"starts_at": [_("Mødet kan højst planlægges to år frem.")]})
    if chair is None:
        chair = forum_chair(forum.pk)
    else:
        _require_member_chair(forum.pk, chair)
    session = ForumSession.objects.create(
        forum=forum,
        starts_at=starts_at,
        location=location.strip()[:200],
        created_by=actor,
        chair=chair,
    )
    day = timezone.localtime(starts_at).date()
    for order, (case_file, kind) in enumerate(agenda_proposal(forum=forum, day=day), start=1):
        AgendaItem(session=session, case_file=case_file, kind=kind, order=order).save()
    return session


def _manages(user: User, forum_id: int) -> bool:
    return (
        Membership.objects.current()
        .filter(user_id=user.pk, forum_id=forum_id, role__in=Membership.MANAGING_ROLES)
        .exists()
    )


@transaction.atomic
def session_set_chair(*, actor: User, session: ForumSession, chair: User) -> ForumSession:
    """The forum's coordinator or chair hands the meeting (and the approval of its minutes) to
    another current member, while the minutes are not approved."""
    if not _manages(actor, session.forum_id):
        raise PermissionDenied(_("Kun forummets koordinator og formand kan skifte mødeleder."))
    # Lock the row: an approval at the same moment must not be overtaken by a new chair.
    locked = ForumSession.objects.select_for_update().get(pk=session.pk)
    _require_open(locked)
    _require_member_chair(session.forum_id, chair)
    session.chair = chair
    session.save(update_fields=["chair"])
    return session


def _require_open(session: ForumSession) -> None:
    if session.is_locked:
        raise ValidationError({"session": [_("Referatet er godkendt; mødet er låst.")]})


@transaction.atomic
def agenda_add(
    *, actor: User, session: ForumSession, case_file: CaseFile, kind: str = AgendaItem.Kind.REVIEW
) -> AgendaItem:
    _require_open(session)
    if case_file.forum_id != session.forum_id or not case_file.is_open:
        raise ValidationError({"case_file": [_("Sagen er ikke åben i dette forum.")]})
    if session.items.filter(case_file=case_file).exists():
        raise ValidationError({"case_file": [_("Sagen er allerede på dagsordenen.")]})
    if kind not in AgendaItem.Kind.values:
        raise ValidationError({"kind": [_("Ukendt punkttype.")]})
    last = session.items.order_by("-order").values_list("order", flat=True).first() or 0
    item = AgendaItem(session=session, case_file=case_file, kind=kind, order=last + 1)
    try:
        with transaction.atomic():
            item.save()
    except IntegrityError:  # the same case file added at the same moment by someone else
        raise ValidationError({"case_file": [_("Sagen er allerede på dagsordenen.")]}) from None
    return item


@transaction.atomic
def agenda_remove(*, actor: User, item: AgendaItem) -> None:
    _require_open(item.session)
    if item.recorded_at:
        raise ValidationError({"item": [_("Et registreret punkt kan ikke fjernes.")]})
    item.delete()


@transaction.atomic
def agenda_reorder(*, actor: User, session: ForumSession, item_ids: list[int]) -> None:
    _require_open(session)
    items = {item.pk: item for item in session.items.all()}
    if sorted(item_ids) != sorted(items):
        raise ValidationError({"items": [_("Angiv alle dagsordenens punkter præcis én gang.")]})
    for order, pk in enumerate(item_ids, start=1):
        if items[pk].order != order:
            items[pk].order = order
            items[pk].save(update_fields=["order"])


@transaction.atomic
def item_record(
    *,
    actor: User,
    item: AgendaItem,
    mode: str,
    necessity: str,
    presenting_agency: Agency,
    minutes: str,
    attendees: Iterable[User],
    legal_basis: dict[str, str] | None = None,
    version: int | None = None,
    correction_reason: str = "",
) -> AgendaItem:
    """Record what was discussed under which § 115 basis; writes the disclosure from the
    presenting agency to the attendees' agencies. Approved minutes change only with a reason,
    and the old text is kept."""
    session = item.session
    # Lock the row: two recordings from the same version must not both win.
    current_version = (
        AgendaItem.objects.select_for_update().values_list("version", flat=True).get(pk=item.pk)
    )
    if version is not None and version != current_version:
        raise StaleVersion
    item.version = current_version
    attendees = list(attendees)
    errors: dict[str, list[str]] = {}
    if mode not in CaseFile.Mode.values:
        errors["mode"] = [_("Ukendt drøftelsesform.")]
    elif mode == CaseFile.Mode.NAMED and item.case_file.discussion_mode != CaseFile.Mode.NAMED:
        errors["mode"] = [
            _("Sagen drøftes anonymt; skift først sagen til drøftelse med navn (med begrundelse).")
        ]
    if not minutes.strip():
        errors["minutes"] = [_("Referatet er tomt.")]
    elif len(minutes) > MAX_MINUTES:
        errors["minutes"] = [_("Referatet må højst være %(n)s tegn.") % {"n": MAX_MINUTES}]
    members = set(
        Membership.objects.current(timezone.localtime(session.starts_at).date())
        .filter(forum_id=session.forum_id)
        .values_list("user_id", flat=True)
    ) | set(item.guests.values_list("user_id", flat=True))
    if not attendees:
        errors["attendees"] = [_("Angiv hvem der deltog.")]
    elif any(user.pk not in members for user in attendees):
        errors["attendees"] = [
            _("Kun forummets medlemmer og punktets gæster kan registreres som deltagere.")
        ]
    if not session.forum.agencies.filter(pk=presenting_agency.pk).exists():
        errors["presenting_agency"] = [_("Myndigheden deltager ikke i forummet.")]
    if errors:
        raise ValidationError(errors)
    necessity = require_reason(
        necessity, "necessity", _("Begrund nødvendigheden af at drøfte personen (mindst 20 tegn).")
    )
    try:
        basis = derive_basis(
            agency=presenting_agency,
            forum_kind=session.forum.kind,
            ksp_letter=item.case_file.ksp_letter or None,
            requested=legal_basis,
        )
    except ValidationError as exc:
        raise ValidationError({"legal_basis": exc.messages}) from None
    if session.is_locked:
        reason = require_reason(
            correction_reason,
            "correction_reason",
            _("Rettelse af et godkendt referat kræver en begrundelse (mindst 20 tegn)."),
        )
        MinutesRevision(item=item, minutes=item.minutes, reason=reason, corrected_by=actor).save()
    item.discussion_mode = mode
    item.necessity = necessity
    item.presenting_agency = presenting_agency
    item.legal_paragraph, item.legal_cooperation = basis.paragraph, basis.cooperation
    item.minutes = minutes.strip()
    item.recorded_at = timezone.now()
    item.recorded_by = actor
    item.version += 1
    item.save()
    item.attendees.set(attendees)
    if session.status == ForumSession.Status.PLANNED:
        session.status = ForumSession.Status.HELD
        session.save(update_fields=["status"])
    casefile_touch(item.case_file)
    disclosure_record(
        actor=actor,
        from_agency=presenting_agency,
        to_agency_ids={user.agency_id for user in attendees if user.agency_id},
        forum_id=session.forum_id,
        source=item,
        person_id=item.case_file.person_id,
        person_pseudonym=item.case_file.person.pseudonym,
        paragraph=basis.paragraph,
        cooperation=basis.cooperation,
        necessity=necessity,
        data_categories=["referat"],
        sealed_under=item.case_file.data_key,  # erased with the case file (issue 10)
    )
    return item


def may_approve(user: AnyUser, session: ForumSession) -> bool:
    """The session's chair, while a current member of the forum. Sessions planned before issue
    11 have no chair (NULL; no data migration: NULL means this fallback): any current chair of
    the forum, as before."""
    current = Membership.objects.current().filter(user_id=user.pk or 0, forum_id=session.forum_id)
    if session.chair_id is not None:
        return user.pk == session.chair_id and current.exists()
    return current.filter(role=Membership.Role.CHAIR).exists()


@transaction.atomic
def session_approve(*, actor: User, session: ForumSession) -> ForumSession:
    """The session's chair approves the minutes; the session is locked."""
    # Lock the row and read the chair afresh: a change of chair at the same moment must not
    # let the previous chair approve.
    locked = ForumSession.objects.select_for_update().get(pk=session.pk)
    session.chair_id, session.status = locked.chair_id, locked.status
    if not may_approve(actor, session):
        raise PermissionDenied(_("Kun mødets mødeleder kan godkende referatet."))
    _require_open(session)
    if session.items.filter(recorded_at__isnull=True).exists():
        raise ValidationError(
            {"session": [_("Alle punkter skal være registreret, før referatet godkendes.")]}
        )
    session.status = ForumSession.Status.APPROVED
    session.approved_at = timezone.now()
    session.approved_by = actor
    session.save(update_fields=["status", "approved_at", "approved_by"])
    return session


class StaleVersion(Conflict):
    """The client edited an older version: nothing was saved."""


@transaction.atomic
def guest_invite(*, actor: User, item: AgendaItem, email: str, necessity: str) -> AgendaGuest:
    """The chair invites a non-member to one item; access lasts to the session day plus
    GUEST_ACCESS_DAYS and ends by itself (or when the case file closes). The guest is notified
    with a link. The guest will read the item's minutes and the person's plan: a disclosure from
    the chair's agency to the guest's, recorded with the necessity reason."""
    session = item.session
    if (
        not Membership.objects.current()
        .filter(user=actor, forum_id=session.forum_id, role=Membership.Role.CHAIR)
        .exists()
    ):
        raise PermissionDenied(_("Kun forummets formand kan invitere gæster."))
    _require_open(session)
    guest = User.objects.filter(email__iexact=email.strip(), is_active=True).first()
    if (
        guest is None
        or guest.agency is None
        or sees_no_content(guest)
        or not guest.agency.serves(session.forum.municipality)
    ):
        # One answer for "no such user" and "not of this municipality": existence is no secret
        # to leak to a chair of another municipality.
        raise ValidationError({"email": [_("Der findes ingen aktiv medarbejder med den e-mail.")]})
    necessity = require_reason(necessity, "necessity", NECESSITY_MESSAGE)
    if actor.agency is None:
        raise PermissionDenied(_("Du er ikke knyttet til en myndighed."))
    if Membership.objects.current().filter(user=guest, forum_id=session.forum_id).exists():
        raise ValidationError(
            {"email": [_("Personen er medlem af forummet og skal ikke inviteres.")]}
        )
    try:
        valid_until = timezone.localtime(session.starts_at).date() + datetime.timedelta(
            days=settings.GUEST_ACCESS_DAYS
        )
    except OverflowError:  # a session at the very end of the calendar (year 9999)
        raise ValidationError(
            {"session": [_("Mødets dato ligger for langt ude i fremtiden til at invitere gæster.")]}
        ) from None
    invitation, created = AgendaGuest.objects.get_or_create(
        item=item, user=guest, defaults={"invited_by": actor, "valid_until": valid_until}
    )
    if not created:
        raise ValidationError({"email": [_("Personen er allerede inviteret til punktet.")]})
    Notification.objects.create(
        recipient=guest,
        kind="guest_invited",
        message=_("Du er inviteret som gæst til et punkt om %(p)s i %(f)s.")
        % {"p": item.case_file.person.pseudonym, "f": session.forum.name},
        link=reverse("coordination:item-detail", args=[item.pk]),
    )
    casefile_disclosure_record(
        actor=actor,
        from_agency=actor.agency,
        case_file=item.case_file,
        source=invitation,
        necessity=necessity,
        data_categories=["referat", "helhedsplan"],
        to_agency_ids={guest.agency.pk},
    )
    return invitation
