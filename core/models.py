from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core import crypto


class WorkerHeartbeat(models.Model):
    """The last time each Celery worker ran its scheduled heartbeat.

    Written by the beat-driven task, read by the health check: it proves that beat, broker and
    worker all work, which a broker ping alone does not.
    """

    hostname = models.CharField(_("vært"), max_length=255, unique=True)
    seen_at = models.DateTimeField(_("senest set"))

    class Meta:
        verbose_name = _("worker-hjerteslag")
        verbose_name_plural = _("worker-hjerteslag")

    def __str__(self) -> str:
        return f"{self.hostname} @ {self.seen_at:%Y-%m-%d %H:%M:%S}"


class DataKey(models.Model):
    """A data key of envelope encryption, stored only wrapped by a master key (core.crypto).

    Each focus person and each case file has one. Destroying it erases the wrapped bytes, so
    what was encrypted under it cannot be read again, from backups neither.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    master_key_id = models.CharField(_("hovednøgle"), max_length=64, db_index=True)
    wrapped = models.BinaryField(_("indpakket nøgle"), null=True)
    created_at = models.DateTimeField(_("oprettet"), auto_now_add=True)
    destroyed_at = models.DateTimeField(_("destrueret"), null=True, blank=True)

    _plaintext: bytes | None = None  # unwrapped key, memory only, per instance

    class Meta:
        verbose_name = _("datanøgle")
        verbose_name_plural = _("datanøgler")

    def __str__(self) -> str:
        return f"DataKey {self.id} ({'destroyed' if self.destroyed_at else self.master_key_id})"

    @classmethod
    def create(cls) -> DataKey:
        data_key = cls()
        key, wrapped = crypto.new_data_key(str(data_key.id))
        data_key.master_key_id, data_key.wrapped = wrapped.master_key_id, wrapped.wrapped
        data_key.save()
        data_key._plaintext = key
        return data_key

    def plaintext_key(self) -> bytes:
        cached: bytes | None = getattr(self, "_plaintext", None)
        if cached is not None:
            return cached
        if self.wrapped is None:
            raise crypto.DataKeyDestroyed(f"data key {self.id} was destroyed")
        key = crypto.unwrap_data_key(
            str(self.id), crypto.WrappedKey(self.master_key_id, bytes(self.wrapped))
        )
        self._plaintext = key
        return key

    def rewrap(self) -> bool:
        """Wrap under the newest master key; False when nothing was to be done."""
        if self.wrapped is None or self.master_key_id == crypto.newest_master_key_id():
            return False
        wrapped = crypto.wrap_data_key(str(self.id), self.plaintext_key())
        self.master_key_id, self.wrapped = wrapped.master_key_id, wrapped.wrapped
        self.save(update_fields=["master_key_id", "wrapped"])
        return True

    def destroy(self) -> None:
        self.wrapped = None
        self.destroyed_at = timezone.now()
        self._plaintext = None
        self.save(update_fields=["wrapped", "destroyed_at"])


class Notification(models.Model):
    """An in-app notice to one user. Text carries pseudonyms and links at most, never identity
    or content (domain.md: no personal data in messages)."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(_("type"), max_length=64)
    message = models.CharField(_("besked"), max_length=500)
    link = models.CharField(_("link"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("oprettet"), auto_now_add=True)
    read_at = models.DateTimeField(_("læst"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("notifikation")
        verbose_name_plural = _("notifikationer")
        indexes = [models.Index(fields=["recipient", "-created_at"], name="notification_inbox_idx")]

    def __str__(self) -> str:
        return f"{self.kind} til {self.recipient_id}"


class UserSession(models.Model):
    """Which sessions belong to which user (core.sessions), so that all of one user's sessions
    can be ended at once — "log out everywhere", a change of roles or access — without
    decoding every session in the store. Holds only the session key; the session itself stays
    in Django's session store, whatever its engine."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("bruger"),
    )
    session_key = models.CharField(_("sessionsnøgle"), max_length=64, unique=True)
    created_at = models.DateTimeField(_("oprettet"), default=timezone.now)

    class Meta:
        verbose_name = _("brugersession")
        verbose_name_plural = _("brugersessioner")

    def __str__(self) -> str:
        return f"UserSession of user {self.user_id}"
