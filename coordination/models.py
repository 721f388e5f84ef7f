from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Agency
from core.fields import EncryptedModel, EncryptedTextField
from core.permissions import AnyUser, sees_no_content
from core.sql import InIds
from forums.models import Forum
from forums.rules import LegalBasis
from persons.models import CaseFile, granted_case_file_ids, member_forum_ids


class NoteQuerySet(models.QuerySet["Note"]):
    def restrict(self, user: AnyUser, action: str = "view") -> NoteQuerySet:
        """Notes on visible case files: forum notes to the forum, agency notes to the agency.

        Sharing (action "share") is for the author's agency only.
        """
        # By the visible case files' ids, as Concern and Plan (decision 0018).
        case_files = CaseFile.objects.restrict(user, "view").order_by().values("pk")
        visible = self.filter(InIds("case_file_id", case_files))
        agency_id: int = getattr(user, "agency_id", None) or 0
        if action == "share":
            return visible.filter(visibility=Note.Visibility.AGENCY, agency_id=agency_id)
        if action == "correct":  # berigtigelse: the author corrects their own note
            return visible.filter(author_id=user.pk or 0)
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
    necessity = EncryptedTextField(_("nødvendighed"), key_path="case_file.data_key")
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

    def audit_forum(self) -> int:
        return self.case_file.forum_id

    def get_additional_data(self) -> dict[str, Any]:
        """Ties change-log rows to the person (DPO person history); ids only."""
        return {"person_id": self.case_file.person_id, "case_file_id": self.case_file_id}


class ForumSessionQuerySet(models.QuerySet["ForumSession"]):
    def restrict(self, user: AnyUser, action: str = "view") -> ForumSessionQuerySet:
        """Sessions of the user's forums; changing them needs chair or coordinator."""
        if sees_no_content(user):
            return self.none()
        return self.filter(forum_id__in=member_forum_ids(user, managing=action != "view"))


class ForumSession(models.Model):
    """A meeting of a forum (møde): planned, held, then minutes approved (locked)."""

    class Status(models.TextChoices):
        PLANNED = "planned", _("Planlagt")
        HELD = "held", _("Afholdt")
        APPROVED = "approved", _("Referat godkendt")

    forum = models.ForeignKey(Forum, on_delete=models.PROTECT, related_name="sessions")
    starts_at = models.DateTimeField(_("tidspunkt"))
    location = models.CharField(_("sted"), max_length=200, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.PLANNED
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    # Who leads this meeting and approves its minutes (issue 11); set to the forum's chair when
    # the session is planned, changeable by the coordinator while it is open.
    chair = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        verbose_name=_("mødeleder"),
    )
    approved_at = models.DateTimeField(_("godkendt"), null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )

    objects = ForumSessionQuerySet.as_manager()

    class Meta:
        ordering = ["-starts_at"]
        verbose_name = _("møde")
        verbose_name_plural = _("møder")
        indexes = [models.Index(fields=["forum", "starts_at"], name="session_forum_time_idx")]

    def __str__(self) -> str:
        return f"{self.forum_id} {self.starts_at:%Y-%m-%d}"

    @property
    def is_locked(self) -> bool:
        return self.status == self.Status.APPROVED


def current_invitations(user: AnyUser) -> models.QuerySet[AgendaGuest, Any]:
    """The guest rule, in one place: the user's invitations that still give access, i.e. not
    past ``valid_until`` and on a case file that is still open (closing it ends guest access
    at once, as it ends the members')."""
    return AgendaGuest.objects.filter(
        user_id=user.pk or 0,
        valid_until__gte=timezone.localdate(),
        item__case_file__closed_at__isnull=True,
    )


def guest_case_file_ids(user: AnyUser) -> models.QuerySet[Any, Any]:
    """Case files on whose agenda item the user is an invited guest, while the invitation runs."""
    return current_invitations(user).values("item__case_file_id")


class AgendaItemQuerySet(models.QuerySet["AgendaItem"]):
    def restrict(self, user: AnyUser, action: str = "view") -> AgendaItemQuerySet:
        """Items of the user's forums' sessions while the case file is open (closing it ends
        access to its minutes too); an invited guest sees their one item."""
        open_items = self.filter(case_file__closed_at__isnull=True)
        members = Q(session__in=ForumSession.objects.restrict(user, action))
        if action != "view" or sees_no_content(user):
            return open_items.filter(members)
        guests = Q(pk__in=current_invitations(user).values("item_id"))
        return open_items.filter(members | guests)


