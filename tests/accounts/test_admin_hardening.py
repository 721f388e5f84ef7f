"""Administration that cannot reach content (issue 8): the administrator persona, driving Django
admin, cannot raise itself, cannot reset a password unseen, cannot give a content-blind account
a content role and cannot change what an agency in use is. Every change to an account made by
someone else lands in the hash-chained AccountEvent record and tells the DPOs."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from auditlog.context import set_actor
from django.contrib.auth.models import Group, Permission
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.db import connection, transaction
from django.db.models import Max
from django.db.utils import ProgrammingError
from django.test import Client
from django.urls import reverse

from accounts.models import AGENCY_LOCKED_MESSAGE, ROLE_CONFLICT_MESSAGE, Agency, User
from audit.models import AccountEvent
from audit.services import disclosure_record
from audit.verify import verify_all, verify_chain
from core.models import Notification
from forums.models import Membership
from forums.services import membership_add, membership_end
from tests.factories import AgencyFactory, UserFactory

NEW_PASSWORD = "Skift-mig-2026-venligst"
SELF_REFUSAL = "Du kan ikke ændre dine egne roller, din myndighed eller din adgang."

pytestmark = pytest.mark.django_db


def change_url(user: User) -> str:
    return reverse("admin:accounts_user_change", args=[user.pk])


def password_url(user: User) -> str:
    return reverse("admin:auth_user_password_change", args=[user.pk])


def agency_url(agency: Agency) -> str:
    return reverse("admin:accounts_agency_change", args=[agency.pk])


def form_data(client: Client, url: str) -> dict[str, Any]:
    """What the admin page's form would post back unchanged."""
    response = client.get(url)
    assert response.status_code == 200
    form = response.context["adminform"].form
    data: dict[str, Any] = {}
    for name, field in form.fields.items():
        value = form[name].value()
        if field.disabled or value is None or value is False:
            continue
        if value is True:
            data[name] = "on"
        elif isinstance(value, list | tuple):
            data[name] = [str(v) for v in value]
        else:
            data[name] = str(value)
    return data


def group_ids(*names: str) -> list[str]:
    return [str(pk) for pk in Group.objects.filter(name__in=names).values_list("pk", flat=True)]


def roles(user: User) -> set[str]:
    return set(user.groups.values_list("name", flat=True))


@pytest.fixture
def recorded(world: Any) -> Callable[..., list[AccountEvent]]:
    """The account events written during the test (building the world writes some too)."""
    start = AccountEvent.objects.aggregate(last=Max("seq"))["last"] or 0

    def rows(user: User, action: str | None = None) -> list[AccountEvent]:
        found = AccountEvent.objects.filter(target=user, seq__gt=start).order_by("seq")
        return list(found.filter(action=action) if action else found)

    return rows


def dpo_notices(world: Any) -> list[Notification]:
    return list(Notification.objects.filter(recipient=world.dpo, kind="account_changed"))


@pytest.fixture
def admin_client(world: Any, client: Client) -> Client:
    client.force_login(world.admin)
    return client


# --- the administrator reaches the pages it is meant to ---------------------------------------


def test_admin_persona_reaches_user_and_agency_administration(world, admin_client):
    assert admin_client.get(reverse("admin:accounts_user_changelist")).status_code == 200
    assert admin_client.get(change_url(world.school_member)).status_code == 200
    assert admin_client.get(password_url(world.school_member)).status_code == 200
    assert admin_client.get(agency_url(world.police)).status_code == 200


# --- password resets are recorded and told ----------------------------------------------------


def test_password_reset_by_admin_is_recorded_and_the_dpo_is_told(world, admin_client, recorded):
    before = {n.pk for n in dpo_notices(world)}
    old_hash = User.objects.get(pk=world.school_member.pk).password

    response = admin_client.post(
        password_url(world.school_member),
        {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD, "usable_password": "true"},
    )

    assert response.status_code == 302, response.content
    member = User.objects.get(pk=world.school_member.pk)
    assert member.check_password(NEW_PASSWORD)
    [event] = recorded(member, AccountEvent.Action.PASSWORD_CHANGED)
    assert event.actor == world.admin
    assert event.actor_agency_id is None
    assert event.details == {"password_usable": True}
    stored = json.dumps(
        list(AccountEvent.objects.values()), default=str, ensure_ascii=False
    ) + json.dumps(list(Notification.objects.values()), default=str, ensure_ascii=False)
    for secret in (NEW_PASSWORD, old_hash, member.password):
        assert secret not in stored
    [notice] = [n for n in dpo_notices(world) if n.pk not in before]
    assert "Adgangskode ændret" in notice.message
    assert world.school_member.full_name in notice.message
    assert world.admin.full_name in notice.message
    assert notice.link == reverse("audit:user-history", args=[member.pk])
    result = verify_chain(AccountEvent)
    assert result.ok, result.problem
    assert result.checked == AccountEvent.objects.count() > 0
    assert verify_all().ok


