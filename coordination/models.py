from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.models import Agency
from core.fields import EncryptedModel, EncryptedTextField
from core.permissions import AnyUser
from persons.models import CaseFile


class NoteQuerySet(models.QuerySet["Note"]):
    def restrict(self, user: AnyUser, action: str = "view") -> NoteQuerySet:
        """Notes on visible case files: forum notes to the forum, agency notes to the agency.

        Sharing (action "share") is for the author's agency only.
        """
        visible = self.filter(case_file__in=CaseFile.objects.restrict(user, "view"))
        agency_id: int = getattr(user, "agency_id", None) or 0
        if action == "share":
            return visible.filter(visibility=Note.Visibility.AGENCY, agency_id=agency_id)
        return visible.filter(Q(visibility=Note.Visibility.FORUM) | Q(agency_id=agency_id))


class Note(EncryptedModel):
    """A free-text note on a case file, kept in the author's agency unless shared."""

    class Visibility(models.TextChoices):
        AGENCY = "agency", _("Kun egen myndighed")
        FORUM = "forum", _("Delt med forummet")

    case_file = models.ForeignKey(CaseFile, on_delete=models.CASCADE, related_name="notes")
    body = EncryptedTextField(_("tekst"), key_path="case_file.data_key")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    agency = models.ForeignKey(
        Agency, on_delete=models.PROTECT, related_name="+", verbose_name=_("myndighed")
    )
    visibility = models.CharField(
        _("synlighed"), max_length=16, choices=Visibility.choices, default=Visibility.AGENCY
    )
    created_at = models.DateTimeField(_("oprettet"), auto_now_add=True)
    shared_at = models.DateTimeField(_("delt"), null=True, blank=True)
    shared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    necessity = models.CharField(_("nødvendighed"), max_length=1000, blank=True)
    legal_paragraph = models.CharField(_("stykke"), max_length=8, blank=True)
    legal_cooperation = models.CharField(_("samarbejde"), max_length=8, blank=True)

    objects = NoteQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("notat")
        verbose_name_plural = _("notater")
        indexes = [
            models.Index(fields=["case_file", "visibility", "agency"], name="note_visibility_idx")
        ]

    def __str__(self) -> str:
        return f"Notat {self.pk}"

    def audit_subject(self) -> tuple[int, str]:
        return self.case_file.person_id, self.case_file.person.pseudonym

    def get_additional_data(self) -> dict[str, Any]:
        """Ties change-log rows to the person (DPO person history); ids only."""
        return {"person_id": self.case_file.person_id, "case_file_id": self.case_file_id}
