"""Shared pieces of the workflow tests (issue 11)."""

from __future__ import annotations

import datetime

from django.db import connection
from django.utils import timezone

from accounts.models import User
from forums.models import Forum, Membership
from persons.models import CaseFile
from persons.services import IdentityInput, concern_register
from tests.world import NECESSITY, World

ADULT_SOON_NAME = "Mikkel Snartvoksen"
REASON = "Forummet har vurderet sagen og fundet det nødvendigt af hensyn til den unge."


def member(forum: Forum, user: User, role: str = Membership.Role.COORDINATOR) -> None:
    Membership.objects.create(
        forum=forum, user=user, role=role, valid_from=datetime.date(2025, 1, 1)
    )


def birth_date_turning_18_in_about(days: int) -> datetime.date:
    """The first of a month, so that the 18th birthday falls some ``days`` ahead (a month
    boundary either side); the person is 17 today."""
    ahead = timezone.localdate() + datetime.timedelta(days=days)
    return datetime.date(ahead.year - 18, ahead.month, 1)


def adult_soon_case_file(world: World, *, days: int = 45) -> CaseFile:
    """An SSP case file on ``world.forum`` of a person who turns 18 within about ``days``
    (an adult already for negative days: then registered by the chair, with the exception)."""
    adult = days < 0
    result = concern_register(
        actor=world.chair if adult else world.school_member,
        age_override_reason=REASON if adult else "",
        forum=world.forum,
        identity=IdentityInput(
            name=ADULT_SOON_NAME, birth_date=birth_date_turning_18_in_about(days)
        ),
        categories=["skolefravaer"],
        description="Bekymring om fravær op til det 18. år",
        source_agency=None,
        necessity=NECESSITY,
    )
    return result.concern.case_file


def raw_column(table: str, column: str, pk: object) -> bytes | None:
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT "{column}" FROM "{table}" WHERE id = %s', [pk])  # noqa: S608
        row = cursor.fetchone()
    return None if row is None or row[0] is None else bytes(row[0])