def test_disabling_password_login_is_a_recorded_change(world, admin_client, recorded):
    response = admin_client.post(
        password_url(world.school_member), {"usable_password": "false", "unset-password": "1"}
    )

    assert response.status_code == 302, response.content
    assert not User.objects.get(pk=world.school_member.pk).has_usable_password()
    [event] = recorded(world.school_member, AccountEvent.Action.PASSWORD_CHANGED)
    assert event.details == {"password_usable": False}


def test_own_password_change_is_recorded_without_telling_the_dpo(world, admin_client, recorded):
    before = len(dpo_notices(world))

    response = admin_client.post(
        password_url(world.admin),
        {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD, "usable_password": "true"},
    )

    assert response.status_code == 302, response.content
    [event] = recorded(world.admin, AccountEvent.Action.PASSWORD_CHANGED)
    assert event.actor == world.admin
    assert len(dpo_notices(world)) == before


def test_a_password_hash_upgrade_at_login_is_not_a_change(world, recorded):
    member = User.objects.get(pk=world.school_member.pk)
    # What AbstractBaseUser.check_password's setter does when the hasher's cost went up.
    member.set_password("correct-horse-battery-staple")
    member._password = None  # type: ignore[attr-defined]  # set by set_password
    member.save(update_fields=["password"])

    assert recorded(member, AccountEvent.Action.PASSWORD_CHANGED) == []


def test_admin_cannot_reset_a_superusers_password(world, admin_client):
    root = User.objects.create_superuser(
        "root@test.tvaers.dk", "En-lang-nok-kode-2026", full_name="Rod"
    )
    old = root.password

    assert admin_client.get(password_url(root)).status_code == 403
    response = admin_client.post(
        password_url(root),
        {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD, "usable_password": "true"},
    )

    assert response.status_code == 403
    assert User.objects.get(pk=root.pk).password == old


# --- no way up: own roles, superuser, direct permissions ----------------------------------------


def test_admin_cannot_put_itself_in_the_coordinator_group(world, admin_client, recorded):
    data = form_data(admin_client, change_url(world.admin))
    data["groups"] = group_ids("admin", "coordinator")

    response = admin_client.post(change_url(world.admin), data)

    assert response.status_code == 200
    assert SELF_REFUSAL in response.content.decode()
    assert roles(world.admin) == {"admin"}
    assert recorded(world.admin, AccountEvent.Action.ROLES_CHANGED) == []


def test_admin_cannot_swap_its_own_role_either(world, admin_client):
    data = form_data(admin_client, change_url(world.admin))
    data["groups"] = group_ids("coordinator")
    data["agency"] = str(world.school.pk)

    response = admin_client.post(change_url(world.admin), data)

    assert response.status_code == 200
    assert SELF_REFUSAL in response.content.decode()
    admin = User.objects.get(pk=world.admin.pk)
    assert roles(admin) == {"admin"}
    assert admin.agency_id is None


def test_own_roles_and_flags_are_refused_below_the_form_too(world):
    admin_group = Group.objects.get(name="admin")
    with set_actor(world.admin):
        with pytest.raises(PermissionDenied), transaction.atomic():
            world.admin.groups.remove(admin_group)
        with pytest.raises(PermissionDenied), transaction.atomic():
            admin_group.user_set.remove(world.admin)
        admin = User.objects.get(pk=world.admin.pk)
        admin.agency = world.police
        with pytest.raises(PermissionDenied), transaction.atomic():
            admin.save()
    admin = User.objects.get(pk=world.admin.pk)
    assert roles(admin) == {"admin"}
    assert admin.agency_id is None


def test_superuser_and_direct_permissions_are_not_editable(world, admin_client, recorded):
    form = admin_client.get(change_url(world.school_member)).context["adminform"].form
    assert "is_superuser" not in form.fields
    assert "user_permissions" not in form.fields
    permission_ids = [str(pk) for pk in Permission.objects.values_list("pk", flat=True)[:3]]

    for target in (world.school_member, world.admin):
        data = form_data(admin_client, change_url(target))
        data["is_superuser"] = "on"
        data["user_permissions"] = permission_ids
        response = admin_client.post(change_url(target), data)
        assert response.status_code == 302, response.content

    for target in (world.school_member, world.admin):
        user = User.objects.get(pk=target.pk)
        assert not user.is_superuser
        assert not user.user_permissions.exists()
        assert recorded(user, AccountEvent.Action.SUPERUSER_CHANGED) == []


