"""`manage.py create_user` (issue 14): a user from the server's command line, recorded like any
account change, with the password never on the command line and refusals that change nothing."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from accounts.models import User
from audit.models import AccountEvent
from tests.factories import AgencyFactory, UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "Et-langt-kodeord-til-test-2026"


def create(*args: str) -> None:
    call_command("create_user", *args)


def test_creates_a_member_of_an_agency_with_a_working_password(monkeypatch):
    AgencyFactory(name="Nørre Skole")
    monkeypatch.setenv("NEW_PASSWORD", PASSWORD)

    create(
        "Lærer@Skole.dk", "--name", "Lise Lærer", "--agency", "nørre skole", "--role", "member",
        "--password-env", "NEW_PASSWORD",
    )  # fmt: skip

    user = User.objects.get(email="lærer@skole.dk")
    assert user.agency is not None and user.agency.name == "Nørre Skole"
    assert user.full_name == "Lise Lærer"
    assert user.check_password(PASSWORD)
    assert sorted(user.groups.values_list("name", flat=True)) == ["member"]
    assert not user.is_staff and not user.is_superuser
    event = AccountEvent.objects.get(target=user, action=AccountEvent.Action.CREATED)
    assert event.actor is None  # the system: run on the server
    assert PASSWORD not in str(event.details)


def test_an_administrator_needs_no_agency_and_reaches_django_admin(monkeypatch):
    monkeypatch.setenv("NEW_PASSWORD", PASSWORD)
    create(
        "drift@kommune.dk", "--name", "Drift", "--role", "admin", "--password-env", "NEW_PASSWORD"
    )
    user = User.objects.get(email="drift@kommune.dk")
    assert user.is_staff and not user.is_superuser and user.agency is None


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--role", "member"], "myndighed"),  # a content role needs an agency
        (["--agency", "Findes Ikke", "--role", "member"], "findes ikke"),
        (["--agency", "Skolen", "--role", "dpo", "--role", "member"], "kan ikke også"),
    ],
)
def test_refusals_create_nothing(monkeypatch, args, message):
    AgencyFactory(name="Skolen")
    monkeypatch.setenv("NEW_PASSWORD", PASSWORD)
    with pytest.raises(CommandError, match=message):
        create("ny@skole.dk", "--name", "Ny", *args, "--password-env", "NEW_PASSWORD")
    assert not User.objects.filter(email="ny@skole.dk").exists()
    assert not AccountEvent.objects.filter(action=AccountEvent.Action.CREATED).exists()


def test_an_existing_email_in_any_case_is_refused(monkeypatch):
    UserFactory(email="findes@skole.dk")
    monkeypatch.setenv("NEW_PASSWORD", PASSWORD)
    with pytest.raises(CommandError, match="findes allerede"):
        create(
            "FINDES@skole.dk", "--name", "X", "--role", "admin", "--password-env", "NEW_PASSWORD"
        )


def test_the_password_rules_hold_and_an_empty_variable_is_refused(monkeypatch):
    monkeypatch.setenv("WEAK", "kort")
    with pytest.raises(CommandError):
        create("a@b.dk", "--name", "A", "--role", "admin", "--password-env", "WEAK")
    with pytest.raises(CommandError, match="tom"):
        create("a@b.dk", "--name", "A", "--role", "admin", "--password-env", "UNSET_VARIABLE")
    assert not User.objects.filter(email="a@b.dk").exists()


def test_there_is_no_way_to_give_the_password_on_the_command_line():
    with pytest.raises(CommandError):
        create("a@b.dk", "--name", "A", "--role", "admin", "--password", PASSWORD)
