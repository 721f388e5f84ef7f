"""Two-factor login (issue 9): a password alone reaches no person data, by page or API; the
code step takes a TOTP code or a single-use backup code; enrolment shows a QR code under the
CSP; an administrator resets someone else's second factor (recorded, the user emailed), never
their own; the demo users' codes come from `manage.py demo_otp`.

These tests log in through the real views: the suite-wide force_login patch is off here."""

from __future__ import annotations

import base64
import re
from io import StringIO
from typing import Any
from urllib.parse import urlencode

import pytest
from django.core import mail
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.demo import DEMO_PASSWORD, DEMO_TOTP_SECRET, USERS, seed_accounts
from accounts.mfa import current_code
from accounts.models import User
from audit.models import AccountEvent
from tests.factories import TEST_PASSWORD, UserFactory
from tests.world import World

pytestmark = [pytest.mark.django_db, pytest.mark.real_second_factor]

OTP_URL = reverse("accounts:otp")
ENROL_URL = reverse("accounts:otp-enrol")


def password_login(client: Client, user: User, password: str = TEST_PASSWORD) -> Any:
    response = client.post(
        reverse("accounts:login"), {"username": user.email, "password": password}
    )
    assert response.status_code == 302, response.content[:500]
    assert "_auth_user_id" in client.session
    return response


def enrol(user: User) -> TOTPDevice:
    device: TOTPDevice = TOTPDevice.objects.create(user=user, name="App", confirmed=True)
    return device


def code_for(device: TOTPDevice) -> str:
    device.refresh_from_db()
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{totp.token():06d}"


def is_verified(client) -> bool:
    return bool(client.get("/api/v1/me/").status_code == 200)


# --- a password alone --------------------------------------------------------------------------


def test_a_password_alone_reaches_no_person_page_and_no_api(world: World, client):
    enrol(world.school_member)
    response = password_login(client, world.school_member)
    assert response.url.startswith(OTP_URL)

    page = client.get(reverse("coordination:person-detail", args=[world.person.pk]))
    assert page.status_code == 302
    assert page.url.startswith(OTP_URL)
    assert world.person.pseudonym not in page.content.decode()

    for url in ["/api/v1/persons/", f"/api/v1/persons/{world.person.pk}/", "/api/v1/me/"]:
        api = client.get(url)
        assert api.status_code == 401, (url, api.content)
        assert world.person.pseudonym not in api.content.decode()
        assert "totrinsbekræftelse" in api.json()["detail"]

    # the same user with the second factor does see the person: the refusal was the factor's
    client.post(OTP_URL, {"code": code_for(TOTPDevice.objects.get(user=world.school_member))})
    page = client.get(reverse("coordination:person-detail", args=[world.person.pk]))
    assert page.status_code == 200
    assert world.person.pseudonym in page.content.decode()


def test_a_password_alone_does_not_open_django_admin(world: World, client):
    enrol(world.admin)
    password_login(client, world.admin)

    response = client.get(reverse("admin:accounts_user_changelist"))

    assert response.status_code == 302
    assert response.url.startswith(OTP_URL)


def test_the_login_steps_logout_and_health_stay_reachable(world: World, client):
    password_login(client, world.school_member)  # not enrolled: the code step sends to enrolment

    assert client.get("/healthz/").status_code == 200
    otp = client.get(OTP_URL)
    assert otp.status_code == 302 and otp.url.startswith(ENROL_URL)
    assert client.get(ENROL_URL).status_code == 200
    assert client.post(reverse("accounts:logout")).status_code == 302
    assert "_auth_user_id" not in client.session


# --- the code step -------------------------------------------------------------------------------


def test_a_wrong_code_is_refused(world: World, client):
    device = enrol(world.school_member)
    password_login(client, world.school_member)
    right = code_for(device)
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"

    response = client.post(OTP_URL, {"code": wrong})

    assert response.status_code == 200
    assert "Koden er forkert" in response.content.decode()
    assert not is_verified(client)


