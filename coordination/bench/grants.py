"""django-guardian's view of the same visibility, for the harness's comparison with its
generic ``get_objects_for_user``: a group per forum holding the forum's current members, and a
group object permission ``persons.view_focusperson`` on each person with an open case file
there. FocusPerson has no direct group permission model, so guardian's generic one is used.
Comparison data only: Tværs's own access rule never reads these rows."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from guardian.models import GroupObjectPermission

from accounts.models import User
from coordination.bench.copying import Timings, copy_rows, next_id
from coordination.bench.geography import ForumPlan
from coordination.bench.persons import CaseFilePlan
from persons.models import FocusPerson


def forum_group_name(forum_id: int) -> str:
    return f"bench-forum-{forum_id}"


def seed_guardian(
    forums: list[ForumPlan], case_files: list[CaseFilePlan], timings: Timings
) -> None:
    first = next_id(Group)
    group_of = {plan.forum.pk: first + i for i, plan in enumerate(forums)}
    copy_rows(
        Group,
        ["id", "name"],
        ((pk, forum_group_name(forum_id)) for forum_id, pk in group_of.items()),
        timings,
    )
    through = User.groups.through
    first_link = next_id(through)
    links = [(pk, group_of[plan.forum.pk]) for plan in forums for pk, _r, _a in plan.members]
    copy_rows(
        through,
        ["id", "user_id", "group_id"],
        ((first_link + i, user, group) for i, (user, group) in enumerate(links)),
        timings,
    )
    content_type = ContentType.objects.get_for_model(FocusPerson)
    permission = Permission.objects.get(content_type=content_type, codename="view_focusperson")

    def rows() -> Iterator[tuple[Any, ...]]:
        for cf in case_files:
            if not cf.closed:
                yield (
                    permission.pk,
                    content_type.pk,
                    str(cf.person_id),
                    group_of[cf.forum.forum.pk],
                )

    copy_rows(
        GroupObjectPermission,
        ["permission_id", "content_type_id", "object_pk", "group_id"],
        rows(),
        timings,
    )
