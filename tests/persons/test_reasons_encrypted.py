"""Free-text reasons are encrypted under the case file's data key (issue 10): the columns hold
ciphertext, the change log holds no reason, the model gives the text, and deleting the case
file (its key destroyed) leaves nothing readable. The migration converts existing plaintext."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

import pytest
from auditlog.models import LogEntry
from django.contrib.auth.models import Group
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from coordination.meetings import item_record, session_approve, session_create
from coordination.models import AgendaItem, MinutesRevision, Note
from coordination.services import note_share
from core import crypto
from core.models import DataKey
from core.permissions import ROLE_DPO
from persons import retention
from persons.models import CaseFile, Concern, DeletedCaseFile, IdentityReveal, PersonGrant
from persons.services import (
    IdentityInput,
    casefile_update,
    concern_register,
    identity_reveal,
    person_grant_create,
)
from tests.factories import UserFactory
from tests.world import NECESSITY, PERSON_CPR, PERSON_NAME, World

NAMED = "Forummet skal kunne tale om den unge med navn for at koordinere indsatsen."
REVEAL = "Skal ringe til forældrene om mødet på torsdag i næste uge."
GRANT = "Den nye sagsbehandler skal kende helhedsplanen før overtagelsen."
SHARE = "Fraværet hænger sammen med politiets oplysninger om færden om aftenen."
SOURCE = "Politiet bad koordinatoren registrere bekymringen under ferien."
ITEM_NECESSITY = "Drøftelsen er nødvendig for at aftale en fælles indsats i familien."
CORRECTION = "Referatet nævnte den forkerte myndighed som fremlæggende part."
CLOSED = "Forløbet er afsluttet; den unge trives i den nye skole."
REASONS = [NAMED, REVEAL, GRANT, SHARE, SOURCE, ITEM_NECESSITY, CORRECTION, CLOSED]


@dataclass(frozen=True)
class Column:
    table: str
    column: str
    pk: int
    text: str


@dataclass
class Reasons:
    world: World
    columns: list[Column]
    rows: list[tuple[type[Any], int, str, str]]  # model, pk, field, text


def _record(world: World, item: AgendaItem, minutes: str, correction: str = "") -> AgendaItem:
    return item_record(
        actor=world.coordinator,
        item=item,
        mode="anonymous",
        necessity=ITEM_NECESSITY,
        presenting_agency=world.police,
        minutes=minutes,
        attendees=[world.chair, world.police_member],
        correction_reason=correction,
    )


@pytest.fixture
def reasons(world: World) -> Reasons:
    case_file = world.case_file
    # A concern a coordinator registers on behalf of the police (the same person: same file).
    concern = concern_register(
        actor=world.coordinator,
        forum=world.forum,
        identity=IdentityInput(name=PERSON_NAME, cpr=PERSON_CPR),
        categories=["vold"],
        description="Bekymring meldt af politiet",
        source_agency=world.police,
        necessity=NECESSITY,
        source_reason=SOURCE,
    ).concern
    assert concern.case_file_id == case_file.pk
    # Minutes recorded, approved and corrected.
    session = session_create(
        actor=world.coordinator,
        forum=world.forum,
        starts_at=timezone.now() + datetime.timedelta(hours=1),
    )
    item = AgendaItem.objects.get(session=session, case_file=case_file)
    item = _record(world, item, "Første referat af drøftelsen")
    session_approve(actor=world.chair, session=session)
    item = _record(world, AgendaItem.objects.get(pk=item.pk), "Rettet referat", CORRECTION)
    revision = MinutesRevision.objects.get(item=item)
    # A shared note, a named case file, a reveal, a grant, and the case file closed.
    note_share(actor=world.school_member, note=world.agency_note, necessity=SHARE)
    casefile_update(actor=world.coordinator, case_file=case_file, mode="named", reason=NAMED)
    reveal, _known = identity_reveal(
        actor=world.school_member, person_id=world.person.pk, reason=REVEAL
    )
    caseworker = UserFactory.create(agency=world.social, roles=["member"])
    grant = person_grant_create(
        actor=world.chair,
        case_file=case_file,
        grantee=caseworker,
        expires_at=timezone.now() + datetime.timedelta(days=7),
        reason=GRANT,
    )
    casefile_update(actor=world.coordinator, case_file=case_file, closed_reason=CLOSED)
    rows: list[tuple[type[Any], int, str, str]] = [
        (CaseFile, case_file.pk, "named_reason", NAMED),
        (CaseFile, case_file.pk, "closed_reason", CLOSED),
        (Concern, concern.pk, "source_reason", SOURCE),
        (IdentityReveal, reveal.pk, "reason", REVEAL),
        (PersonGrant, grant.pk, "reason", GRANT),
        (Note, world.agency_note.pk, "necessity", SHARE),
        (AgendaItem, item.pk, "necessity", ITEM_NECESSITY),
        (MinutesRevision, revision.pk, "reason", CORRECTION),
    ]
    columns = [Column(model._meta.db_table, field, pk, text) for model, pk, field, text in rows]
    return Reasons(world, columns, rows)


def raw(column: Column) -> bytes | None:
    with connection.cursor() as cursor:
        cursor.execute(
            f'SELECT "{column.column}" FROM "{column.table}" WHERE id = %s',  # noqa: S608
            [column.pk],
        )
        row = cursor.fetchone()
    return None if row is None or row[0] is None else bytes(row[0])


@pytest.mark.django_db
def test_the_columns_hold_ciphertext_without_the_text(reasons):
    for column in reasons.columns:
        stored = raw(column)
        assert stored is not None, column
        assert column.text.encode() not in stored, column
        assert column.text[:20].encode() not in stored, column


@pytest.mark.django_db
def test_the_model_gives_the_text(reasons):
    for model, pk, field, text in reasons.rows:
        assert getattr(model.objects.get(pk=pk), field) == text, (model, field)


@pytest.mark.django_db
def test_the_change_log_holds_no_reason(reasons):
    entries = list(LogEntry.objects.all())
    assert entries  # the changes were logged, only without the reasons
    for entry in entries:
        logged = f"{entry.changes}{entry.changes_text}{entry.additional_data}"
        for text in REASONS:
            assert text not in logged, (entry.content_type, text)
        for name in ("named_reason", "closed_reason", "source_reason", "necessity", "reason"):
            assert f'"{name}"' not in str(entry.changes).replace("'", '"'), (entry, name)


@pytest.mark.django_db
def test_deleting_the_case_file_erases_the_reasons(reasons):
    world = reasons.world
    case_file = CaseFile.objects.get(pk=world.case_file.pk)
    key_id = case_file.data_key_id
    copy = raw(reasons.columns[1])  # closed_reason
    assert copy is not None
    aad = crypto.value_aad("persons.casefile", case_file.pk, "closed_reason")
    assert crypto.decrypt_value(case_file.data_key.plaintext_key(), copy, aad) == CLOSED

    retention.casefile_delete_now(
        actor=world.coordinator,
        case_file_id=case_file.pk,
        cause=DeletedCaseFile.Cause.REQUEST,
    )

    for column in reasons.columns:
        assert raw(column) is None, column  # the row is gone
    assert not DataKey.objects.filter(pk=key_id).exists()
    # No key left in the database opens the copy taken before.
    for data_key in DataKey.objects.exclude(wrapped=None):
        with pytest.raises(crypto.DecryptionError):
            crypto.decrypt_value(data_key.plaintext_key(), copy, aad)


# --- the migration ----------------------------------------------------------------------------

BEFORE = [("persons", "0008_identity_correction"), ("coordination", "0010_note_revision")]
OLD_TEXT = {
    ("persons", "casefile", "named_reason"): "Gammel begrundelse for navn, i klartekst.",
    ("persons", "casefile", "closed_reason"): "Gammel begrundelse for lukning.",
    ("persons", "concern", "source_reason"): "Gammel begrundelse for anden kilde.",
    ("persons", "identityreveal", "reason"): "Gammel begrundelse for visning.",
    ("persons", "persongrant", "reason"): "Gammel begrundelse for adgang.",
    ("coordination", "note", "necessity"): "Gammel nødvendighed for deling.",
    ("coordination", "agendaitem", "necessity"): "Gammel nødvendighed for punktet.",
    ("coordination", "minutesrevision", "reason"): "Gammel begrundelse for rettelse.",
}


def _migrate(targets: list[tuple[str, str]]) -> None:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)


def _leaf_targets() -> list[tuple[str, str]]:
    executor = MigrationExecutor(connection)
    leaves: list[tuple[str, str]] = executor.loader.graph.leaf_nodes()
    return leaves


@pytest.fixture
def dpo_group(transactional_db: None) -> None:
    """An earlier transactional test's flush may have taken the roles the migrations made; a
    reveal notifies the DPO group."""
    Group.objects.get_or_create(name=ROLE_DPO)


@pytest.mark.django_db(transaction=True)
def test_the_migration_encrypts_existing_reasons_and_back(dpo_group, reasons):
    leaves = _leaf_targets()
    pks = {
        ("persons", "casefile"): reasons.world.case_file.pk,
        ("persons", "concern"): reasons.rows[2][1],
        ("persons", "identityreveal"): reasons.rows[3][1],
        ("persons", "persongrant"): reasons.rows[4][1],
        ("coordination", "note"): reasons.world.agency_note.pk,
        ("coordination", "agendaitem"): reasons.rows[6][1],
        ("coordination", "minutesrevision"): reasons.rows[7][1],
    }
    # A second case file whose key is destroyed: its reason cannot be converted, stays empty.
    other = CaseFile.objects.get(pk=reasons.world.other_case_file.pk)
    try:
        _migrate(BEFORE)
        old_apps = MigrationExecutor(connection).loader.project_state(BEFORE).apps
        # Backwards decrypted what the fixture wrote into the plaintext columns.
        old_case_file = old_apps.get_model("persons", "CaseFile").objects.get(
            pk=pks[("persons", "casefile")]
        )
        assert (old_case_file.named_reason, old_case_file.closed_reason) == (NAMED, CLOSED)
        for (app, name, field), text in OLD_TEXT.items():
            old_apps.get_model(app, name).objects.filter(pk=pks[(app, name)]).update(
                **{field: text}
            )
        old_apps.get_model("persons", "CaseFile").objects.filter(pk=other.pk).update(
            closed_reason="Kan ikke krypteres: nøglen er destrueret."
        )
        old_apps.get_model("core", "DataKey").objects.filter(pk=other.data_key_id).update(
            wrapped=None
        )
        _migrate(leaves)
    finally:
        _migrate(leaves)

    models: dict[tuple[str, str], type[Any]] = {
        ("persons", "casefile"): CaseFile,
        ("persons", "concern"): Concern,
        ("persons", "identityreveal"): IdentityReveal,
        ("persons", "persongrant"): PersonGrant,
        ("coordination", "note"): Note,
        ("coordination", "agendaitem"): AgendaItem,
        ("coordination", "minutesrevision"): MinutesRevision,
    }
    for (app, model_name, field), text in OLD_TEXT.items():
        model = models[(app, model_name)]
        pk = pks[(app, model_name)]
        column = Column(model._meta.db_table, field, pk, text)
        stored = raw(column)
        assert stored is not None, column
        assert text.encode() not in stored, column
        assert getattr(model.objects.get(pk=pk), field) == text, column
    assert raw(Column(CaseFile._meta.db_table, "closed_reason", other.pk, "")) is None
