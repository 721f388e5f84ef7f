"""Reads of persons, case files and concerns, always through core.permissions."""

from __future__ import annotations

import datetime
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Exists, F, OuterRef, Prefetch, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.models import AccessEvent
from core.permissions import (
    AnyUser,
    get_object_for,
    is_police,
    police_forum,
    require_list_scope,
    visible_to,
)
from forums.models import Forum, ForumKind
from persons.models import (
    PSEUDONYM_ALPHABET,
    CaseFile,
    CaseFileTransfer,
    Concern,
    ConsentRecord,
    DeletedCaseFile,
    FocusPerson,
    IdentityReveal,
    member_forum_ids,
)

# A piece of a pseudonym (``K7QM-XR42``): up to four characters on each side of the dash. A
# word longer than four characters, or any I, O, 0 or 1, cannot be part of one.
PSEUDONYM_QUERY = re.compile(
    rf"[{PSEUDONYM_ALPHABET}]{{1,4}}|[{PSEUDONYM_ALPHABET}]{{0,4}}-[{PSEUDONYM_ALPHABET}]{{0,4}}"
)


def casefile_list_for_forum(*, user: AnyUser, forum: Forum) -> QuerySet[CaseFile, Any]:
    return (
        visible_to(user, CaseFile.objects.filter(forum=forum))
        .select_related("person")
        .order_by("person__pseudonym")
    )


def _with_visible_case_files(
    user: AnyUser, persons: QuerySet[FocusPerson, Any], forum_id: int | None = None
) -> QuerySet[FocusPerson, Any]:
    case_files = visible_to(user, CaseFile.objects.select_related("forum"))
    if forum_id is not None:
        case_files = case_files.filter(forum_id=forum_id)
    return persons.prefetch_related(
        Prefetch("case_files", queryset=case_files.order_by("pk"), to_attr="visible_case_files")
    )


def person_forum_scope(*, user: AnyUser, person: FocusPerson, requested: int | None) -> int | None:
    """The one forum a police account sees this person through (None: not narrowed)."""
    forum_ids = sorted({cf.forum_id for cf in getattr(person, "visible_case_files", [])})
    return police_forum(user, forum_ids, requested)


def clean_pseudonym_query(query: str) -> str:
    """A search text is a pseudonym or part of one, nothing else: the search criterion is kept
    in the append-only audit trail, where a name or CPR typed by mistake could never be erased.
    Anything outside the pseudonym alphabet is refused (400) before it is searched or logged."""
    query = query.strip().upper()
    if query and not PSEUDONYM_QUERY.fullmatch(query):
        raise ValidationError(
            {
                "q": [
                    _(
                        "Søg kun på pseudonym eller en del af det (fx K7QM-XR42): højst fire "
                        "bogstaver og tal på hver side af bindestregen, uden 0, 1, I og O."
                    )
                ]
            }
        )
    return query


PSEUDONYM = re.compile(rf"[{PSEUDONYM_ALPHABET}]{{4}}-[{PSEUDONYM_ALPHABET}]{{4}}")


def clean_after(value: str | None) -> str:
    """The keyset of a list page (``?efter=``): the last pseudonym of the page before, or ""
    for the first page. Lists are paged by pseudonym, not by page number, so no page needs the
    total count, and a page costs the same at any depth."""
    value = (value or "").strip().upper()
    if value and not PSEUDONYM.fullmatch(value):
        raise ValidationError(
            {"efter": [_("Ugyldig side: brug linket “Næste side”.")]}, code="invalid"
        )
    return value


def person_list_for(
    *, user: AnyUser, forum_id: int | None = None, query: str = ""
) -> QuerySet[FocusPerson, Any]:
    """Persons the user may see, with their visible case files; police only per forum, without
    search (the purpose lock). ``query`` must have passed ``clean_pseudonym_query``."""
    require_list_scope(user, FocusPerson, forum_given=forum_id is not None, search=query)
    # The police see even the case-file column one forum at a time.
    persons = _with_visible_case_files(
        user, visible_to(user, FocusPerson.objects.all()), forum_id if is_police(user) else None
    )
    if forum_id is not None:
        # Only the user's own forums: filtering by another forum must reveal nothing.
        persons = persons.filter(
            case_files__in=visible_to(user, CaseFile.objects.filter(forum_id=forum_id))
        )
    if query:
        persons = persons.filter(pseudonym__contains=clean_pseudonym_query(query))
    return persons.order_by("pseudonym")