def test_createsuperuser_still_works_and_is_recorded(world, monkeypatch, recorded):
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "En-lang-nok-kode-2026")

    call_command(
        "createsuperuser",
        interactive=False,
        email="drift@test.tvaers.dk",
        full_name="Drift",
        verbosity=0,
    )

    root = User.objects.get(email="drift@test.tvaers.dk")
    assert root.is_superuser and root.is_staff
    [event] = recorded(root, AccountEvent.Action.CREATED)
    assert event.actor is None
    assert event.details["is_superuser"] is True


# --- changes to other accounts: allowed, recorded, told -----------------------------------------


def test_role_agency_and_active_changes_by_admin_are_recorded(world, admin_client, recorded):
    before = len(dpo_notices(world))
    data = form_data(admin_client, change_url(world.school_member))
    data["groups"] = group_ids("coordinator")
    data["agency"] = str(world.social.pk)
    data.pop("is_active")

    response = admin_client.post(change_url(world.school_member), data)

    assert response.status_code == 302, response.content
    member = User.objects.get(pk=world.school_member.pk)
    assert roles(member) == {"coordinator"} and member.agency == world.social
    assert not member.is_active
    by_action = {event.action: event for event in recorded(member)}
    assert by_action[AccountEvent.Action.AGENCY_CHANGED].details == {
        "from_agency_id": world.school.pk,
        "to_agency_id": world.social.pk,
    }
    assert AccountEvent.Action.DEACTIVATED in by_action
    role_events = recorded(member, AccountEvent.Action.ROLES_CHANGED)
    assert [e.details for e in role_events] == [
        {"removed": ["member"], "roles": []},
        {"added": ["coordinator"], "roles": ["coordinator"]},
    ]
    assert {e.actor_id for e in recorded(member)} == {world.admin.pk}
    assert len(dpo_notices(world)) == before + 4
    assert verify_chain(AccountEvent).ok


def test_a_change_after_the_request_has_no_stale_actor(world, admin_client, recorded):
    """django-auditlog leaves its context variable set after a request; a later change outside
    any request must not be put down to the last request's user."""
    admin_client.get(change_url(world.school_member))

    member = User.objects.get(pk=world.school_member.pk)
    member.is_staff = True
    member.save()

    [event] = recorded(member, AccountEvent.Action.STAFF_CHANGED)
    assert event.actor is None
    assert event.details == {"from": False, "to": True}


# --- a content-blind role never goes with a content role -----------------------------------------


def test_dpo_and_member_roles_together_are_refused_in_the_form(world, admin_client, recorded):
    data = form_data(admin_client, change_url(world.school_member))
    data["groups"] = group_ids("member", "dpo")

    response = admin_client.post(change_url(world.school_member), data)

    assert response.status_code == 200
    assert str(ROLE_CONFLICT_MESSAGE) in response.content.decode()
    assert roles(world.school_member) == {"member"}
    assert recorded(world.school_member, AccountEvent.Action.ROLES_CHANGED) == []


def test_dpo_and_member_roles_together_are_refused_on_the_model(world):
    member_group = Group.objects.get(name="member")
    with pytest.raises(ValidationError), transaction.atomic():
        world.dpo.groups.add(member_group)
    with pytest.raises(ValidationError), transaction.atomic():
        member_group.user_set.add(world.dpo)
    with pytest.raises(ValidationError), transaction.atomic():
        world.school_member.groups.add(Group.objects.get(name="admin"))

    assert roles(world.dpo) == {"dpo"}
    assert roles(world.school_member) == {"member"}
    # A swap is fine: the content role goes before the blind one comes.
    world.school_member.groups.set([Group.objects.get(name="dpo")])
    assert roles(world.school_member) == {"dpo"}


# --- agencies in use keep what they are --------------------------------------------------------


def test_police_agency_with_users_cannot_change_kind_in_admin(world, admin_client):
    data = form_data(admin_client, agency_url(world.police))
    data["kind"] = Agency.Kind.SKOLE

    response = admin_client.post(agency_url(world.police), data)

    assert response.status_code == 200
    assert str(AGENCY_LOCKED_MESSAGE) in response.content.decode()
    assert Agency.objects.get(pk=world.police.pk).kind == Agency.Kind.POLITI


def test_agency_in_use_refuses_changes_on_the_model(world):
    police = Agency.objects.get(pk=world.police.pk)
    police.kind = Agency.Kind.ANDET
    with pytest.raises(ValidationError) as refused:
        police.save()
    assert set(refused.value.message_dict) == {"kind"}
    police = Agency.objects.get(pk=world.police.pk)
    police.name = "Politiet (omdøbt)"  # the name is not locked
    police.save()
    assert Agency.objects.get(pk=world.police.pk).kind == Agency.Kind.POLITI


