"""Feedback where people wait (issue 11): htmx requests (header HX-Request: true) get the changed
fragment only, plain POSTs keep their redirect; long operations carry the "Arbejder …"
indicator; the CSP-safe htmx markup (no hx-on, no inline script)."""

from __future__ import annotations

import datetime
import re
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from coordination.meetings import item_record, session_create
from coordination.models import ForumSession, PlanAction
from coordination.plans import action_create, plan_save
from persons.services import IdentityInput, concern_register
from tests.world import NECESSITY, World

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def fragment(response: Any) -> str:
    body: str = response.content.decode()
    assert response.status_code == 200, body[:500]
    assert "<html" not in body and "<body" not in body
    assert "HX-Request" in response.get("Vary", "")
    return body


def no_eval_markup(body: str) -> None:
    """What a strict CSP would block or htmx (allowEval: false) would refuse."""
    assert "hx-on" not in body and "hx-vars" not in body and "js:" not in body
    assert not re.search(r"<script(?![^>]*\bsrc=)", body)
    assert " style=" not in body


# --- Agenda ordering ---------------------------------------------------------------------


@pytest.fixture
def session(world: World) -> ForumSession:
    concern_register(
        actor=world.school_member,
        forum=world.forum,
        identity=IdentityInput(name="Anden Elev", cpr="0607134321"),
        categories=["vold"],
        description="Endnu en bekymring",
        source_agency=world.school,
        necessity=NECESSITY,
    )
    return session_create(
        actor=world.coordinator,
        forum=world.forum,
        starts_at=timezone.now() + datetime.timedelta(days=1),
    )


def order_of(session: ForumSession) -> list[int]:
    return list(session.items.order_by("order").values_list("pk", flat=True))


def test_moving_an_item_with_htmx_answers_the_agenda_alone(world, client, session):
    first, second = order_of(session)
    client.force_login(world.coordinator)
    url = reverse("coordination:session-agenda", args=[session.pk])

    response = client.post(url, {"operation": "down", "item": first}, **HTMX)

    body = fragment(response)
    assert order_of(session) == [second, first]
    assert 'id="agenda"' in body
    assert "Dagsordenen er opdateret." in body
    # the moved item's buttons keep their ids, so htmx puts focus back on the same control
    assert f'id="agenda-down-{first}"' in body
    assert body.index(f'id="item-{second}-heading"') < body.index(f'id="item-{first}-heading"')
    no_eval_markup(body)


