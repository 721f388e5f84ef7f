"""Audit records: who read what (AccessEvent), what went from which agency to which under
which § 115 basis (Disclosure) and who changed which account (AccountEvent). Metadata only:
ids, pseudonyms and reasons, never content.

Domain objects are referenced by content type and id (audit imports no domain app).
"""

from __future__ import annotations

import hashlib
import json
import uuid
from typing import Any, ClassVar

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q, Value
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Agency

GENESIS_HASH = "0" * 64


class ChainHead(models.Model):
    """The newest link of each audit chain. Appends lock this row, so concurrent writers
    append one after another and ``seq`` runs 1, 2, 3 ... without gaps."""

    chain = models.CharField(max_length=32, primary_key=True)
    seq = models.BigIntegerField(default=0)
    row_hash = models.CharField(max_length=64, default=GENESIS_HASH)

    def __str__(self) -> str:
        return f"{self.chain}@{self.seq}"


class ChainedRecord(models.Model):
    """An append-only audit row whose hash covers its content and the previous row's hash."""

    CHAIN: ClassVar[str]
    # Fields added after rows were chained: hashed only when set, so the rows written before
    # them verify as they were written (an empty value adds nothing; a set one is covered).
    HASHED_WHEN_SET: ClassVar[frozenset[str]] = frozenset()

    seq = models.BigIntegerField(unique=True, editable=False)
    prev_hash = models.CharField(max_length=64, editable=False)
    row_hash = models.CharField(max_length=64, editable=False)

    class Meta:
        abstract = True

    def canonical(self) -> bytes:
        """The hashed content: every concrete field but the id and the hash itself."""
        content: dict[str, Any] = {}
        for field in self._meta.concrete_fields:
            if field.attname in {"id", "row_hash"}:
                continue
            value = getattr(self, field.attname)
            if field.attname in self.HASHED_WHEN_SET and value in ("", [], None):
                continue
            if isinstance(field, models.GenericIPAddressField):
                value = field.get_prep_value(value)  # as stored: IPv6 in its short form
            if isinstance(value, bytes | memoryview):
                value = bytes(value).hex()  # a sealed reason: its ciphertext is hashed
            elif isinstance(value, uuid.UUID):
                value = str(value)
            content[field.attname] = value.isoformat() if hasattr(value, "isoformat") else value
        return json.dumps(
            content, sort_keys=True, separators=(",", ":"), ensure_ascii=False
        ).encode()

    def compute_hash(self) -> str:
        return hashlib.sha256(self.prev_hash.encode() + b"\n" + self.canonical()).hexdigest()