def person_get_for(
    *, user: AnyUser, pk: Any, action: str = "view", audit_as: str | None = None
) -> FocusPerson:
    """One person the user may ``action`` ("open": put on another forum, which a per-person
    grant does not allow), else 404 (403 if seen but not theirs to act on)."""
    persons = _with_visible_case_files(user, FocusPerson.objects.all())
    return get_object_for(user, persons, pk, action, audit_as=audit_as)


def casefiles_managed_of_person(*, user: AnyUser, person: FocusPerson) -> QuerySet[CaseFile, Any]:
    """The person's open case files on forums the user chairs or coordinates."""
    return visible_to(user, CaseFile.objects.filter(person=person), "change").select_related(
        "forum"
    )


def concerns_on_case_files(*, user: AnyUser, case_files: Sequence[CaseFile]) -> list[Concern]:
    """The concerns the user sees on ``case_files`` (the person page's, read through the
    permission filter), newest first. Each gets its case file from ``case_files``: joining
    case file, person, forum and key again cost PostgreSQL more to plan than to run."""
    by_id = {cf.pk: cf for cf in case_files}
    concerns = list(
        visible_to(user, Concern.objects.filter(case_file_id__in=by_id))
        .select_related("source_agency")
        .order_by("-created_at")
    )
    for concern in concerns:
        concern.case_file = by_id[concern.case_file_id]
    return concerns


@dataclass(frozen=True)
class PageReveal:
    """The user's unexpired reveal as the person page shows it: until when, and the named case
    file whose known identity it shows."""

    case_file: CaseFile
    expires_at: datetime.datetime


def person_page_get_for(*, user: AnyUser, pk: Any) -> FocusPerson:
    """The person page's person (404 as ``person_get_for``), recorded as read, with
    ``visible_case_files``: the case files the user sees, each with its forum, data key, the
    shared identity (decrypted only if a reveal shows it), the chair of an age exception, and
    ``revealed_until``, the expiry of the user's newest unexpired reveal on it. Two queries,
    however many case files (issue 12's query budget)."""
    reveals = IdentityReveal.objects.filter(
        user_id=user.pk or 0, case_file=OuterRef("pk"), expires_at__gt=timezone.now()
    ).order_by("-expires_at")
    case_files: QuerySet[CaseFile, Any] = (
        visible_to(user, CaseFile.objects.all())
        .select_related("forum", "data_key", "person__identity", "age_override_by")
        .annotate(revealed_until=Subquery(reveals.values("expires_at")[:1]))
        .order_by("-opened_at", "-pk")
    )
    persons = FocusPerson.objects.all().prefetch_related(
        Prefetch("case_files", queryset=case_files, to_attr="visible_case_files")
    )
    return get_object_for(user, persons, pk, audit_as=AccessEvent.Action.VIEW_PERSON)


def reveal_on_page(case_files: Sequence[CaseFile]) -> PageReveal | None:
    """The user's unexpired reveal among case files from ``person_page_get_for`` (for a police
    account, those of its one forum): the newest on a named case file, which shows the identity
    as that case file's forum knows it."""
    named = [
        (until, cf)
        for cf in case_files
        if cf.discussion_mode == CaseFile.Mode.NAMED
        and (until := getattr(cf, "revealed_until", None)) is not None
    ]
    if not named:
        return None
    until, newest = max(named, key=lambda pair: pair[0])
    return PageReveal(newest, until)


def may_reveal_on_page(case_files: Sequence[CaseFile]) -> bool:
    """Whether the user may reveal, over case files from ``person_page_get_for``: the "reveal"
    rule of ``FocusPersonQuerySet.restrict`` is an open, named case file on one of the user's
    forums, exactly the named ones among them."""
    return any(cf.discussion_mode == CaseFile.Mode.NAMED for cf in case_files)


def retention_decisions(
    *, municipality_ids: frozenset[int] | None, limit: int
) -> tuple[list[CaseFile], list[DeletedCaseFile]]:
    """For the DPO (who sees no content, but must judge retention decisions): the extended
    case files, with their reasons, and the tombstones of deleted ones, on the forums of the
    given municipalities (None: all), newest first. The caller checked the DPO role."""
    extended = CaseFile.objects.filter(retention_extended_at__isnull=False)
    deleted = DeletedCaseFile.objects.all()
    if municipality_ids is not None:
        extended = extended.filter(forum__municipality_id__in=municipality_ids)
        deleted = deleted.filter(forum__municipality_id__in=municipality_ids)
    extensions = extended.select_related("forum", "person", "data_key", "retention_extended_by")
    return (
        list(extensions.order_by("-retention_extended_at")[:limit]),
        list(deleted.select_related("forum", "deleted_by").order_by("-deleted_at")[:limit]),
    )