def test_the_right_code_verifies_and_rotates_the_session_key(world: World, client):
    device = enrol(world.school_member)
    password_login(client, world.school_member)
    key_after_password = client.session.session_key
    target = reverse("coordination:person-detail", args=[world.person.pk])

    response = client.post(f"{OTP_URL}?{urlencode({'next': target})}", {"code": code_for(device)})

    assert response.status_code == 302
    assert response.url == target
    assert client.session.session_key != key_after_password
    assert is_verified(client)
    # a code is good once: the same one again does not verify a fresh login
    other = Client()
    password_login(other, world.school_member)
    device.refresh_from_db()
    assert other.post(OTP_URL, {"code": code_for(device)}).status_code == 200
    assert not is_verified(other)


def test_next_may_not_lead_off_site(world: World, client):
    device = enrol(world.school_member)
    password_login(client, world.school_member)

    response = client.post(f"{OTP_URL}?next=https://evil.example/", {"code": code_for(device)})

    assert response.status_code == 302
    assert response.url == reverse("coordination:home")


def test_a_backup_code_works_once(world: World, client):
    enrol(world.school_member)
    static = StaticDevice.objects.create(user=world.school_member, name="Backup", confirmed=True)
    StaticToken.objects.create(device=static, token="abcd2345")

    password_login(client, world.school_member)
    assert client.post(OTP_URL, {"code": "ABCD 2345"}).status_code == 302
    assert is_verified(client)
    assert not StaticToken.objects.filter(device=static).exists()

    again = Client()
    password_login(again, world.school_member)
    response = again.post(OTP_URL, {"code": "abcd2345"})
    assert response.status_code == 200
    assert not is_verified(again)


# --- enrolment -----------------------------------------------------------------------------------


