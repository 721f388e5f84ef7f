"""Create a user from the server's command line (issue 14):

    manage.py create_user EMAIL --name "Navn" --role admin --password-env NEW_USER_PASSWORD
    manage.py create_user EMAIL --name "Navn" --agency "Skolen" --role member

For the first administrator after ``createsuperuser``, and for scripts; day to day, users are
made in Django admin. The password comes from the environment variable named by
``--password-env`` or is asked for twice (never from the command line, which other users of
the host can see) and must pass the password rules. The user sets up their second factor at
the first login. Recorded like any account change, without an actor (the system)."""

from __future__ import annotations

import getpass
import os
import re
from typing import Any, NoReturn

from django.contrib.auth.models import Group
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from accounts.models import Agency, User
from accounts.roles import Role

ENV_NAME = re.compile(r"[A-Z_][A-Z0-9_]*")


class Command(BaseCommand):
    help = "Opret en bruger med navn, myndighed og roller; adgangskoden fra miljøet eller prompten."

    def create_parser(self, prog_name: str, subcommand: str, **kwargs: Any) -> CommandParser:
        # No abbreviations: `--password SECRET` would otherwise be taken as `--password-env`,
        # putting the password on the command line after all.
        parser = super().create_parser(prog_name, subcommand, allow_abbrev=False, **kwargs)
        refuse = parser.error

        def error(message: str) -> NoReturn:
            # argparse repeats unknown arguments; one of them may be a password typed in anyway.
            if message.startswith("unrecognized arguments"):
                message = "ukendte argumenter (ikke gentaget: de kan rumme en adgangskode)"
            refuse(message)  # raises CommandError, or exits when run from a shell
            raise CommandError(message)  # for the type checker: refuse() does not return

        setattr(parser, "error", error)  # noqa: B010 - an instance's hook, not a class's
        return parser

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("email", help="brugerens e-mail (brugernavnet)")
        parser.add_argument("--name", required=True, help="fulde navn")
        parser.add_argument(
            "--agency", help="myndighedens navn eller id (ingen for en administrator)"
        )
        parser.add_argument(
            "--role",
            action="append",
            required=True,
            choices=[role.value for role in Role],
            help="en rolle; gentag for flere",
        )
        parser.add_argument(
            "--password-env", help="miljøvariabel med adgangskoden (ellers spørges der)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        email = User.objects.normalize_email(options["email"]).lower()
        if User.objects.filter(email__iexact=email).exists():
            raise CommandError(f"Der findes allerede en bruger med e-mailen {email}.")
        agency = _agency(options["agency"])
        roles = sorted(set(options["role"]))
        if Role.ADMIN not in roles and agency is None:
            raise CommandError("Angiv brugerens myndighed med --agency.")
        candidate = User(email=email, full_name=options["name"], agency=agency)
        password = _password(options["password_env"])
        try:
            validate_password(password, candidate)
        except ValidationError as invalid:
            raise CommandError(" ".join(invalid.messages)) from None
        try:
            with transaction.atomic():
                user = User.objects.create_user(
                    email,
                    password,
                    full_name=options["name"],
                    agency=agency,
                    is_staff=Role.ADMIN in roles,  # Django admin is the administrator's tool
                )
                user.groups.set(Group.objects.filter(name__in=roles))
        except ValidationError as refused:  # e.g. roles that may not be held together
            raise CommandError(" ".join(refused.messages)) from None
        self.stdout.write(f"Bruger {email} oprettet ({', '.join(roles)}).")


def _agency(given: str | None) -> Agency | None:
    if not given:
        return None
    found = Agency.objects.filter(pk=int(given)) if given.isdigit() else Agency.objects.none()
    found = found or Agency.objects.filter(name__iexact=given)
    if len(found) != 1:
        raise CommandError(f"Myndigheden {given!r} findes ikke entydigt.")
    return found[0]


def _password(variable: str | None) -> str:
    if variable is not None and not ENV_NAME.fullmatch(variable):
        # Not echoed: a value here that is no variable's name may be the password itself.
        raise CommandError("--password-env tager navnet på en miljøvariabel (A-Z, 0-9 og _).")
    if variable:
        password = os.environ.get(variable, "")
        if not password:
            raise CommandError(f"Miljøvariablen {variable} er tom.")
        return password
    first = getpass.getpass("Adgangskode: ")
    if first != getpass.getpass("Adgangskode igen: "):
        raise CommandError("De to adgangskoder er ikke ens.")
    return first