def concerns_awaiting_decision(*, user: AnyUser) -> QuerySet[Concern, Any]:
    """Pending concerns on the forums the user coordinates or chairs, oldest first (the
    coordinator's work list and the decision pages)."""
    return (
        Concern.objects.restrict(user)
        .filter(
            decision=Concern.Decision.PENDING,
            case_file__forum_id__in=member_forum_ids(user, managing=True),
        )
        .select_related("case_file__person", "case_file__forum", "source_agency")
        .order_by("created_at", "pk")
    )


def adult_month_limit(*, within_months: int, today: Any = None) -> int:
    """The latest birth month index (year * 12 + month) of a person who turns 18 within
    ``within_months`` months of today's month (or already has)."""
    day = today or timezone.localdate()
    return (day.year - 18) * 12 + day.month + within_months


def turning_18_soon(*, user: AnyUser, within_months: int = 3) -> QuerySet[CaseFile, Any]:
    """Open SSP case files on forums the user coordinates or chairs whose person turns 18
    within ``within_months`` months (or already has) and that were not moved on yet.

    Month granularity, from the person's birth year and month (no decryption). A person whose
    birth month is unknown counts as born in January: flagged from the same point as the
    earliest possible birthday of that year (1 October the year before, with 3 months)."""
    transfers = CaseFileTransfer.objects.filter(from_case_file=OuterRef("pk"))
    return (
        CaseFile.objects.restrict(user, "change")
        .filter(forum__kind=ForumKind.SSP)
        .annotate(birth_index=F("person__birth_year") * 12 + Coalesce(F("person__birth_month"), 1))
        .filter(birth_index__lte=adult_month_limit(within_months=within_months))
        .exclude(Exists(transfers))
        .select_related("person", "forum")
        .order_by("person__birth_year", "person__birth_month", "pk")
    )


def concern_get_for_decision(*, user: AnyUser, pk: Any) -> Concern:
    """A concern on an open case file of a forum the user manages, read (and recorded) for
    deciding it; anyone else gets 404, a plain member of the forum too (not theirs to decide)."""
    concerns = Concern.objects.restrict(user, "change").select_related(
        "case_file__person", "case_file__forum", "case_file__data_key", "source_agency"
    )
    return get_object_for(user, concerns, pk, audit_as=AccessEvent.Action.VIEW_CONCERN)


def casefile_managed_get(*, user: AnyUser, pk: Any) -> CaseFile:
    """An open case file on a forum the user manages, else 404 (also for plain members)."""
    case_files = CaseFile.objects.restrict(user, "change").select_related(
        "forum", "person", "data_key"
    )
    return get_object_for(user, case_files, pk, audit_as=AccessEvent.Action.VIEW_CASE_FILE)


def forums_to_pass_to(*, user: AnyUser, forum: Forum) -> QuerySet[Forum, Any]:
    """The other forums of the forum's municipality that the user manages too."""
    return (
        visible_to(user, Forum.objects.filter(municipality_id=forum.municipality_id), "change")
        .exclude(pk=forum.pk)
        .order_by("name")
    )


def forums_to_transfer_to(*, user: AnyUser, case_file: CaseFile) -> QuerySet[Forum, Any]:
    """SSP+ and PSP forums of the municipality the user manages: where an SSP case moves at 18."""
    return forums_to_pass_to(user=user, forum=case_file.forum).filter(
        kind__in=(ForumKind.SSP_PLUS, ForumKind.PSP)
    )


def consent_history(*, case_files: Sequence[CaseFile]) -> dict[int, list[ConsentRecord]]:
    """The consent records of case files the caller already may see, newest first."""
    history: dict[int, list[ConsentRecord]] = {cf.pk: [] for cf in case_files}
    records = (
        ConsentRecord.objects.filter(case_file_id__in=list(history))
        .select_related("case_file__data_key", "recorded_by")
        .order_by("-given_on", "-pk")
    )
    for record in records:
        history[record.case_file_id].append(record)
    return history
