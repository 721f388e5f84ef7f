"""Audit records: who read what (AccessEvent) and what went from which agency to which under
which § 115 basis (Disclosure). Metadata only: ids, pseudonyms and reasons, never content.

Domain objects are referenced by content type and id (audit imports no domain app).
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Agency


class AccessEvent(models.Model):
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
        DENIED = "denied", _("Afvist adgang")

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

    class Meta:
        ordering = ["-occurred_at", "-id"]
        verbose_name = _("adgangshændelse")
        verbose_name_plural = _("adgangshændelser")
        indexes = [
            models.Index(fields=["actor", "-occurred_at"], name="access_actor_idx"),
            models.Index(fields=["action", "-occurred_at"], name="access_action_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.action} af {self.actor_id} {self.occurred_at:%Y-%m-%d %H:%M}"


class Disclosure(models.Model):
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
