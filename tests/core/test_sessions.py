"""Sessions end on the server: after SESSION_IDLE_MINUTES without a request, SESSION_MAX_HOURS
after login, when the user's roles or access change, and everywhere at the user's request."""

from __future__ import annotations

import datetime
from importlib import import_module
from urllib.parse import urlencode

import pytest
import time_machine
from django.conf import settings
from django.contrib.auth.models import Group
from django.test import Client
from django.urls import reverse

from accounts.tokens import token_authenticate, token_create
from audit.models import AccountEvent
from core.models import UserSession
from core.sessions import LOGIN_AT

pytestmark = pytest.mark.django_db

START = datetime.datetime(2026, 11, 30, 8, 0, tzinfo=datetime.UTC)
HOME = "/"
API = "/api/v1/me/"


def session_exists(key: str) -> bool:
    return bool(import_module(settings.SESSION_ENGINE).SessionStore().exists(key))


def logged_in(client: Client, user) -> Client:
    client.force_login(user)
    assert client.get(HOME).status_code == 200
    return client


def test_settings_default_to_thirty_minutes_idle_and_ten_hours_at_most():
    assert settings.SESSION_IDLE_MINUTES == 30
    assert settings.SESSION_MAX_HOURS == 10
    assert settings.SESSION_EXPIRE_AT_BROWSER_CLOSE is True
    assert settings.SESSION_COOKIE_AGE == 10 * 3600


def test_login_rotates_the_session_key_and_indexes_the_new_one(world, client):
    anonymous = client.session
    anonymous["before_login"] = True
    anonymous.save()
    before = anonymous.session_key

    client.force_login(world.school_member)

    after = client.session.session_key
    assert after != before
    assert not session_exists(before)
    assert list(
        UserSession.objects.filter(user=world.school_member).values_list("session_key", flat=True)
    ) == [after]


def test_idle_session_ends_and_the_login_page_says_why(world, client):
    with time_machine.travel(START, tick=False) as clock:
        logged_in(client, world.school_member)
        clock.shift(datetime.timedelta(minutes=settings.SESSION_IDLE_MINUTES - 1))
        assert client.get(HOME).status_code == 200  # activity moves the idle deadline
        clock.shift(datetime.timedelta(minutes=settings.SESSION_IDLE_MINUTES - 1))
        assert client.get(HOME).status_code == 200
        clock.shift(datetime.timedelta(minutes=settings.SESSION_IDLE_MINUTES))

        response = client.get(reverse("coordination:person-list") + "?side=2")

    assert response.status_code == 302
    login = reverse("accounts:login")
    assert response["Location"].startswith(login)
    assert (
        urlencode({"next": reverse("coordination:person-list") + "?side=2"}) in response["Location"]
    )
    assert "_auth_user_id" not in client.session
    page = client.get(response["Location"]).content.decode()
    assert "Du er blevet logget ud, fordi din session er udløbet." in page
    assert not UserSession.objects.filter(user=world.school_member).exists()


def test_idle_api_session_gets_401_json(world, client):
    with time_machine.travel(START, tick=False) as clock:
        client.force_login(world.school_member)
        assert client.get(API).status_code == 200
        clock.shift(datetime.timedelta(minutes=settings.SESSION_IDLE_MINUTES, seconds=1))

        response = client.get(API)

    assert response.status_code == 401
    assert "udløbet" in response.json()["detail"]
    assert "no-store" in response["Cache-Control"]


def test_session_ends_after_the_absolute_lifetime_despite_activity(world, client):
    step = datetime.timedelta(minutes=25)
    with time_machine.travel(START, tick=False) as clock:
        logged_in(client, world.school_member)
        elapsed = datetime.timedelta()
        while elapsed + step < datetime.timedelta(hours=settings.SESSION_MAX_HOURS):
            clock.shift(step)
            elapsed += step
            assert client.get(HOME).status_code == 200, elapsed
        clock.shift(datetime.timedelta(hours=settings.SESSION_MAX_HOURS) - elapsed)

        response = client.get(HOME)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))
    assert "_auth_user_id" not in client.session


def test_a_logged_in_session_without_a_login_time_is_refused(world, client):
    logged_in(client, world.school_member)
    session = client.session
    del session[LOGIN_AT]
    session.save()

    assert client.get(HOME).status_code == 302


def test_a_role_change_ends_all_the_users_sessions(world):
    pc, phone, other = Client(), Client(), Client()
    logged_in(pc, world.school_member)
    logged_in(phone, world.school_member)
    logged_in(other, world.police_member)

    world.school_member.groups.add(Group.objects.get(name="coordinator"))

    assert pc.get(HOME).status_code == 302
    assert phone.get(HOME).status_code == 302
    assert other.get(HOME).status_code == 200, "other users keep their sessions"


def test_a_role_removed_from_the_groups_side_ends_the_sessions(world):
    client = logged_in(Client(), world.coordinator)

    Group.objects.get(name="coordinator").user_set.remove(world.coordinator)

    assert client.get(HOME).status_code == 302


@pytest.mark.parametrize("field", ["is_staff", "agency"])
def test_an_access_change_ends_the_sessions_but_an_ordinary_save_does_not(world, field):
    client = logged_in(Client(), world.school_member)
    user = world.school_member
    user.full_name = "Nyt Navn"
    user.save()
    assert client.get(HOME).status_code == 200

    if field == "is_staff":
        user.is_staff = True
    else:
        user.agency = world.police
    user.save()

    assert client.get(HOME).status_code == 302


def test_logout_everywhere_ends_sessions_revokes_tokens_and_is_recorded(world):
    user = world.school_member
    pc, phone = logged_in(Client(), user), logged_in(Client(), user)
    issued = token_create(actor=user)
    page = pc.get(reverse("accounts:logout-everywhere"))
    assert page.status_code == 200
    assert "Log ud på alle enheder" in page.content.decode()

    response = pc.post(reverse("accounts:logout-everywhere"))

    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:login")
    assert "Du er logget ud på alle enheder" in pc.get(response["Location"]).content.decode()
    assert pc.get(HOME).status_code == 302
    assert phone.get(HOME).status_code == 302
    assert token_authenticate(issued.token) is None
    assert not UserSession.objects.filter(user=user).exists()
    event = AccountEvent.objects.get(
        target_id=user.pk, action=AccountEvent.Action.LOGGED_OUT_EVERYWHERE
    )
    assert event.details == {"sessions": 2, "tokens": 1}


def test_logout_everywhere_needs_a_post_with_csrf_and_a_login(world):
    client = Client(enforce_csrf_checks=True)
    logged_in(client, world.school_member)

    assert client.post(reverse("accounts:logout-everywhere")).status_code == 403
    assert client.get(HOME).status_code == 200, "without the CSRF token nothing ended"
    anonymous = Client().get(reverse("accounts:logout-everywhere"))
    assert anonymous.status_code == 302


def test_user_menu_links_to_logout_everywhere(world, client):
    page = logged_in(client, world.school_member).get(HOME).content.decode()

    assert reverse("accounts:logout-everywhere") in page