def test_agency_that_only_received_a_disclosure_is_locked(world, admin_client):
    receiver = AgencyFactory.create(kind=Agency.Kind.SKOLE, municipality=world.school.municipality)
    unused = AgencyFactory.create(kind=Agency.Kind.SKOLE, municipality=world.school.municipality)
    disclosure_record(
        actor=world.police_member,
        from_agency=world.police,
        to_agency_ids=[receiver.pk],
        forum_id=world.forum.pk,
        source=world.forum_note,
        person_id=world.person.pk,
        person_pseudonym=world.person.pseudonym,
        paragraph="1",
        cooperation="1",
        necessity="Test",
    )

    for agency, locked in ((receiver, True), (unused, False)):
        data = form_data(admin_client, agency_url(agency))
        data["is_self_governing"] = "on"
        response = admin_client.post(agency_url(agency), data)
        assert response.status_code == (200 if locked else 302)
        assert Agency.objects.get(pk=agency.pk).is_self_governing is not locked


# --- memberships ------------------------------------------------------------------------------


def test_membership_services_refuse_the_actor_themselves(world, recorded):
    with pytest.raises(PermissionDenied):
        membership_add(actor=world.coordinator, forum=world.other_forum, user=world.coordinator)
    own = Membership.objects.get(forum=world.forum, user=world.coordinator)
    with pytest.raises(PermissionDenied):
        membership_end(actor=world.coordinator, membership=own)

    assert not Membership.objects.filter(forum=world.other_forum, user=world.coordinator).exists()
    own.refresh_from_db()
    assert own.valid_to is None
    assert recorded(world.coordinator, AccountEvent.Action.MEMBERSHIP_ADDED) == []


def test_membership_added_and_ended_by_a_coordinator_is_recorded(world, client, recorded):
    newcomer = UserFactory.create(agency=world.school, roles=["member"])
    before = len(dpo_notices(world))
    client.force_login(world.coordinator)

    response = client.post(
        f"/api/v1/forums/{world.forum.pk}/memberships/",
        {"user": newcomer.pk, "role": "member"},
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    membership = Membership.objects.get(pk=response.json()["id"])
    assert client.delete(f"/api/v1/memberships/{membership.pk}/").status_code == 204

    added, ended = recorded(newcomer, AccountEvent.Action.MEMBERSHIP_ADDED) + recorded(
        newcomer, AccountEvent.Action.MEMBERSHIP_ENDED
    )
    assert added.actor == ended.actor == world.coordinator
    assert added.actor_agency == world.school
    assert added.details["forum_id"] == ended.details["forum_id"] == world.forum.pk
    assert added.details["role"] == "member"
    assert ended.details["membership_id"] == membership.pk
    assert len(dpo_notices(world)) == before + 2
    assert verify_chain(AccountEvent).ok


# --- the record itself ------------------------------------------------------------------------


def test_account_events_are_append_only(world):
    event = AccountEvent.objects.order_by("seq").first()
    assert event is not None
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tgname, tgenabled FROM pg_trigger "
            "WHERE tgrelid = 'audit_accountevent'::regclass AND NOT tgisinternal"
        )
        assert dict(cursor.fetchall()) == {
            "audit_accountevent_no_change": "A",
            "audit_accountevent_no_truncate": "A",
        }
        # Run the world's deferred FK checks now: pending trigger events would make PostgreSQL
        # refuse the TRUNCATE for another reason and mask the guard.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")

    with refused("UPDATE"), transaction.atomic():
        AccountEvent.objects.filter(pk=event.pk).update(details={"forged": True})
    with refused("DELETE"), transaction.atomic():
        AccountEvent.objects.filter(pk=event.pk).delete()
    with connection.cursor() as cursor:
        cursor.execute("SET session_replication_role = replica")
        try:
            with refused("UPDATE"), transaction.atomic():
                cursor.execute(
                    "UPDATE audit_accountevent SET action = 'created' WHERE id = %s", [event.pk]
                )
            with refused("TRUNCATE"), transaction.atomic():
                cursor.execute("TRUNCATE audit_accountevent CASCADE")
        finally:
            cursor.execute("SET session_replication_role = DEFAULT")

    assert AccountEvent.objects.get(pk=event.pk).details == event.details
    assert verify_chain(AccountEvent).ok


def refused(operation: str) -> Any:
    return pytest.raises(ProgrammingError, match=rf"append-only: {operation} refused")