class AgendaItem(EncryptedModel):
    """One case file on a session's agenda; recording it writes minutes and a disclosure."""

    class Kind(models.TextChoices):
        NEW_CONCERN = "new", _("Ny bekymring")
        REVIEW = "review", _("Revurdering")
        FOLLOW_UP = "follow-up", _("Opfølgning")

    session = models.ForeignKey(ForumSession, on_delete=models.CASCADE, related_name="items")
    case_file = models.ForeignKey(CaseFile, on_delete=models.PROTECT, related_name="agenda_items")
    kind = models.CharField(_("type"), max_length=16, choices=Kind.choices)
    order = models.PositiveIntegerField(_("rækkefølge"), default=0)
    discussion_mode = models.CharField(
        _("drøftelse"), max_length=16, choices=CaseFile.Mode.choices, blank=True
    )
    presenting_agency = models.ForeignKey(
        Agency,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        verbose_name=_("fremlæggende myndighed"),
    )
    legal_paragraph = models.CharField(_("stykke"), max_length=8, blank=True)
    legal_cooperation = models.CharField(_("samarbejde"), max_length=8, blank=True)
    necessity = EncryptedTextField(_("nødvendighed"), key_path="case_file.data_key")
    attendees = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="+", blank=True)
    minutes = EncryptedTextField(_("referat"), key_path="case_file.data_key")
    recorded_at = models.DateTimeField(_("registreret"), null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    version = models.PositiveIntegerField(default=1)

    objects = AgendaItemQuerySet.as_manager()

    class Meta:
        ordering = ["session", "order", "pk"]
        verbose_name = _("dagsordenpunkt")
        verbose_name_plural = _("dagsordenpunkter")
        constraints = [
            models.UniqueConstraint(
                fields=["session", "case_file"], name="agenda_one_item_per_case_file"
            ),
        ]

    @property
    def legal_basis_label(self) -> str:
        """ "§ 115, stk. 2, nr. 1" once recorded; "—" before."""
        if not (self.legal_paragraph and self.legal_cooperation):
            return "—"
        return str(LegalBasis(self.legal_paragraph, self.legal_cooperation))

    def __str__(self) -> str:
        return f"Punkt {self.pk}"

    def audit_subject(self) -> tuple[int, str]:
        return self.case_file.person_id, self.case_file.person.pseudonym

    def audit_forum(self) -> int:
        return self.case_file.forum_id

    def get_additional_data(self) -> dict[str, Any]:
        return {"person_id": self.case_file.person_id, "case_file_id": self.case_file_id}


class AgendaGuest(models.Model):
    """A person outside the forum (e.g. a class teacher) invited by the chair to one item.

    The guest sees that item and that person's plan only, from the invitation until
    ``valid_until`` (the session day plus GUEST_ACCESS_DAYS); access ends by itself."""

    item = models.ForeignKey(AgendaItem, on_delete=models.CASCADE, related_name="guests")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="guest_invitations"
    )
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    invited_at = models.DateTimeField(auto_now_add=True)
    valid_until = models.DateField(_("adgang til og med"))

    class Meta:
        constraints = [models.UniqueConstraint(fields=["item", "user"], name="guest_once_per_item")]
        indexes = [models.Index(fields=["user", "valid_until"], name="guest_access_idx")]

    def __str__(self) -> str:
        return f"Gæst {self.user_id} på punkt {self.item_id}"

    def get_additional_data(self) -> dict[str, Any]:
        return {"person_id": self.item.case_file.person_id, "case_file_id": self.item.case_file_id}


class MinutesRevision(EncryptedModel):
    """The minutes an approved item had before a correction, kept with the reason."""

    item = models.ForeignKey(AgendaItem, on_delete=models.CASCADE, related_name="revisions")
    minutes = EncryptedTextField(_("referat"), key_path="item.case_file.data_key")
    reason = EncryptedTextField(_("begrundelse"), key_path="item.case_file.data_key")
    corrected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    corrected_at = models.DateTimeField(_("rettet"), auto_now_add=True)

    def __str__(self) -> str:
        return f"Rettelse {self.pk}"


