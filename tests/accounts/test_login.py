from __future__ import annotations

import pytest
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.demo import DEMO_PASSWORD, USERS, seed_accounts
from accounts.mfa import current_code
from accounts.models import User
from tests.factories import TEST_PASSWORD, UserFactory


@pytest.mark.django_db
def test_login_page_renders_in_danish_on_the_design_system(client):
    response = client.get(reverse("accounts:login"))

    assert response.status_code == 200
    content = response.content.decode()
    assert "Log ind" in content
    assert 'lang="da"' in content
    assert "vendor/dkfds/css/dkfds.min.css" in content


@pytest.mark.django_db
@pytest.mark.real_second_factor
def test_demo_user_logs_in_and_sees_name_and_agency(client):
    seed_accounts()
    demo = USERS[0]

    response = client.post(
        reverse("accounts:login"), {"username": demo.email, "password": DEMO_PASSWORD}
    )
    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts:otp"))
    device = TOTPDevice.objects.get(user__email=demo.email)
    response = client.post(response.url, {"code": current_code(device)})
    assert response.status_code == 302
    assert response.url == reverse("coordination:home")

    home = client.get(reverse("coordination:home")).content.decode()
    assert demo.full_name in home
    assert demo.agency is not None and demo.agency in home


@pytest.mark.django_db
def test_login_accepts_email_in_any_case(client):
    UserFactory(email="sofie@skole.dk")

    response = client.post(
        reverse("accounts:login"), {"username": "Sofie@Skole.DK", "password": TEST_PASSWORD}
    )

    assert response.status_code == 302


@pytest.mark.django_db
def test_wrong_password_is_refused_with_a_danish_message(client):
    UserFactory(email="sofie@skole.dk")

    response = client.post(
        reverse("accounts:login"), {"username": "sofie@skole.dk", "password": "forkert-kode"}
    )

    assert response.status_code == 200
    assert "E-mail eller adgangskode er forkert." in response.content.decode()
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_home_requires_login(client):
    response = client.get(reverse("coordination:home"))

    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts:login"))


@pytest.mark.django_db
def test_logout_is_a_post_and_ends_the_session(client):
    user = UserFactory()
    client.force_login(user)

    response = client.post(reverse("accounts:logout"))

    assert response.status_code == 302
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_seed_demo_is_idempotent_and_assigns_roles():
    seed_accounts()
    seed_accounts()

    assert User.objects.exclude(email="system@tvaers.invalid").count() == len(USERS)
    for demo in USERS:
        user = User.objects.get(email=demo.email)
        assert list(user.groups.values_list("name", flat=True)) == [demo.role.value]
        assert user.check_password(DEMO_PASSWORD)