def test_enrolment_shows_a_qr_code_and_confirms_with_a_code(world: World, client):
    user = world.school_member
    response = password_login(client, user)
    assert client.get(response.url).url.startswith(ENROL_URL)

    page = client.get(ENROL_URL)
    body = page.content.decode()
    assert page.status_code == 200
    assert 'src="data:image/svg+xml' in body
    pending = TOTPDevice.objects.get(user=user, confirmed=False)
    secret = base64.b32encode(pending.bin_key).decode().rstrip("=")
    assert " ".join(secret[i : i + 4] for i in range(0, len(secret), 4)) in body
    assert client.get(ENROL_URL).content.decode().count(secret[:4]) >= 1  # a reload: same key
    assert TOTPDevice.objects.filter(user=user).count() == 1
    # the CSP is there, and the page carries no inline script or style
    csp = page["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "img-src 'self' data:" in csp
    assert re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", body) == []
    assert "<style" not in body and " style=" not in body
    assert not is_verified(client)

    assert client.post(ENROL_URL, {"code": "000000"}).status_code == 200
    assert not TOTPDevice.objects.get(pk=pending.pk).confirmed
    # django-otp throttles after a failure (1 s, doubling); lift it rather than sleep
    TOTPDevice.objects.filter(pk=pending.pk).update(throttling_failure_count=0)

    done = client.post(ENROL_URL, {"code": code_for(pending)})

    assert done.status_code == 200
    codes = re.findall(r"<li><code>([a-z2-7]{8})</code></li>", done.content.decode())
    assert len(set(codes)) == 10
    assert set(StaticToken.objects.filter(device__user=user).values_list("token", flat=True)) == (
        set(codes)
    )
    assert "no-store" in done["Cache-Control"]
    assert TOTPDevice.objects.get(pk=pending.pk).confirmed
    assert is_verified(client)
    event = AccountEvent.objects.filter(target=user, action=AccountEvent.Action.OTP_ENROLLED).get()
    assert event.actor_id == user.pk
    assert secret not in str(event.details) and codes[0] not in str(event.details)


def test_an_enrolled_user_cannot_enrol_again_with_a_password_alone(world: World, client):
    device = enrol(world.school_member)
    password_login(client, world.school_member)

    response = client.get(ENROL_URL)

    assert response.status_code == 302 and response.url.startswith(OTP_URL)
    assert client.post(ENROL_URL, {"code": code_for(device)}).status_code == 302
    assert list(TOTPDevice.objects.filter(user=world.school_member)) == [device]


# --- reset by an administrator -------------------------------------------------------------------


def admin_client(admin: User) -> Client:
    device = enrol(admin)
    client = Client()
    password_login(client, admin)
    assert client.post(OTP_URL, {"code": code_for(device)}).status_code == 302
    return client


def reset(client: Client, *users: User) -> Any:
    return client.post(
        reverse("admin:accounts_user_changelist"),
        {"action": "reset_second_factor", "_selected_action": [str(u.pk) for u in users]},
        follow=True,
    )


def test_an_administrator_resets_a_users_second_factor(world: World):
    target = world.school_member
    device = enrol(target)
    static = StaticDevice.objects.create(user=target, name="Backup", confirmed=True)
    StaticToken.objects.create(device=static, token="abcd2345")
    secret = base64.b32encode(device.bin_key).decode()
    client = admin_client(world.admin)

    response = reset(client, target)

    assert response.status_code == 200
    assert "Totrinsbekræftelsen er nulstillet for 1 bruger" in response.content.decode()
    assert not TOTPDevice.objects.filter(user=target).exists()
    assert not StaticDevice.objects.filter(user=target).exists()
    event = AccountEvent.objects.filter(target=target, action=AccountEvent.Action.OTP_RESET).get()
    assert event.actor_id == world.admin.pk
    assert [message.to for message in mail.outbox] == [[target.email]]
    body = f"{mail.outbox[0].subject}\n{mail.outbox[0].body}"
    assert "nulstillet" in body
    assert secret not in body and device.key not in body and "abcd2345" not in body
    # the user's next login starts at enrolment
    fresh = Client()
    password_login(fresh, target)
    assert fresh.get(OTP_URL)["Location"].startswith(ENROL_URL)


def test_nobody_resets_their_own_second_factor(world: World):
    client = admin_client(world.admin)

    response = reset(client, world.admin)

    assert "Du kan ikke nulstille din egen totrinsbekræftelse." in response.content.decode()
    assert TOTPDevice.objects.filter(user=world.admin).exists()
    assert not AccountEvent.objects.filter(action=AccountEvent.Action.OTP_RESET).exists()
    assert mail.outbox == []


def test_device_secrets_are_not_in_django_admin(world: World):
    from django.contrib import admin

    assert not admin.site.is_registered(TOTPDevice)
    assert not admin.site.is_registered(StaticDevice)


# --- the demo ------------------------------------------------------------------------------------


def test_demo_users_log_in_with_the_code_demo_otp_prints(client, settings):
    settings.DEBUG = True
    seed_accounts()
    demo = User.objects.get(email=USERS[0].email)
    device = TOTPDevice.objects.get(user=demo, confirmed=True)
    assert device.bin_key == base64.b32decode(DEMO_TOTP_SECRET)

    out = StringIO()
    call_command("demo_otp", demo.email.upper(), stdout=out)
    code = out.getvalue().strip()

    assert re.fullmatch(r"\d{6}", code)
    assert code == current_code(device)
    password_login(client, demo, DEMO_PASSWORD)
    assert client.post(OTP_URL, {"code": code}).status_code == 302
    assert is_verified(client)


def test_demo_otp_refuses_without_debug_and_for_real_devices(settings: Any):
    seed_accounts()
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG off"):
        call_command("demo_otp", USERS[0].email, stdout=StringIO())

    settings.DEBUG = True
    real = UserFactory()
    enrol(real)
    with pytest.raises(CommandError, match="no demo second factor"):
        call_command("demo_otp", real.email, stdout=StringIO())


def test_seed_demo_prints_the_secret_and_a_code(settings: Any):
    settings.DEBUG = True
    out = StringIO()

    call_command("seed_demo", stdout=out)

    assert DEMO_TOTP_SECRET in out.getvalue()
    assert re.search(r"code right now: \d{6}", out.getvalue())
