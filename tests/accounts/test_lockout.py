"""Brute force: the login locks after LOGIN_FAILURE_LIMIT (3) failures within 24 hours, by
account and by client address; the lock and its lifting are audited."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from axes.models import AccessAttempt  # type: ignore[import-untyped]
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from accounts.lockout import failures, is_locked, record_failure
from audit.models import AccountEvent
from tests.factories import TEST_PASSWORD, UserFactory

LOGIN = "accounts:login"
LOCKED_TEXT = "Login er midlertidigt spærret"


WRONG_PASSWORD = "forkert-kode"


def attempt(client, email: str, password: str = WRONG_PASSWORD, ip: str = "10.0.0.1"):
    return client.post(reverse(LOGIN), {"username": email, "password": password}, REMOTE_ADDR=ip)


def events(user, action: str):
    return AccountEvent.objects.filter(target=user, action=action)


@pytest.mark.django_db
def test_account_locks_at_the_third_failure_even_from_different_addresses(client):
    user = UserFactory(email="sofie@skole.dk")

    first = attempt(client, "sofie@skole.dk", ip="10.0.0.1")
    second = attempt(client, "Sofie@Skole.DK", ip="10.0.0.2")  # case variants are one account
    assert first.status_code == second.status_code == 200
    assert not events(user, AccountEvent.Action.LOCKED_OUT).exists()

    third = attempt(client, "sofie@skole.dk", ip="10.0.0.3")

    assert third.status_code == 429
    assert LOCKED_TEXT in third.content.decode()
    assert "sofie@skole.dk" not in third.content.decode().lower()
    # The right password from a fresh address is refused while the account is locked.
    right = attempt(client, "sofie@skole.dk", TEST_PASSWORD, ip="10.0.0.9")
    assert right.status_code == 429
    assert "_auth_user_id" not in client.session
    locked = events(user, AccountEvent.Action.LOCKED_OUT)
    assert locked.count() == 1  # one lock, not one row per further attempt
    assert locked.get().actor_id is None
    assert locked.get().details["by"] == ["account"]


@pytest.mark.django_db
def test_address_locks_after_three_failures_on_different_accounts(client):
    users = [UserFactory() for _ in range(3)]
    victim = UserFactory(email="anden@skole.dk")

    for user in users:
        attempt(client, user.email, ip="10.0.0.7")

    refused = attempt(client, victim.email, TEST_PASSWORD, ip="10.0.0.7")
    assert refused.status_code == 429
    assert "_auth_user_id" not in client.session
    # The same account from another address still logs in.
    allowed = attempt(client, victim.email, TEST_PASSWORD, ip="10.0.0.8")
    assert allowed.status_code == 302


@pytest.mark.django_db
def test_unknown_account_gets_the_same_page_and_no_account_event(client):
    for _ in range(3):
        response = attempt(client, "findes.ikke@skole.dk")

    assert response.status_code == 429
    assert LOCKED_TEXT in response.content.decode()
    assert not AccountEvent.objects.filter(action=AccountEvent.Action.LOCKED_OUT).exists()


@pytest.mark.django_db
def test_lock_lifts_by_itself_after_24_hours(client):
    UserFactory(email="sofie@skole.dk")
    start = timezone.now()
    with time_machine.travel(start, tick=False) as traveller:
        for _ in range(3):
            attempt(client, "sofie@skole.dk")
        traveller.move_to(start + timedelta(hours=23, minutes=59))
        assert attempt(client, "sofie@skole.dk", TEST_PASSWORD).status_code == 429

        # The refused attempt above counts too: 24 hours from it.
        traveller.move_to(start + timedelta(hours=47, minutes=59, seconds=1))
        response = attempt(client, "sofie@skole.dk", TEST_PASSWORD)

    assert response.status_code == 302


@pytest.mark.django_db
def test_failures_older_than_24_hours_do_not_count(client):
    UserFactory(email="sofie@skole.dk")
    start = timezone.now()
    with time_machine.travel(start, tick=False) as traveller:
        attempt(client, "sofie@skole.dk")
        attempt(client, "sofie@skole.dk")
        traveller.move_to(start + timedelta(hours=24, seconds=1))
        attempt(client, "sofie@skole.dk")
        response = attempt(client, "sofie@skole.dk", TEST_PASSWORD)

    assert response.status_code == 302


@pytest.mark.django_db
def test_unlock_command_lifts_the_lock_and_is_audited(client):
    user = UserFactory(email="sofie@skole.dk")
    for _ in range(3):
        attempt(client, "sofie@skole.dk")

    call_command("unlock", "Sofie@skole.dk")

    lifted = events(user, AccountEvent.Action.LOCKOUT_LIFTED).get()
    assert lifted.actor_id is None
    assert failures(email="sofie@skole.dk") == 0
    assert attempt(client, "sofie@skole.dk", TEST_PASSWORD).status_code == 302


@pytest.mark.django_db
def test_admin_lifts_an_account_lock_as_the_actor(client, world):
    user = UserFactory(email="sofie@skole.dk")
    for _ in range(3):
        attempt(client, "sofie@skole.dk")
    attempts = list(AccessAttempt.objects.filter(username="sofie@skole.dk"))
    assert attempts

    admin_client = client.__class__()
    admin_client.force_login(world.admin)
    response = admin_client.post(
        reverse("admin:axes_accessattempt_changelist"),
        {"action": "lift_account_lock", "_selected_action": [a.pk for a in attempts]},
    )

    assert response.status_code == 302
    lifted = events(user, AccountEvent.Action.LOCKOUT_LIFTED).get()
    assert lifted.actor_id == world.admin.pk
    assert not AccessAttempt.objects.filter(username="sofie@skole.dk").exists()
    assert attempt(client, "sofie@skole.dk", TEST_PASSWORD).status_code == 302


@pytest.mark.django_db
def test_a_member_cannot_reach_the_lockout_admin(client, world):
    client.force_login(world.coordinator)

    response = client.get(reverse("admin:axes_accessattempt_changelist"))

    assert response.status_code in (302, 403)


@pytest.mark.django_db
def test_record_failure_counts_a_failed_second_factor(rf):
    user = UserFactory(email="sofie@skole.dk")
    request = rf.post("/log-ind/kode/", REMOTE_ADDR="10.0.0.5")

    for _ in range(3):
        record_failure(request, "sofie@skole.dk")

    assert is_locked(rf.post("/", REMOTE_ADDR="10.9.9.9"), "sofie@skole.dk")
    assert events(user, AccountEvent.Action.LOCKED_OUT).count() == 1


@pytest.mark.django_db
@pytest.mark.real_second_factor
def test_the_right_code_opens_nothing_once_the_code_step_has_locked_the_account(client):
    """Three wrong codes lock the account; a right fourth code then neither verifies the
    session nor lets the holder of the password guess on."""
    from django_otp.oath import totp
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from tests.factories import TEST_PASSWORD, UserFactory

    user = UserFactory.create(roles=["member"])
    device = TOTPDevice.objects.create(user=user, confirmed=True)
    response = client.post("/konto/log-ind/", {"username": user.email, "password": TEST_PASSWORD})
    assert response.status_code == 302
    for _ in range(3):
        client.post("/konto/log-ind/kode/", {"code": "000000"})
    right = f"{totp(device.bin_key):06d}"
    response = client.post("/konto/log-ind/kode/", {"code": right})
    # the session was ended at the lock: the right code leads back to the (locked) login
    assert response.status_code in (302, 429)
    page = client.get("/personer/")
    assert page.status_code == 302 and page["Location"].startswith("/konto/log-ind/")
    again = client.post("/konto/log-ind/", {"username": user.email, "password": TEST_PASSWORD})
    assert again.status_code == 429