def test_moving_an_item_without_htmx_still_redirects(world, client, session):
    first, second = order_of(session)
    client.force_login(world.coordinator)

    response = client.post(
        reverse("coordination:session-agenda", args=[session.pk]),
        {"operation": "up", "item": second},
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("coordination:session-detail", args=[session.pk])
    assert order_of(session) == [second, first]


def test_a_refused_move_shows_the_error_in_the_fragment(world, client, session):
    first, _ = order_of(session)
    client.force_login(world.coordinator)

    response = client.post(
        reverse("coordination:session-agenda", args=[session.pk]),
        {"operation": "sideways", "item": first},
        **HTMX,
    )

    body = fragment(response)
    assert "Ukendt handling." in body and 'role="alert"' in body


@pytest.mark.parametrize(("who", "status"), [("school_member", 403), ("outsider", 404)])
def test_htmx_gives_no_fragment_to_those_who_may_not_edit(world, client, session, who, status):
    first, second = order_of(session)
    client.force_login(getattr(world, who))

    response = client.post(
        reverse("coordination:session-agenda", args=[session.pk]),
        {"operation": "down", "item": first},
        **HTMX,
    )

    assert response.status_code == status
    assert b'id="agenda"' not in response.content
    assert order_of(session) == [first, second]


def test_the_session_page_wires_the_agenda_for_htmx(world, client, session):
    client.force_login(world.coordinator)

    page = client.get(reverse("coordination:session-detail", args=[session.pk])).content.decode()

    assert 'hx-target="#agenda"' in page and 'data-busy="agenda-busy"' in page
    assert 'id="agenda-busy"' in page and 'aria-live="polite"' in page
    no_eval_markup(page.split('id="agenda"', 1)[1])


def test_the_record_form_keeps_its_choices_after_recording(world, client, session):
    item = session.items.order_by("order").first()
    assert item is not None
    item_record(
        actor=world.coordinator,
        item=item,
        mode="anonymous",
        necessity=NECESSITY,
        presenting_agency=world.police,
        minutes="Forummet drøftede fraværet; skolen kontakter familien.",
        attendees=[world.chair, world.police_member],
    )
    client.force_login(world.coordinator)

    page = client.get(reverse("coordination:session-detail", args=[session.pk])).content.decode()

    prefix = f"item{item.pk}"
    assert re.search(rf'name="{prefix}-attendees" value="{world.chair.pk}"[^>]*checked', page)
    assert not re.search(
        rf'name="{prefix}-attendees" value="{world.school_member.pk}"[^>]*checked', page
    )
    assert f'<option value="{world.police.pk}" selected>' in page


# --- Action status -----------------------------------------------------------------------


@pytest.fixture
def action(world: World) -> PlanAction:
    plan = plan_save(actor=world.coordinator, case_file=world.case_file, goals="Mål for planen")
    return action_create(
        actor=world.coordinator,
        plan=plan,
        description="Samtale med familien",
        responsible_agency=world.school,
        owner=world.school_member,
        due_date=timezone.localdate() + datetime.timedelta(days=3),
    )


def status_url(action: PlanAction) -> str:
    return reverse("coordination:action-status", args=[action.pk])


@pytest.mark.parametrize("back", ["", "tasks"])
def test_marking_done_with_htmx_answers_the_row(world, client, action, back):
    client.force_login(world.school_member)
    data = {"version": action.version, "status": "done", "back": back}

    body = fragment(client.post(status_url(action), data, **HTMX))

    assert body.lstrip().startswith(f'<tr id="action-{action.pk}">')
    assert body.count("<tr") == 1
    assert "Udført" in body and "Markér udført" not in body
    assert "Handlingen er opdateret." in body and "data-swap-focus" in body
    if back == "tasks":
        assert world.forum.name in body  # the row of "Mine opgaver", with its forum column
    else:
        assert world.forum.name not in body
    assert PlanAction.objects.get(pk=action.pk).status == PlanAction.Status.DONE
    no_eval_markup(body)


def test_marking_done_without_htmx_still_redirects(world, client, action):
    client.force_login(world.school_member)

    on_plan = client.post(status_url(action), {"version": action.version, "status": "done"})
    assert on_plan.status_code == 302
    assert on_plan["Location"] == reverse("coordination:plan", args=[world.case_file.pk])

    stored = PlanAction.objects.get(pk=action.pk)
    on_tasks = client.post(
        status_url(action), {"version": stored.version, "status": "open", "back": "tasks"}
    )
    assert on_tasks.status_code == 302
    assert on_tasks["Location"] == reverse("coordination:my-tasks")
    assert PlanAction.objects.get(pk=action.pk).status == PlanAction.Status.OPEN


def test_a_stale_status_change_shows_the_newest_row_and_saves_nothing(world, client, action):
    client.force_login(world.school_member)

    body = fragment(
        client.post(status_url(action), {"version": action.version + 5, "status": "done"}, **HTMX)
    )

    assert "En anden har ændret dette imens" in body
    assert "Markér udført" in body  # still open: the newest version, with its button
    assert PlanAction.objects.get(pk=action.pk).status == PlanAction.Status.OPEN


def test_a_malformed_version_is_a_400_for_htmx_too(world, client, action):
    client.force_login(world.school_member)

    response = client.post(status_url(action), {"version": "x", "status": "done"}, **HTMX)

    assert response.status_code == 400
    assert PlanAction.objects.get(pk=action.pk).status == PlanAction.Status.OPEN


@pytest.mark.parametrize(("who", "status"), [("outsider", 404), ("expired_member", 404)])
def test_htmx_status_change_by_an_outsider_is_refused(world, client, action, who, status):
    client.force_login(getattr(world, who))

    response = client.post(
        status_url(action), {"version": action.version, "status": "done"}, **HTMX
    )

    assert response.status_code == status
    assert b"<tr" not in response.content
    assert PlanAction.objects.get(pk=action.pk).status == PlanAction.Status.OPEN


@pytest.mark.parametrize("url_name", ["plan", "my-tasks"])
def test_the_action_pages_wire_the_rows_for_htmx(world, client, action, url_name):
    client.force_login(world.school_member)
    args = [world.case_file.pk] if url_name == "plan" else []

    page = client.get(reverse(f"coordination:{url_name}", args=args)).content.decode()

    assert f'hx-target="#action-{action.pk}"' in page and 'hx-swap="outerHTML"' in page
    assert 'id="actions-busy"' in page and 'data-busy="actions-busy"' in page


# --- "Arbejder …" on long operations -------------------------------------------------------


def assert_indicator(page: str, busy_id: str) -> None:
    match = re.search(rf'<p class="busy-indicator" id="{busy_id}"[^>]*>', page)
    assert match, busy_id
    assert 'role="status"' in match.group(0) and 'aria-live="polite"' in match.group(0)
    assert 'data-busy-text="Arbejder …' in match.group(0)
    assert f'data-busy="{busy_id}"' in page


def test_the_access_report_pdf_link_shows_the_indicator(world, client):
    client.force_login(world.coordinator)
    page = client.get(reverse("coordination:access-report", args=[world.person.pk]))
    assert page.status_code == 200
    assert_indicator(page.content.decode(), "pdf-busy")


def test_the_art30_pdf_link_shows_the_indicator(world, client):
    client.force_login(world.dpo)
    page = client.get(reverse("coordination:art30"))
    assert page.status_code == 200
    assert_indicator(page.content.decode(), "pdf-busy")


def test_the_handover_upload_shows_the_indicator(world, client):
    client.force_login(world.police_member)
    page = client.get(reverse("coordination:handover", args=[world.forum.pk]))
    assert page.status_code == 200
    assert_indicator(page.content.decode(), "upload-busy")