class PlanQuerySet(models.QuerySet["Plan"]):
    def restrict(self, user: AnyUser, action: str = "view") -> PlanQuerySet:
        """Plans of visible case files; an invited guest sees the plan of their item's person,
        a per-person grantee the plan of the granting case file (read-only)."""
        visible = CaseFile.objects.restrict(user, action).order_by().values("pk")
        if action != "view" or sees_no_content(user):
            return self.filter(InIds("case_file_id", visible))
        # The case file ids first (a few hundred), then the plans by index (decision 0018).
        guests = guest_case_file_ids(user).order_by()
        granted = granted_case_file_ids(user).order_by()
        return self.filter(InIds("case_file_id", visible.union(guests, granted)))


class Plan(EncryptedModel):
    """The helhedsplan for a case file: goals, review date, agreed at a session."""

    case_file = models.OneToOneField(CaseFile, on_delete=models.CASCADE, related_name="plan")
    goals = EncryptedTextField(_("mål"), key_path="case_file.data_key")
    review_date = models.DateField(_("revurderingsdato"), null=True, blank=True)
    agreed_at_session = models.ForeignKey(
        ForumSession, on_delete=models.SET_NULL, related_name="+", null=True, blank=True
    )
    version = models.PositiveIntegerField(default=1)

    objects = PlanQuerySet.as_manager()

    class Meta:
        verbose_name = _("helhedsplan")
        verbose_name_plural = _("helhedsplaner")
        indexes = [models.Index(fields=["review_date"], name="plan_review_idx")]

    def __str__(self) -> str:
        return f"Helhedsplan {self.pk}"

    def audit_subject(self) -> tuple[int, str]:
        return self.case_file.person_id, self.case_file.person.pseudonym

    def audit_forum(self) -> int:
        return self.case_file.forum_id

    def get_additional_data(self) -> dict[str, Any]:
        return {"person_id": self.case_file.person_id, "case_file_id": self.case_file_id}


class PlanActionQuerySet(models.QuerySet["PlanAction"]):
    def restrict(self, user: AnyUser, action: str = "view") -> PlanActionQuerySet:
        """Actions on visible plans; the owner may also change their own action."""
        if action == "view":
            return self.filter(plan__in=Plan.objects.restrict(user, "view"))
        visible = self.filter(plan__in=Plan.objects.restrict(user, "view"))
        return visible.filter(
            Q(plan__in=Plan.objects.restrict(user, "change")) | Q(owner_id=user.pk or 0)
        )


