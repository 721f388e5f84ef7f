"""Writes on helhedsplaner and their actions, with optimistic versions (stale → 409)."""

from __future__ import annotations

import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Agency, User
from coordination.meetings import StaleVersion
from coordination.models import ForumSession, Plan, PlanAction
from forums.models import Membership
from persons.models import CaseFile
from persons.services import casefile_touch

MAX_GOALS = 20_000
MAX_ACTION = 2_000


@transaction.atomic
def plan_save(
    *,
    actor: User,
    case_file: CaseFile,
    goals: str,
    review_date: datetime.date | None = None,
    agreed_at_session: ForumSession | None = None,
    version: int | None = None,
) -> Plan:
    """Create or update the case file's plan. An update must name the version it edits."""
    goals = (goals or "").strip()
    if not goals:
        raise ValidationError({"goals": [_("Skriv planens mål.")]})
    if len(goals) > MAX_GOALS:
        raise ValidationError({"goals": [_("Målene må højst være %(n)s tegn.") % {"n": MAX_GOALS}]})
    if agreed_at_session is not None and agreed_at_session.forum_id != case_file.forum_id:
        raise ValidationError({"agreed_at_session": [_("Mødet hører til et andet forum.")]})
    plan = Plan.objects.select_for_update().filter(case_file=case_file).first()
    if plan is None:
        plan = Plan(case_file=case_file)
    elif version != plan.version:
        raise StaleVersion
    else:
        plan.version += 1
    plan.goals = goals
    plan.review_date = review_date
    plan.agreed_at_session = agreed_at_session
    try:
        with transaction.atomic():
            plan.save()
    except IntegrityError:  # another user created the plan at the same moment
        raise StaleVersion from None
    casefile_touch(case_file)
    return plan


def _check_owner(plan: Plan, owner: User, agency: Agency) -> None:
    if (
        not Membership.objects.current()
        .filter(user=owner, forum_id=plan.case_file.forum_id)
        .exists()
    ):
        raise ValidationError({"owner": [_("Den ansvarlige skal være medlem af forummet.")]})
    if owner.agency_id != agency.pk:
        raise ValidationError(
            {"responsible_agency": [_("Den ansvarlige hører ikke til den ansvarlige myndighed.")]}
        )


@transaction.atomic
def action_create(
    *,
    actor: User,
    plan: Plan,
    description: str,
    responsible_agency: Agency,
    owner: User,
    due_date: datetime.date,
) -> PlanAction:
    description = (description or "").strip()
    if not description or len(description) > MAX_ACTION:
        raise ValidationError(
            {"description": [_("Beskriv handlingen (højst %(n)s tegn).") % {"n": MAX_ACTION}]}
        )
    _check_owner(plan, owner, responsible_agency)
    action = PlanAction(
        plan=plan,
        description=description,
        responsible_agency=responsible_agency,
        owner=owner,
        due_date=due_date,
    )
    action.save()
    casefile_touch(plan.case_file)
    return action


@transaction.atomic
def action_update(
    *,
    actor: User,
    action: PlanAction,
    version: int,
    status: str | None = None,
    due_date: datetime.date | None = None,
    description: str | None = None,
) -> PlanAction:
    """Change status, due date or text. A new due date makes new reminders due (reminders are
    keyed by due date)."""
    locked = PlanAction.objects.select_for_update().get(pk=action.pk)
    if version != locked.version:
        raise StaleVersion
    managing = Membership.objects.current().filter(
        user=actor, forum_id=action.plan.case_file.forum_id, role__in=Membership.MANAGING_ROLES
    )
    if (due_date is not None or description is not None) and not managing.exists():
        # The owner reports progress; what and by when is the forum's decision.
        raise PermissionDenied(_("Kun formand og koordinator kan ændre frist og beskrivelse."))
    if status is not None:
        if status not in PlanAction.Status.values:
            raise ValidationError({"status": [_("Ukendt status.")]})
        action.status = status
        action.completed_at = timezone.now() if status == PlanAction.Status.DONE else None
    if due_date is not None:
        action.due_date = due_date
    if description is not None:
        if not description.strip() or len(description) > MAX_ACTION:
            raise ValidationError(
                {"description": [_("Beskriv handlingen (højst %(n)s tegn).") % {"n": MAX_ACTION}]}
            )
        action.description = description.strip()
    action.version = locked.version + 1
    action.save()
    casefile_touch(action.plan.case_file)
    return action
