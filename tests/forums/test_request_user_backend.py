"""The request's user comes with agency, roles and current forums in one query
(forums.backends.RequestUserBackend); the permission filters use what it loaded, and it is as
fresh as each request."""

from __future__ import annotations

import datetime

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from core.permissions import roles_of, sees_no_content
from forums.backends import FORUM_ROLES_ATTR, RequestUserBackend
from forums.models import Membership
from persons.models import member_forum_ids

pytestmark = pytest.mark.django_db


def load(user):
    return RequestUserBackend().get_user(user.pk)


def test_one_query_brings_agency_roles_and_forums(world):
    with CaptureQueriesContext(connection) as queries:
        user = load(world.coordinator)
        roles = roles_of(user)
        agency = user.agency.name
        managing = member_forum_ids(user, managing=True)
    assert len(queries.captured_queries) == 1
    assert roles == {"coordinator"}
    assert agency
    assert managing == [world.forum.pk]


def test_only_current_memberships_count(world):
    today = timezone.localdate()
    Membership.objects.create(
        forum=world.other_forum,
        user=world.school_member,
        valid_from=today + datetime.timedelta(days=1),
    )
    assert load(world.expired_member).__dict__[FORUM_ROLES_ATTR] == {}
    loaded = load(world.school_member)
    assert member_forum_ids(loaded) == [world.forum.pk]  # not the one starting tomorrow


def test_a_membership_ended_counts_from_the_next_request(world, client):
    client.force_login(world.school_member)
    url = f"/personer/{world.person.pk}/"
    assert client.get(url).status_code == 200
    Membership.objects.filter(user=world.school_member, forum=world.forum).update(
        valid_to=timezone.localdate()
    )
    assert client.get(url).status_code == 404


def test_a_role_taken_away_counts_from_the_next_load(world):
    assert roles_of(load(world.coordinator)) == {"coordinator"}
    world.coordinator.groups.clear()
    assert roles_of(load(world.coordinator)) == frozenset()


def test_a_forum_role_changed_counts_from_the_next_request(world, client):
    """Demoted from coordinator to member: the next person page offers no manager's form."""
    client.force_login(world.coordinator)
    url = f"/personer/{world.person.pk}/"
    assert 'class="casefile-open"' in client.get(url).content.decode()
    Membership.objects.filter(user=world.coordinator, forum=world.forum).update(
        role=Membership.Role.MEMBER
    )
    assert 'class="casefile-open"' not in client.get(url).content.decode()


def test_a_group_name_is_taken_whole(world):
    """Role names are gathered as a JSON list: a group named with a comma is one name, never
    split into roles it merely mentions."""
    odd = Group.objects.create(name="dpo,admin")
    world.school_member.groups.add(odd)
    user = load(world.school_member)
    assert roles_of(user) == {"member", "dpo,admin"}
    assert not sees_no_content(user)


def test_an_inactive_user_is_not_loaded(world):
    world.school_member.is_active = False
    world.school_member.save()
    assert load(world.school_member) is None


def test_objects_loaded_elsewhere_ask_the_database(world):
    """A user object from a service or task carries nothing loaded: a subquery, so a change
    made meanwhile is seen."""
    assert not hasattr(world.school_member, FORUM_ROLES_ATTR)
    assert list(member_forum_ids(world.school_member)) == [{"forum_id": world.forum.pk}]