class AccessEvent(ChainedRecord):
    """A read (or refusal). Written on the request path without its place in the chain
    (``seq`` NULL, no hashes: *pending*); audit.services.sequence_pending chains it within
    seconds. The database lets exactly that one change through (migration 0012)."""

    class Action(models.TextChoices):
        VIEW_PERSON = "view_person", _("Så person")
        LIST_PERSONS = "list_persons", _("Så personliste")
        VIEW_CASE_FILE = "view_case_file", _("Så sag")
        VIEW_CONCERN = "view_concern", _("Så bekymring")
        VIEW_NOTE = "view_note", _("Så notat")
        VIEW_MINUTES = "view_minutes", _("Så referat")
        REVEAL_IDENTITY = "reveal_identity", _("Så identitet")
        SEARCH = "search", _("Søgning")
        EXPORT = "export", _("Eksport")
        ACCESS_REPORT = "access_report", _("Indsigtsrapport")
        EXTEND_RETENTION = "extend_retention", _("Forlængede opbevaring")
        DELETE_DATA = "delete_data", _("Slettede data")
        DENIED = "denied", _("Afvist adgang")
        # A council's anonymous statistics (no person: object is the council)
        VIEW_STATISTICS = "view_statistics", _("Så statistik")

    occurred_at = models.DateTimeField(_("tidspunkt"), default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    actor_agency = models.ForeignKey(Agency, on_delete=models.PROTECT, null=True, related_name="+")
    action = models.CharField(_("handling"), max_length=32, choices=Action.choices)
    content_type = models.ForeignKey(
        ContentType, on_delete=models.PROTECT, null=True, related_name="+"
    )
    object_ids = models.JSONField(_("objekter"), default=list)
    person_ids = models.JSONField(_("personer"), default=list)
    person_pseudonyms = models.JSONField(_("pseudonymer"), default=list)
    search_criterion = models.CharField(_("søgekriterium"), max_length=500, blank=True)
    reason = models.CharField(_("formål eller begrundelse"), max_length=1000, blank=True)
    request_id = models.CharField(max_length=64, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    # In which forum's capacity, and for what, the read was made (the person's access report
    # shows agency, forum and purpose, never the staff member). Purpose is the route's name
    # (e.g. "coordination:person-detail"); empty for work the system did by itself.
    # Defaults in the database too: rows written by SQL that names no new column stay valid.
    forum_ids = models.JSONField(
        _("fora"), default=list, db_default=Value([], output_field=models.JSONField()), blank=True
    )
    purpose = models.CharField(_("formål"), max_length=100, blank=True, default="", db_default="")
    # A reveal's reason, encrypted under the person's case file's data key (``reason`` stays
    # empty): the DPO reads it through audit.services.reason_text until the case file is
    # deleted. The hash covers the ciphertext, so the chain verifies after the key is gone.
    # ``data_key_id`` is no foreign key: the key is deleted, the row is never updated.
    sealed_reason = models.BinaryField(_("krypteret begrundelse"), null=True, blank=True)
    data_key_id = models.UUIDField(_("datanøgle"), null=True, blank=True)
    # NULL while pending (see the class docstring); the chained rows' seq runs 1, 2, 3 ...
    seq = models.BigIntegerField(unique=True, null=True, editable=False)  # type: ignore[assignment]

    CHAIN = "access_event"
    HASHED_WHEN_SET = frozenset({"forum_ids", "purpose", "sealed_reason", "data_key_id"})

    class Meta:
        ordering = ["-occurred_at", "-id"]
        verbose_name = _("adgangshændelse")
        verbose_name_plural = _("adgangshændelser")
        indexes = [
            models.Index(fields=["actor", "-occurred_at"], name="access_actor_idx"),
            models.Index(fields=["action", "-occurred_at"], name="access_action_idx"),
            models.Index(fields=["actor_agency", "-occurred_at"], name="access_agency_idx"),
            models.Index(fields=["-occurred_at"], name="access_time_idx"),
            # The sequencer's queue: small, since rows leave it within seconds.
            models.Index(fields=["id"], condition=Q(seq__isnull=True), name="access_pending_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.action} af {self.actor_id} {self.occurred_at:%Y-%m-%d %H:%M}"


class AccessEventSubject(models.Model):
    """Index of the persons an access event concerns, for the DPO's person look-ups on any
    database. The chained ``AccessEvent.person_ids`` stays the proof; this is its index."""

    event = models.ForeignKey(AccessEvent, on_delete=models.PROTECT, related_name="subjects")
    person_id = models.BigIntegerField()
    pseudonym = models.CharField(max_length=32)

    class Meta:
        indexes = [
            models.Index(fields=["person_id", "event"], name="subject_person_idx"),
            models.Index(fields=["pseudonym", "event"], name="subject_pseudonym_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.pseudonym} i {self.event_id}"


class Disclosure(ChainedRecord):
    """Information passed from one agency to others in a forum (videregivelse)."""

    occurred_at = models.DateTimeField(_("tidspunkt"), default=timezone.now)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    from_agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+")
    to_agency_ids = models.JSONField(_("modtagende myndigheder"), default=list)
    forum_id = models.BigIntegerField(_("forum"))
    source_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+")
    source_id = models.BigIntegerField()
    person_id = models.BigIntegerField()
    person_pseudonym = models.CharField(max_length=32)
    paragraph = models.CharField(_("stykke"), max_length=8)
    cooperation = models.CharField(_("samarbejde"), max_length=8)
    necessity = models.CharField(_("nødvendighed"), max_length=1000)
    data_categories = models.JSONField(_("datakategorier"), default=list)
    # The necessity, encrypted under the case file's data key (``necessity`` stays empty); see
    # AccessEvent.sealed_reason.
    sealed_reason = models.BinaryField(_("krypteret nødvendighed"), null=True, blank=True)
    data_key_id = models.UUIDField(_("datanøgle"), null=True, blank=True)

    CHAIN = "disclosure"
    HASHED_WHEN_SET = frozenset({"sealed_reason", "data_key_id"})

    class Meta:
        ordering = ["-occurred_at", "-id"]
        verbose_name = _("videregivelse")
        verbose_name_plural = _("videregivelser")
        indexes = [
            models.Index(fields=["person_id", "-occurred_at"], name="disclosure_person_idx"),
            models.Index(fields=["forum_id", "-occurred_at"], name="disclosure_forum_idx"),
        ]

    def __str__(self) -> str:
        return f"Videregivelse {self.pk}"


class AccountEvent(ChainedRecord):
    """A change to an account: password, roles, agency, access flags or a forum membership.
    Ids and role names only, never a password or its hash. ``actor`` is empty for changes made
    outside a request (console, migration)."""

    class Action(models.TextChoices):
        CREATED = "created", _("Oprettet")
        PASSWORD_CHANGED = "password_changed", _("Adgangskode ændret")
        ROLES_CHANGED = "roles_changed", _("Roller ændret")
        PERMISSIONS_CHANGED = "permissions_changed", _("Rettigheder ændret")
        AGENCY_CHANGED = "agency_changed", _("Myndighed ændret")
        ACTIVATED = "activated", _("Aktiveret")
        DEACTIVATED = "deactivated", _("Deaktiveret")
        STAFF_CHANGED = "staff_changed", _("Adgang til administration ændret")
        SUPERUSER_CHANGED = "superuser_changed", _("Superbruger ændret")
        MEMBERSHIP_ADDED = "membership_added", _("Medlemskab tilføjet")
        MEMBERSHIP_ENDED = "membership_ended", _("Medlemskab afsluttet")
        MEMBERSHIP_CHANGED = "membership_changed", _("Medlemskab ændret")
        OTP_ENROLLED = "otp_enrolled", _("Totrinsbekræftelse oprettet")
        OTP_RESET = "otp_reset", _("Totrinsbekræftelse nulstillet")
        LOCKED_OUT = "locked_out", _("Spærret efter fejlede login")
        LOCKOUT_LIFTED = "lockout_lifted", _("Spærring ophævet")
        TOKEN_CREATED = "token_created", _("API-nøgle udstedt")
        TOKEN_REVOKED = "token_revoked", _("API-nøgle tilbagekaldt")
        LOGGED_OUT_EVERYWHERE = "logged_out_everywhere", _("Logget ud overalt")

    occurred_at = models.DateTimeField(_("tidspunkt"), default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    actor_agency = models.ForeignKey(Agency, on_delete=models.PROTECT, null=True, related_name="+")
    target = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("bruger"),
    )
    action = models.CharField(_("handling"), max_length=32, choices=Action.choices)
    details = models.JSONField(_("detaljer"), default=dict)
    request_id = models.CharField(max_length=64, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)

    CHAIN = "account_event"

    class Meta:
        ordering = ["-occurred_at", "-id"]
        verbose_name = _("kontoændring")
        verbose_name_plural = _("kontoændringer")
        indexes = [
            models.Index(fields=["target", "-occurred_at"], name="account_target_idx"),
            models.Index(fields=["actor", "-occurred_at"], name="account_actor_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.action} på {self.target_id} af {self.actor_id}"


class Checkpoint(models.Model):
    """A signed statement of a chain's head at a moment: truncating the tail after it, even
    with the head row rewritten, is caught by anyone holding the public key.

    A *cut* (``is_cut``) is signed where a chain is pruned (audit.retention): it names the last
    pruned row, and verification starts after it (docs/audit-retention.md)."""

    chain = models.CharField(max_length=32)
    seq = models.BigIntegerField()
    row_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now)
    public_key = models.CharField(max_length=64)
    signature = models.CharField(max_length=128)
    # A default in the database too: a row inserted without it is an hourly checkpoint.
    is_cut = models.BooleanField(default=False, db_default=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["chain", "-seq"], name="checkpoint_chain_idx")]

    def __str__(self) -> str:
        return f"{self.chain}@{self.seq}"

    def message(self) -> bytes:
        """What is signed. A cut signs a message of its own kind, so an hourly checkpoint's
        signature can never pass for a cut's (the rows written before cuts sign as before)."""
        kind = "tvaers-audit-cut" if self.is_cut else "tvaers-audit-checkpoint"
        moment = self.created_at.isoformat()
        return f"{kind}:{self.chain}:{self.seq}:{self.row_hash}:{moment}".encode()


class SpotCheck(models.Model):
    """A DPO's review of one sampled access event (Datatilsynet recommends spot checks)."""

    access_event = models.OneToOneField(
        AccessEvent, on_delete=models.PROTECT, related_name="spot_check"
    )
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    reviewed_at = models.DateTimeField(default=timezone.now)
    finding = models.CharField(
        _("vurdering"),
        max_length=16,
        choices=[("ok", _("I orden")), ("follow_up", _("Skal følges op"))],
    )
    comment = models.CharField(_("bemærkning"), max_length=1000, blank=True)

    def __str__(self) -> str:
        return f"Stikprøve {self.access_event_id}"


class PseudonymAlias(models.Model):
    """A pseudonym a person was known by before (the kind-revealing ones were renamed once):
    the DPO's history of a person looked up by an old name stays whole, while the audit rows,
    which are never rewritten, keep the name they were written with."""

    pseudonym = models.CharField(_("pseudonym"), max_length=32, unique=True)
    person_id = models.BigIntegerField(_("person"))
    created_at = models.DateTimeField(_("oprettet"), default=timezone.now)

    class Meta:
        verbose_name = _("tidligere pseudonym")
        verbose_name_plural = _("tidligere pseudonymer")

    def __str__(self) -> str:
        return self.pseudonym