class PlanAction(EncryptedModel):
    """One agreed action: what, which agency, who, by when."""

    class Status(models.TextChoices):
        OPEN = "open", _("Åben")
        DONE = "done", _("Udført")
        CANCELLED = "cancelled", _("Annulleret")

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="actions")
    description = EncryptedTextField(_("handling"), key_path="plan.case_file.data_key")
    responsible_agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="plan_actions"
    )
    due_date = models.DateField(_("frist"))
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.OPEN
    )
    completed_at = models.DateTimeField(_("udført"), null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    objects = PlanActionQuerySet.as_manager()

    class Meta:
        ordering = ["due_date", "pk"]
        verbose_name = _("handling")
        verbose_name_plural = _("handlinger")
        indexes = [
            models.Index(fields=["status", "due_date"], name="action_due_idx"),
            models.Index(fields=["owner", "status", "due_date"], name="action_owner_idx"),
        ]

    def __str__(self) -> str:
        return f"Handling {self.pk}"

    def audit_subject(self) -> tuple[int, str]:
        return self.plan.case_file.person_id, self.plan.case_file.person.pseudonym

    def audit_forum(self) -> int:
        return self.plan.case_file.forum_id

    def get_additional_data(self) -> dict[str, Any]:
        return {"person_id": self.plan.case_file.person_id, "case_file_id": self.plan.case_file_id}


class ReleaseReminderSent(models.Model):
    """A KSP release reminder delivered (12 months, 3 months before, on the day)."""

    class Kind(models.TextChoices):
        MONTHS_12 = "12m", _("12 måneder før løsladelse")
        MONTHS_3 = "3m", _("3 måneder før løsladelse (løsladelsesmøde)")
        DAY = "day", _("Løsladelsesdagen")

    case_file = models.ForeignKey(
        CaseFile, on_delete=models.CASCADE, related_name="release_reminders"
    )
    kind = models.CharField(max_length=8, choices=Kind.choices)
    release_date = models.DateField()
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["case_file", "kind", "release_date"], name="release_reminder_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.case_file_id} {self.release_date}"


class DigestSent(models.Model):
    """The weekly digest of one user for one ISO week, sent once."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    week = models.CharField(max_length=8)  # ISO year-week, e.g. 2026-W48
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "week"], name="digest_once_a_week")]

    def __str__(self) -> str:
        return f"{self.user_id} {self.week}"


class ReminderSent(models.Model):
    """One reminder delivered: the unique key makes a second send of the same one a no-op."""

    class Kind(models.TextChoices):
        BEFORE = "before", _("Før fristen")
        DUE = "due", _("På dagen")
        OVERDUE = "overdue", _("Overskredet")
        ESCALATED = "escalated", _("Eskaleret til formand")
        OWNER_LEFT = "owner_left", _("Formand orienteret: ejeren har forladt forummet")

    action = models.ForeignKey(PlanAction, on_delete=models.CASCADE, related_name="reminders")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    due_date = models.DateField()
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["action", "kind", "due_date"], name="reminder_once"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.action_id} {self.due_date}"


class ReportRestriction(EncryptedModel):
    """A part of a person's access report withheld by a reasoned decision (databeskyttelses-
    lovens § 22, e.g. to protect another person or a crime-prevention measure). The report
    shows the part as withheld, never silently missing. The reason is encrypted under the case
    file's key and goes with the case file."""

    class Part(models.TextChoices):
        CONCERN = "concern", _("Bekymring")
        NOTE = "note", _("Notat")
        MINUTES = "minutes", _("Referat")
        PLAN = "plan", _("Helhedsplan")
        DISCLOSURES = "disclosures", _("Videregivelser")
        LOOKUPS = "lookups", _("Opslag")

    case_file = models.ForeignKey(
        CaseFile, on_delete=models.CASCADE, related_name="report_restrictions"
    )
    part = models.CharField(_("del"), max_length=16, choices=Part.choices)
    # The withheld record (a concern, note, agenda item or plan); empty for a whole part
    # (the case file's disclosures or look-ups).
    object_id = models.BigIntegerField(_("objekt"), null=True, blank=True)
    reason = EncryptedTextField(_("begrundelse"), key_path="case_file.data_key")
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(_("besluttet"), default=timezone.now)

    class Meta:
        verbose_name = _("begrænsning af indsigt")
        verbose_name_plural = _("begrænsninger af indsigt")
        # Once per record, and once per whole part (two partial indexes: SQLite has no
        # NULLS NOT DISTINCT).
        constraints = [
            models.UniqueConstraint(
                fields=["case_file", "part", "object_id"],
                condition=Q(object_id__isnull=False),
                name="report_restriction_once",
            ),
            models.UniqueConstraint(
                fields=["case_file", "part"],
                condition=Q(object_id__isnull=True),
                name="report_restriction_part_once",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.part} {self.object_id} i {self.case_file_id}"

    def get_additional_data(self) -> dict[str, Any]:
        return {"person_id": self.case_file.person_id, "case_file_id": self.case_file_id}


class NoteRevision(EncryptedModel):
    """The text a note had before a correction (berigtigelse), kept with the reason, both
    encrypted under the case file's key (and deleted with it)."""

    note = models.ForeignKey(Note, on_delete=models.CASCADE, related_name="revisions")
    body = EncryptedTextField(_("tidligere tekst"), key_path="note.case_file.data_key")
    reason = EncryptedTextField(_("begrundelse"), key_path="note.case_file.data_key")
    revised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    revised_at = models.DateTimeField(_("rettet"), default=timezone.now)

    class Meta:
        ordering = ["-revised_at", "-pk"]
        verbose_name = _("rettelse af notat")
        verbose_name_plural = _("rettelser af notater")

    def __str__(self) -> str:
        return f"Rettelse af notat {self.note_id}"

    def get_additional_data(self) -> dict[str, Any]:
        return {"person_id": self.note.case_file.person_id, "case_file_id": self.note.case_file_id}
