"""The person's access report (art. 15): everything the managing forum holds, the sources, the
disclosures and the look-ups (agency, forum, purpose; never a staff name); withheld parts show
as withheld; only the forum's chair or coordinator produces it, and that is audited."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.http import Http404
from django.template.loader import render_to_string
from django.urls import reverse

from audit.models import AccessEvent
from coordination import access_report
from coordination.models import ReportRestriction
from core.models import DataKey
from persons.models import CaseFile
from tests.persons.test_retention import ACTION_TEXT, GOALS, MINUTES, populate
from tests.world import (
    AGENCY_NOTE_TEXT,
    CONCERN_TEXT,
    FORUM_NOTE_TEXT,
    OTHER_CPR,
    OTHER_NAME,
    PERSON_CPR,
    PERSON_NAME,
    World,
)

pytestmark = pytest.mark.django_db

REASON = "Oplysningen stammer fra en igangværende forebyggende indsats over for en tredjemand."
OTHER_CONCERN_TEXT = "Bekymring i det andet forum"


def staff_names(world: World) -> list[str]:
    return [
        u.full_name
        for u in (
            world.coordinator,
            world.chair,
            world.school_member,
            world.police_member,
            world.outsider,
        )
    ]


def body(report: access_report.AccessReport) -> str:
    return render_to_string("coordination/access_report_body.html", {"report": report, "pdf": True})


def test_report_holds_everything_about_the_person_and_nothing_else(world, client):
    populate(world)
    client.force_login(world.school_member)
    client.get(reverse("coordination:person-detail", args=[world.person.pk]))

    report = access_report.access_report(actor=world.coordinator, person_id=world.person.pk)
    text = body(report)

    for expected in (
        PERSON_NAME,
        PERSON_CPR,
        CONCERN_TEXT,
        AGENCY_NOTE_TEXT,  # the school's internal note too: the person's right covers it
        FORUM_NOTE_TEXT,
        MINUTES,
        GOALS,
        ACTION_TEXT,
        world.school.name,  # a source and a looking agency
        world.forum.name,
        "Personens side i forummet",  # the purpose of the member's read
    ):
        assert expected in text, expected
    for absent in (OTHER_NAME, OTHER_CPR, OTHER_CONCERN_TEXT, *staff_names(world)):
        assert absent not in text, absent
    section = report.sections[0]
    assert section.disclosures, "the concern was shared with the forum's agencies"
    assert any(lookup.agency == world.school.name for lookup in section.lookups)
    event = AccessEvent.objects.filter(action=AccessEvent.Action.ACCESS_REPORT).get()
    assert event.actor_id == world.coordinator.pk
    assert event.person_ids == [world.person.pk]


def test_lookups_made_for_another_forum_are_not_shown(world, client):
    # The person is also on the other forum; its member's reads belong to that forum's report,
    # and nothing in this report may reveal that the other forum knows the person.
    CaseFile.objects.create(
        person=world.person,
        forum=world.other_forum,
        opened_by=world.outsider,
        data_key=DataKey.create(),
    )
    client.force_login(world.outsider)
    assert (
        client.get(reverse("coordination:person-detail", args=[world.person.pk])).status_code == 200
    )

    report = access_report.access_report(actor=world.coordinator, person_id=world.person.pk)

    assert [s.case_file.forum_id for s in report.sections] == [world.forum.pk]
    assert world.other_forum.name not in body(report)
    assert world.outsider.agency.name not in {look.agency for look in report.sections[0].lookups}


def test_a_withheld_note_shows_as_withheld(world):
    access_report.restriction_add(
        actor=world.coordinator,
        person_id=world.person.pk,
        case_file_id=world.case_file.pk,
        part=ReportRestriction.Part.NOTE,
        object_id=world.agency_note.pk,
        reason=REASON,
    )
    access_report.restriction_add(
        actor=world.coordinator,
        person_id=world.person.pk,
        case_file_id=world.case_file.pk,
        part=ReportRestriction.Part.LOOKUPS,
        object_id=None,
        reason=REASON,
    )

    text = body(access_report.access_report(actor=world.coordinator, person_id=world.person.pk))

    assert AGENCY_NOTE_TEXT not in text
    assert FORUM_NOTE_TEXT in text
    assert text.count("Tilbageholdt") == 2
    restriction = ReportRestriction.objects.get(part=ReportRestriction.Part.NOTE)
    assert restriction.reason == REASON  # readable through Tværs, encrypted at rest
    assert restriction.decided_by == world.coordinator


def test_a_restriction_must_name_a_record_of_the_case_file_and_a_reason(world):
    def add(**changes):
        data = {
            "actor": world.coordinator,
            "person_id": world.person.pk,
            "case_file_id": world.case_file.pk,
            "part": ReportRestriction.Part.CONCERN,
            "object_id": world.concern.pk,
            "reason": REASON,
        }
        data.update(changes)
        return access_report.restriction_add(**data)

    other_concern = world.other_case_file.concerns.get()
    for bad in (
        {"object_id": other_concern.pk},  # another person's concern
        {"object_id": None},
        {"part": "everything"},
        {"reason": "for kort"},
        {"case_file_id": world.other_case_file.pk},
        {"case_file_id": "x"},
    ):
        with pytest.raises(ValidationError):
            add(**bad)
    add()
    with pytest.raises(ValidationError, match="allerede"):
        add()
    assert ReportRestriction.objects.count() == 1


@pytest.mark.parametrize("who", ["school_member", "police_member", "outsider", "expired_member"])
def test_only_the_forums_chair_or_coordinator_produces_it(world, who):
    with pytest.raises(Http404):
        access_report.access_report(actor=getattr(world, who), person_id=world.person.pk)
    with pytest.raises(Http404):  # the same answer as for a person who does not exist
        access_report.access_report(actor=world.coordinator, person_id=987654321)
    assert not AccessEvent.objects.filter(action=AccessEvent.Action.ACCESS_REPORT).exists()


def test_the_dpo_is_refused_the_page(world, client):
    client.force_login(world.dpo)
    assert (
        client.get(reverse("coordination:access-report", args=[world.person.pk])).status_code == 403
    )


def test_the_chair_gets_the_page_and_the_pdf(world, client):
    client.force_login(world.chair)
    page = client.get(reverse("coordination:access-report", args=[world.person.pk]))
    assert page.status_code == 200
    assert CONCERN_TEXT in page.content.decode()
    assert "no-store" in page["Cache-Control"]
    pdf = client.get(reverse("coordination:access-report-pdf", args=[world.person.pk]))
    assert pdf.status_code == 200
    assert pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    assert "no-store" in pdf["Cache-Control"]
    assert PERSON_NAME not in pdf["Content-Disposition"]


def test_restricting_from_the_page(world, client):
    client.force_login(world.coordinator)
    url = reverse("coordination:access-report-restrict", args=[world.person.pk])
    bad = client.post(url, {"case_file": world.case_file.pk, "part": "note", "reason": REASON})
    assert bad.status_code == 400
    good = client.post(
        url,
        {
            "case_file": world.case_file.pk,
            "part": "note",
            "object_id": world.forum_note.pk,
            "reason": REASON,
        },
    )
    assert good.status_code == 302
    page = client.get(reverse("coordination:access-report", args=[world.person.pk]))
    assert FORUM_NOTE_TEXT not in page.content.decode()
