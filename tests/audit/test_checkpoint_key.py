"""Checkpoints are verified with AUDIT_PUBLIC_KEY, configured apart from the database: a
checkpoint forged with another key, carrying that key in its own row, fails on the DPO's page,
in the API and in ``audit_verify``. Only the process holding AUDIT_SIGNING_KEY signs, and the
checkpoint task goes to the queue only that process consumes."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from audit.models import ChainHead, Checkpoint
from audit.services import access_record, checkpoint_record, sequence_pending
from audit.tasks import AUDIT_QUEUE, record_checkpoints
from audit.verify import verify_all
from config import keys
from config.celery import app
from core import crypto


def forger_seed() -> bytes:
    return keys.decode_key(keys.new_key(), name="forger")


def forged_checkpoint(chain: str, seed: bytes) -> Checkpoint:
    """What an attacker with the application's database rights can write: a checkpoint of the
    current head, signed with their own key, that key stored beside it."""
    head = ChainHead.objects.get(chain=chain)
    checkpoint = Checkpoint(
        chain=chain,
        seq=head.seq,
        row_hash=head.row_hash,
        created_at=timezone.now(),
        public_key=crypto.public_key_of(seed),
    )
    with override_settings(AUDIT_SIGNING_KEY=seed):
        checkpoint.signature = crypto.sign(checkpoint.message()).hex()
    checkpoint.save()
    return checkpoint


@pytest.fixture
def trail(world):
    for _ in range(3):
        access_record(actor=world.coordinator, action="search", search_criterion="q=A")
    sequence_pending()
    return world


def run_verify(*args: str) -> str:
    out = StringIO()
    call_command("audit_verify", *args, stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_a_genuine_checkpoint_verifies_under_the_configured_key(trail, settings):
    checkpoint = checkpoint_record("access_event")
    assert checkpoint is not None

    assert crypto.audit_public_keys() == [crypto.signing_public_key()]
    assert verify_all().ok
    assert "intact" in run_verify()


@pytest.mark.django_db
def test_a_forged_checkpoint_carrying_its_own_key_fails(trail):
    checkpoint_record("access_event")
    seed = forger_seed()
    forged = forged_checkpoint("access_event", seed)
    # The row vouches for itself: its stored key does verify its signature.
    assert crypto.verify_signature(
        forged.public_key, forged.message(), bytes.fromhex(forged.signature)
    )

    result = verify_all()

    assert not result.ok
    assert f"kontrolpunkt {forged.pk} har en ugyldig signatur" in result.problem
    assert f"(seq {forged.seq})" in result.problem
    with pytest.raises(CommandError, match=f"kontrolpunkt {forged.pk} "):
        run_verify()


@pytest.mark.django_db
def test_the_dpo_page_and_the_api_name_the_forged_checkpoint(trail, client):
    forged = forged_checkpoint("access_event", forger_seed())
    client.force_login(trail.dpo)

    page = client.post(reverse("audit:verify"))
    api = client.get("/api/v1/audit/verify/")

    assert page.status_code == 200
    assert f"kontrolpunkt {forged.pk} har en ugyldig signatur" in page.content.decode()
    assert crypto.signing_public_key() in page.content.decode()  # the key it checks with
    assert api.status_code == 200
    body = api.json()
    assert body["ok"] is False
    assert f"kontrolpunkt {forged.pk} " in body["problem"]


@pytest.mark.django_db
def test_public_key_option_overrides_the_configured_key(trail):
    seed = forger_seed()
    forged_checkpoint("access_event", seed)
    with pytest.raises(CommandError):
        run_verify()

    # Whoever trusts the forger's key accepts the forgery; the option is that choice.
    assert "intact" in run_verify(f"--public-key={crypto.public_key_of(seed)}")  # may start with -


@pytest.mark.django_db
def test_after_a_rotation_checkpoints_under_old_and_new_key_verify(trail, settings):
    old = checkpoint_record("access_event")
    assert old is not None
    new_seed = forger_seed()
    access_record(actor=trail.coordinator, action="search", search_criterion="q=B")
    with override_settings(AUDIT_SIGNING_KEY=new_seed):
        assert checkpoint_record("access_event") is not None
    old_key = crypto.signing_public_key()

    settings.AUDIT_PUBLIC_KEYS = [crypto.public_key_of(new_seed)]
    assert not verify_all().ok
    settings.AUDIT_PUBLIC_KEYS = [crypto.public_key_of(new_seed), old_key]
    assert verify_all().ok


@pytest.mark.django_db
def test_a_process_without_the_signing_key_refuses_to_sign(trail, settings):
    settings.AUDIT_SIGNING_KEY = None

    with pytest.raises(crypto.SigningKeyMissing, match="AUDIT_SIGNER=1"):
        checkpoint_record("access_event")
    with pytest.raises(crypto.SigningKeyMissing):
        record_checkpoints()
    with pytest.raises(CommandError, match="AUDIT_SIGNING_KEY is not configured"):
        run_verify("--print-public-key")
    assert not Checkpoint.objects.exists()
    # Verifying needs no signing key.
    assert verify_all().ok


def test_the_checkpoint_task_goes_to_the_audit_queue_only():
    route = app.amqp.router.route({}, "audit.tasks.record_checkpoints")
    assert route["queue"].name == AUDIT_QUEUE == "audit"
    assert app.conf.beat_schedule["audit-checkpoints"]["options"]["queue"] == AUDIT_QUEUE
    other = app.amqp.router.route({}, "core.tasks.record_worker_heartbeat")
    assert other["queue"].name == "celery"
