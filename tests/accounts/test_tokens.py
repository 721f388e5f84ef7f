"""API tokens: issued only with password and a valid second-factor code, stored hashed,
expiring after API_TOKEN_HOURS, revocable; and the API's rate limits answer 429."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.core.cache import cache
from django.db import connection
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.test import APIClient

from accounts.models import ApiToken
from accounts.tokens import tokens_revoke_all
from audit.models import AccountEvent
from tests.factories import TEST_PASSWORD, UserFactory

TOKEN_URL = "/api/v1/auth/token/"
ME_URL = "/api/v1/me/"


def enrolled_user(**kwargs):
    user = UserFactory(**kwargs)
    device = TOTPDevice.objects.create(user=user, confirmed=True)
    return user, device


def code(device: TOTPDevice) -> str:
    return f"{totp(device.bin_key):06d}"


def issue(client: APIClient, user, otp: str, password: str = TEST_PASSWORD, ip="10.1.0.1"):
    return client.post(
        TOKEN_URL,
        {"email": user.email, "password": password, "otp": otp},
        format="json",
        REMOTE_ADDR=ip,
    )


def with_token(token: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client


@pytest.mark.django_db
def test_token_with_password_and_code_opens_the_api():
    user, device = enrolled_user()

    response = issue(APIClient(), user, code(device))

    assert response.status_code == 201, response.content
    body = response.json()
    assert set(body) == {"token", "expires_at"}
    me = with_token(body["token"]).get(ME_URL)
    assert me.status_code == 200
    assert me.json()["email"] == user.email
    created = AccountEvent.objects.get(target=user, action=AccountEvent.Action.TOKEN_CREATED)
    assert created.actor_id == user.pk


@pytest.mark.django_db
def test_token_is_stored_only_as_a_hash():
    user, device = enrolled_user()

    token = issue(APIClient(), user, code(device)).json()["token"]

    record = ApiToken.objects.get(user=user)
    assert token not in {record.key_hash, record.prefix}
    assert token.startswith(record.prefix)
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM accounts_apitoken")
        rows = repr(cursor.fetchall())
        cursor.execute("SELECT details::text FROM audit_accountevent")
        rows += repr(cursor.fetchall())
    assert token not in rows
    assert len(token) >= 43  # 32 random bytes


@pytest.mark.django_db
def test_no_token_without_a_second_factor_device():
    user = UserFactory()

    response = issue(APIClient(), user, "123456")

    assert response.status_code == 401
    assert "detail" in response.json()
    assert not ApiToken.objects.exists()


@pytest.mark.django_db
def test_no_token_without_a_code():
    user, _device = enrolled_user()

    response = APIClient().post(
        TOKEN_URL, {"email": user.email, "password": TEST_PASSWORD}, format="json"
    )

    assert response.status_code == 400
    assert "otp" in response.json()["errors"]
    assert not ApiToken.objects.exists()


@pytest.mark.django_db
def test_wrong_code_is_refused_and_counts_towards_the_lockout():
    user, device = enrolled_user()
    wrong = f"{(int(code(device)) + 1) % 1_000_000:06d}"

    first = issue(APIClient(), user, wrong)
    second = issue(APIClient(), user, wrong, ip="10.1.0.2")
    third = issue(APIClient(), user, wrong, ip="10.1.0.3")

    assert first.status_code == second.status_code == 401
    assert third.status_code == 429
    assert third.json()["detail"]
    assert "Retry-After" in third
    assert not ApiToken.objects.exists()
    assert AccountEvent.objects.filter(target=user, action=AccountEvent.Action.LOCKED_OUT).exists()
    # Locked: even the right password and code from another address get no token.
    with time_machine.travel(timezone.now() + timedelta(minutes=2)):
        right = issue(APIClient(), user, code(device), ip="10.1.0.9")
    assert right.status_code == 429
    assert not ApiToken.objects.exists()


@pytest.mark.django_db
def test_wrong_password_is_refused_and_counted():
    user, device = enrolled_user()

    for _ in range(2):
        assert issue(APIClient(), user, code(device), password="forkert").status_code == 401

    assert issue(APIClient(), user, code(device), password="forkert").status_code == 429


@pytest.mark.django_db
def test_expired_token_is_refused():
    user, device = enrolled_user()
    start = timezone.now()
    with time_machine.travel(start, tick=False) as traveller:
        token = issue(APIClient(), user, code(device)).json()["token"]
        traveller.move_to(start + timedelta(hours=8) - timedelta(seconds=1))
        assert with_token(token).get(ME_URL).status_code == 200
        traveller.move_to(start + timedelta(hours=8, seconds=1))
        response = with_token(token).get(ME_URL)

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"


@pytest.mark.django_db
def test_revoked_token_is_refused():
    user, device = enrolled_user()
    token = issue(APIClient(), user, code(device)).json()["token"]
    client = with_token(token)

    assert client.delete(TOKEN_URL).status_code == 204

    assert client.get(ME_URL).status_code == 401
    revoked = AccountEvent.objects.get(target=user, action=AccountEvent.Action.TOKEN_REVOKED)
    assert revoked.actor_id == user.pk


@pytest.mark.django_db
def test_logout_revokes_the_token():
    user, device = enrolled_user()
    client = with_token(issue(APIClient(), user, code(device)).json()["token"])

    assert client.post("/api/v1/auth/logout/").status_code == 204

    assert client.get(ME_URL).status_code == 401


@pytest.mark.django_db
def test_revoke_all_ends_every_token_of_the_user():
    user, device = enrolled_user()
    token = issue(APIClient(), user, code(device)).json()["token"]

    assert tokens_revoke_all(actor=user, user=user) == 1

    assert with_token(token).get(ME_URL).status_code == 401


@pytest.mark.django_db
def test_token_of_a_deactivated_user_is_refused():
    user, device = enrolled_user()
    token = issue(APIClient(), user, code(device)).json()["token"]

    user.is_active = False
    user.save()

    assert with_token(token).get(ME_URL).status_code == 401


@pytest.mark.django_db
def test_made_up_token_is_refused():
    UserFactory()

    response = with_token("x" * 43).get(ME_URL)

    assert response.status_code == 401


@pytest.mark.django_db
def test_api_rate_limit_answers_429_with_retry_after(settings):
    user, device = enrolled_user()
    token = issue(APIClient(), user, code(device)).json()["token"]
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"user": "2/min", "anon": "2/min", "token": "2/min"},
    }
    cache.clear()
    try:
        client = with_token(token)
        assert client.get(ME_URL).status_code == 200
        assert client.get(ME_URL).status_code == 200

        limited = client.get(ME_URL)

        assert limited.status_code == 429
        assert 0 < int(limited["Retry-After"]) <= 60
        body = limited.json()
        assert "For mange forespørgsler" in body["detail"]
        assert body["errors"]["non_field_errors"] == [body["detail"]]
        # Unauthenticated requests (the token endpoint) are limited per address, whatever
        # X-Forwarded-For claims.
        anonymous = APIClient()
        for forwarded in ("1.1.1.1", "2.2.2.2"):
            first = anonymous.post(
                TOKEN_URL, {}, format="json", REMOTE_ADDR="10.2.0.1", HTTP_X_FORWARDED_FOR=forwarded
            )
            assert first.status_code == 400
        spoofed = anonymous.post(
            TOKEN_URL, {}, format="json", REMOTE_ADDR="10.2.0.1", HTTP_X_FORWARDED_FOR="3.3.3.3"
        )
        assert spoofed.status_code == 429
        assert "Retry-After" in spoofed
    finally:
        cache.clear()


@pytest.mark.django_db
def test_a_new_password_revokes_every_token():
    # A thief holding a token keeps no access once the owner or an administrator changes the
    # password (Django ends the other browser sessions; the token must end too).
    user, device = enrolled_user()
    token = issue(APIClient(), user, code(device)).json()["token"]

    user.set_password("Et-helt-nyt-kodeord-2026")
    user.save()

    assert with_token(token).get(ME_URL).status_code == 401
    revoked = AccountEvent.objects.get(target=user, action=AccountEvent.Action.TOKEN_REVOKED)
    assert revoked.details["because"] == "password_changed"
    assert "Et-helt-nyt" not in repr(revoked.details)


@pytest.mark.django_db
def test_reactivating_an_account_does_not_revive_its_tokens():
    user, device = enrolled_user()
    token = issue(APIClient(), user, code(device)).json()["token"]

    user.is_active = False
    user.save()
    user.is_active = True
    user.save()

    assert with_token(token).get(ME_URL).status_code == 401
    assert ApiToken.objects.get(user=user).revoked_at is not None


@pytest.mark.django_db
def test_a_save_without_a_new_password_keeps_the_token():
    # Control for the two tests above: a login's last_login update, a name change, and a
    # password hash upgrade (check_password) leave the token usable.
    user, device = enrolled_user()
    token = issue(APIClient(), user, code(device)).json()["token"]

    user.full_name = "Nyt Navn"
    user.save()
    assert user.check_password(TEST_PASSWORD)

    assert with_token(token).get(ME_URL).status_code == 200
    assert not AccountEvent.objects.filter(
        target=user, action=AccountEvent.Action.TOKEN_REVOKED
    ).exists()
