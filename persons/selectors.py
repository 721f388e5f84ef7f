"""Reads of persons, case files and concerns, always through core.permissions."""

from __future__ import annotations

import re
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Prefetch, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from core.permissions import (
    AnyUser,
    get_object_for,
    is_police,
    police_forum,
    require_list_scope,
    visible_to,
)
from forums.models import Forum
from persons.models import (
    PSEUDONYM_ALPHABET,
    CaseFile,
    Concern,
    DeletedCaseFile,
    FocusPerson,
    IdentityReveal,
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


def casefiles_of_person(
    *, user: AnyUser, person: FocusPerson, forum_id: int | None = None
) -> list[CaseFile]:
    case_files = visible_to(user, CaseFile.objects.filter(person=person))
    if forum_id is not None:
        case_files = case_files.filter(forum_id=forum_id)
    return list(case_files.select_related("forum", "data_key", "person").order_by("-opened_at"))


def casefiles_managed_of_person(*, user: AnyUser, person: FocusPerson) -> QuerySet[CaseFile, Any]:
    """The person's open case files on forums the user chairs or coordinates."""
    return visible_to(user, CaseFile.objects.filter(person=person), "change").select_related(
        "forum"
    )


def concerns_of_person(
    *, user: AnyUser, person: FocusPerson, forum_id: int | None = None
) -> list[Concern]:
    concerns = visible_to(user, Concern.objects.filter(case_file__person=person))
    if forum_id is not None:
        concerns = concerns.filter(case_file__forum_id=forum_id)
    return list(
        concerns.select_related(
            "case_file__data_key", "case_file__person", "case_file__forum", "source_agency"
        ).order_by("-created_at")
    )


def active_reveal(*, user: AnyUser, person: FocusPerson) -> IdentityReveal | None:
    """The user's unexpired reveal, while the named case file it was made on (whose known
    identity it shows) is still open, named and on one of the user's forums."""
    named = visible_to(
        user, CaseFile.objects.filter(person=person, discussion_mode=CaseFile.Mode.NAMED)
    )
    return (
        IdentityReveal.objects.filter(
            user_id=user.pk or 0,
            person=person,
            expires_at__gt=timezone.now(),
            case_file__in=named,
        )
        .select_related("case_file__data_key", "case_file__person__identity")
        .order_by("-expires_at")
        .first()
    )


def may_reveal(*, user: AnyUser, person: FocusPerson) -> bool:
    return visible_to(user, FocusPerson.objects.filter(pk=person.pk), "reveal").exists()


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
