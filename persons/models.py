from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from guardian.models import UserObjectPermissionBase

from accounts.models import Agency, Municipality
from core.fields import EncryptedModel, EncryptedTextField
from core.models import DataKey
from core.permissions import AnyUser, sees_no_content
from core.sql import InIds
from forums.backends import FORUM_ROLES_ATTR
from forums.models import Forum, Membership

PSEUDONYM_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud in meetings


def member_forum_ids(
    user: AnyUser, *, managing: bool = False
) -> models.QuerySet[Membership, Any] | list[int]:
    """The forums where the user holds a current (managing) membership: the ids loaded with
    the request's user (forums.backends), else a subquery."""
    loaded: dict[int, frozenset[str]] | None = getattr(user, FORUM_ROLES_ATTR, None)
    if loaded is not None:
        wanted = {role.value for role in Membership.MANAGING_ROLES} if managing else None
        return sorted(f for f, roles in loaded.items() if wanted is None or roles & wanted)
    memberships = Membership.objects.current().filter(user_id=user.pk or 0)
    if managing:
        memberships = memberships.filter(role__in=Membership.MANAGING_ROLES)
    return memberships.values("forum_id")


class FocusPersonQuerySet(models.QuerySet["FocusPerson"]):
    def restrict(self, user: AnyUser, action: str = "view") -> FocusPersonQuerySet:
        """A person is visible while an open case file puts them on one of the user's forums,
        or by an explicit guardian grant. Checked at query time: closing the case file or
        ending the membership ends access at once.

        Driven from the user's side (issue 12): the ids come from their current memberships'
        open case files (a few hundred), and the persons are looked up by id. Filtering every
        person row with EXISTS instead made the first page's cost depend on where the user's
        pseudonyms sort, worst for a user who sees nothing."""
        if sees_no_content(user):
            return self.none()
        return self.filter(InIds("pk", visible_person_ids(user, action)))


def visible_person_ids(user: AnyUser, action: str = "view") -> models.QuerySet[Any, Any]:
    """Subquery of the ids of the persons ``restrict`` lets ``user`` ``action``: "reveal" needs
    a named case file; "view" also admits a per-person grant, which needs both guardian's row
    and its active terms (PersonGrant), so access ends at expiry, revocation or case file
    closing, before the sweep runs; anything else needs a case file on the user's forums."""
    case_files = CaseFile.objects.filter(
        closed_at__isnull=True, forum_id__in=member_forum_ids(user)
    )
    if action == "reveal":
        case_files = case_files.filter(discussion_mode=CaseFile.Mode.NAMED)
    through_forums = case_files.order_by().values("person_id")
    if action != "view":
        return through_forums
    permitted = FocusPersonUserObjectPermission.objects.filter(
        user_id=user.pk or 0, permission__codename="view_focusperson"
    ).values("content_object_id")
    granted = (
        PersonGrant.objects.active()
        .filter(grantee_id=user.pk or 0, person_id__in=permitted)
        .order_by()
        .values("person_id")
    )
    return through_forums.union(granted)


class FocusPerson(models.Model):
    """A person a forum works with, known by pseudonym; identity lives encrypted in Identity."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("Aktiv")
        INACTIVE = "inactive", _("Afsluttet")

    pseudonym = models.CharField(_("pseudonym"), max_length=32, unique=True, editable=False)
    birth_year = models.PositiveSmallIntegerField(_("fødselsår"))
    # The month as well (never the day): the 18th birthday flag on SSP case files needs it,
    # and a start page must not decrypt every identity to find who turns 18 (decision 0017).
    birth_month = models.PositiveSmallIntegerField(_("fødselsmåned"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.ACTIVE
    )
    municipality = models.ForeignKey(
        Municipality, on_delete=models.PROTECT, related_name="persons", verbose_name=_("kommune")
    )
    data_key = models.OneToOneField(
        DataKey, on_delete=models.PROTECT, related_name="+", editable=False
    )
    created_at = models.DateTimeField(_("oprettet"), auto_now_add=True)

    objects = FocusPersonQuerySet.as_manager()

    class Meta:
        ordering = ["pseudonym"]
        verbose_name = _("fokusperson")
        verbose_name_plural = _("fokuspersoner")

    def __str__(self) -> str:
        return self.pseudonym

    def audit_subject(self) -> tuple[int, str]:
        return self.pk, self.pseudonym

    @classmethod
    def audit_forums_for(cls, user: AnyUser, persons: Sequence[FocusPerson]) -> list[int]:
        """The forums through which ``user`` sees these persons: open case files on the user's
        forums, and the case file a per-person grant was given from (audit's forum of a read).
        Persons read with their ``visible_case_files`` (the list and the person page) answer
        from those, without a query, unless one of them is seen through a grant alone."""
        loaded = [getattr(person, "visible_case_files", None) for person in persons]
        if loaded and all(loaded):
            return sorted({cf.forum_id for case_files in loaded for cf in case_files or ()})
        pks = [person.pk for person in persons]
        # No ordering in either part: SQLite refuses ORDER BY inside a UNION.
        through_forums = (
            CaseFile.objects.filter(
                person_id__in=pks, closed_at__isnull=True, forum_id__in=member_forum_ids(user)
            )
            .order_by()
            .values("forum_id")
        )
        through_grants = (
            PersonGrant.objects.active()
            .filter(grantee_id=user.pk or 0, person_id__in=pks)
            .order_by()
            .values("case_file__forum_id")
        )
        return list(through_forums.union(through_grants).values_list("forum_id", flat=True))

    def get_additional_data(self) -> dict[str, Any]:
        """Ties change-log rows to the person (DPO person history); ids only."""
        return {"person_id": self.pk}

    @staticmethod
    def new_pseudonym() -> str:
        """Random and meaningless (``K7QM-XR42``): nothing in it tells the forum kind, which
        would say that the person is known to psychiatry or the prison service."""

        def chunk(n: int) -> str:
            return "".join(secrets.choice(PSEUDONYM_ALPHABET) for _ in range(n))

        return f"{chunk(4)}-{chunk(4)}"


class FocusPersonUserObjectPermission(UserObjectPermissionBase):
    """Guardian's direct foreign-key grant: an explicit per-person exception."""

    content_object = models.ForeignKey(FocusPerson, on_delete=models.CASCADE)


class Identity(EncryptedModel):
    """Who a focus person is; every field encrypted under the person's data key."""

    person = models.OneToOneField(
        FocusPerson, on_delete=models.CASCADE, primary_key=True, related_name="identity"
    )
    name = EncryptedTextField(_("navn"), key_path="person.data_key")
    cpr = EncryptedTextField(_("CPR-nummer"), key_path="person.data_key")
    birth_date = EncryptedTextField(_("fødselsdato"), key_path="person.data_key")
    address = EncryptedTextField(_("adresse"), key_path="person.data_key")
    # HMAC of municipality and CPR: finds duplicates within a municipality without decrypting.
    cpr_index = models.CharField(max_length=64, null=True, blank=True, unique=True, editable=False)

    class Meta:
        verbose_name = _("identitet")
        verbose_name_plural = _("identiteter")

    def __str__(self) -> str:
        return f"Identitet for {self.person_id}"

    def get_additional_data(self) -> dict[str, Any]:
        return {"person_id": self.person_id}


@dataclass(frozen=True)
class KnownIdentity:
    """Who a person is, as one forum was told (decrypted; never stored in this form)."""

    name: str | None
    cpr: str | None
    birth_date: str | None
    address: str | None


class CaseFileQuerySet(models.QuerySet["CaseFile"]):
    def open(self) -> CaseFileQuerySet:
        return self.filter(closed_at__isnull=True)

    def restrict(self, user: AnyUser, action: str = "view") -> CaseFileQuerySet:
        """Open case files on the user's forums; changing them needs chair or coordinator.
        ``retention`` (what is due for deletion, extending, deleting now) and ``report`` (the
        person's access report): the case files of the forums the user manages, closed ones
        included, for they are the forum's business until they are deleted."""
        if sees_no_content(user):
            return self.none()
        if action in ("retention", "report"):
            return self.filter(forum_id__in=member_forum_ids(user, managing=True))
        return self.open().filter(forum_id__in=member_forum_ids(user, managing=action != "view"))


class CaseFile(EncryptedModel):
    """A person's presence on one forum's list; owns the data key of what is written there."""

    class Mode(models.TextChoices):
        ANONYMOUS = "anonymous", _("Anonym")
        NAMED = "named", _("Med navn")

    class Consent(models.TextChoices):
        OBTAINED = "obtained", _("Indhentet")
        REFUSED = "refused", _("Afvist")
        NOT_SOUGHT = "not_sought", _("Ikke indhentet")

    class KspLetter(models.TextChoices):
        A = "a", _("a: løsladt fra kriminalforsorgens institutioner")
        B = "b", _("b: under 18 år, udskrevet fra anbringelse")
        C = "c", _("c: løsladt, radikaliseret eller i risiko herfor")

    person = models.ForeignKey(FocusPerson, on_delete=models.PROTECT, related_name="case_files")
    forum = models.ForeignKey(Forum, on_delete=models.PROTECT, related_name="case_files")
    opened_at = models.DateTimeField(_("åbnet"), default=timezone.now)
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("åbnet af"),
    )
    closed_at = models.DateTimeField(_("lukket"), null=True, blank=True)
    # The reasons are encrypted under the case file's key: erased with it (issue 10).
    closed_reason = EncryptedTextField(_("begrundelse for lukning"), key_path="data_key")
    discussion_mode = models.CharField(
        _("drøftelse"), max_length=16, choices=Mode.choices, default=Mode.ANONYMOUS
    )
    named_reason = EncryptedTextField(_("begrundelse for drøftelse med navn"), key_path="data_key")
    consent = models.CharField(
        _("samtykke"), max_length=16, choices=Consent.choices, default=Consent.NOT_SOUGHT
    )
    consent_refused_reason = EncryptedTextField(
        _("begrundelse trods afvist samtykke"), key_path="data_key"
    )
    ksp_letter = models.CharField(
        _("KSP-litra"), max_length=1, choices=KspLetter.choices, blank=True
    )
    # The identity as this forum was given it (by the concern that opened the case file, or
    # passed on when the person was put on this forum). A reveal shows this, never the shared
    # Identity: whoever types a known CPR must not receive the name and address another forum
    # registered. Empty on case files from before it existed; those show the shared Identity.
    known_name = EncryptedTextField(_("navn"), key_path="data_key", null=True)
    known_cpr = EncryptedTextField(_("CPR-nummer"), key_path="data_key", null=True)
    known_birth_date = EncryptedTextField(_("fødselsdato"), key_path="data_key", null=True)
    known_address = EncryptedTextField(_("adresse"), key_path="data_key", null=True)
    expected_release_date = models.DateField(
        _("forventet løsladelse"),
        null=True,
        blank=True,
        help_text=_("KSP: driver påmindelser 12 og 3 måneder før og på dagen."),
    )
    last_activity_at = models.DateTimeField(_("seneste aktivitet"), default=timezone.now)
    data_key = models.OneToOneField(
        DataKey, on_delete=models.PROTECT, related_name="+", editable=False
    )
    # One extension of the retention period, decided by the coordinator with a reason
    # (persons.retention.casefile_extend); the reason is erased with the case file's key.
    retention_extended_at = models.DateTimeField(_("opbevaring forlænget"), null=True, blank=True)
    retention_extended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        verbose_name=_("forlænget af"),
    )
    retention_extended_until = models.DateTimeField(
        _("opbevaring forlænget til"), null=True, blank=True
    )
    retention_extension_reason = EncryptedTextField(
        _("begrundelse for forlængelse"), key_path="data_key", null=True
    )
    # The chair's override of the forum's age band, with a reason (issue 11): a mismatch warns
    # and is recorded instead of refused.
    age_override_reason = EncryptedTextField(
        _("begrundelse for afvigelse fra aldersgrænse"), key_path="data_key", null=True
    )
    age_override_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        verbose_name=_("aldersafvigelse godkendt af"),
    )
    age_override_at = models.DateTimeField(_("aldersafvigelse godkendt"), null=True, blank=True)

    objects = CaseFileQuerySet.as_manager()

    class Meta:
        ordering = ["-opened_at"]
        verbose_name = _("sag")
        verbose_name_plural = _("sager")
        indexes = [
            models.Index(fields=["forum", "closed_at"], name="casefile_forum_open_idx"),
            # The permission filter's first step, answered from the index alone: the persons
            # of a user's forums' open case files (FocusPersonQuerySet.restrict).
            models.Index(
                fields=["forum", "person"],
                condition=Q(closed_at__isnull=True),
                name="casefile_open_person_idx",
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["person", "forum"],
                condition=Q(closed_at__isnull=True),
                name="casefile_one_open_per_forum",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person_id} på {self.forum_id}"

    @property
    def is_open(self) -> bool:
        return self.closed_at is None

    def known_identity(self) -> KnownIdentity:
        """The identity as this case file's forum knows it (see ``known_name``)."""
        if self.known_name is None:
            shared = self.person.identity
            return KnownIdentity(shared.name, shared.cpr, shared.birth_date, shared.address)
        return KnownIdentity(
            self.known_name, self.known_cpr, self.known_birth_date, self.known_address
        )

    def set_known_identity(self, identity: KnownIdentity) -> None:
        self.known_name, self.known_cpr = identity.name, identity.cpr
        self.known_birth_date, self.known_address = identity.birth_date, identity.address

    def audit_subject(self) -> tuple[int, str]:
        return self.person_id, self.person.pseudonym

    def audit_forum(self) -> int:
        return self.forum_id

    def get_additional_data(self) -> dict[str, Any]:
        return {"person_id": self.person_id, "forum_id": self.forum_id}


class ConcernQuerySet(models.QuerySet["Concern"]):
    def restrict(self, user: AnyUser, action: str = "view") -> ConcernQuerySet:
        """Concerns on the case files the user sees, looked up by the case files' ids (a few
        hundred) rather than joined: a join made PostgreSQL plan every concern query with one
        relation more (decision 0018)."""
        visible = CaseFile.objects.restrict(user, action).order_by().values("pk")
        return self.filter(InIds("case_file_id", visible))


class Concern(EncryptedModel):
    """A bekymring: how a person comes to a forum."""

    class Decision(models.TextChoices):
        PENDING = "pending", _("Afventer")
        BRING_TO_FORUM = "bring_to_forum", _("Drøftes i forum")
        NO_ACTION = "no_action", _("Ingen videre handling")
        PASSED_ON = "passed_on", _("Sendt videre til andet forum")

    case_file = models.ForeignKey(CaseFile, on_delete=models.CASCADE, related_name="concerns")
    source_agency = models.ForeignKey(
        Agency, on_delete=models.PROTECT, related_name="+", verbose_name=_("kilde")
    )
    # Why a chair or coordinator registered it on behalf of another agency ("" for its own).
    source_reason = EncryptedTextField(
        _("begrundelse for anden kilde"), key_path="case_file.data_key"
    )
    categories = models.JSONField(_("kategorier"), default=list)
    description = EncryptedTextField(_("beskrivelse"), key_path="case_file.data_key")
    decision = models.CharField(
        _("beslutning"), max_length=16, choices=Decision.choices, default=Decision.PENDING
    )
    decision_reason = EncryptedTextField(
        _("begrundelse for beslutning"), key_path="case_file.data_key", null=True
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        verbose_name=_("besluttet af"),
    )
    decided_at = models.DateTimeField(_("besluttet"), null=True, blank=True)
    # A concern passed on to another forum of the same municipality: the copy registered there.
    passed_to = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        related_name="+",
        null=True,
        blank=True,
        verbose_name=_("sendt videre til"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("oprettet"), auto_now_add=True)

    objects = ConcernQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("bekymring")
        verbose_name_plural = _("bekymringer")

    def __str__(self) -> str:
        return f"Bekymring {self.pk}"

    def audit_subject(self) -> tuple[int, str]:
        return self.case_file.person_id, self.case_file.person.pseudonym

    def audit_forum(self) -> int:
        return self.case_file.forum_id

    def get_additional_data(self) -> dict[str, Any]:
        return {"person_id": self.case_file.person_id, "case_file_id": self.case_file_id}

    def category_labels(self) -> list[str]:
        from persons.categories import category_choices

        labels = dict(category_choices())
        return [str(labels.get(code, code)) for code in self.categories]


class IdentityReveal(EncryptedModel):
    """A user's time-limited view of a person's identity, given for a reason."""

    person = models.ForeignKey(FocusPerson, on_delete=models.CASCADE, related_name="reveals")
    case_file = models.ForeignKey(CaseFile, on_delete=models.CASCADE, related_name="reveals")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    reason = EncryptedTextField(_("begrundelse"), key_path="case_file.data_key")
    created_at = models.DateTimeField(_("tidspunkt"), default=timezone.now)
    expires_at = models.DateTimeField(_("udløber"))

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("visning af identitet")
        verbose_name_plural = _("visninger af identitet")
        indexes = [models.Index(fields=["user", "person", "expires_at"], name="reveal_active_idx")]

    def __str__(self) -> str:
        return f"Visning {self.pk}"

    def get_additional_data(self) -> dict[str, Any]:
        return {"person_id": self.person_id, "case_file_id": self.case_file_id}


def granted_case_file_ids(user: AnyUser) -> models.QuerySet[Any, Any]:
    """Subquery of the case files whose plan the user may read through an active per-person
    grant (guardian's row and the grant's terms both present)."""
    permissions = FocusPersonUserObjectPermission.objects.filter(
        user_id=OuterRef("grantee_id"),
        content_object_id=OuterRef("person_id"),
        permission__codename="view_focusperson",
    )
    return (
        PersonGrant.objects.active()
        .filter(Exists(permissions), grantee_id=user.pk or 0)
        .values("case_file_id")
    )


class PersonGrantQuerySet(models.QuerySet["PersonGrant"]):
    def active(self) -> PersonGrantQuerySet:
        """Not revoked, not expired and the granting case file still open, checked at query
        time: access ends at once, whenever the sweep removes guardian's row."""
        return self.filter(
            revoked_at__isnull=True,
            expires_at__gt=timezone.now(),
            case_file__closed_at__isnull=True,
        )

    def restrict(self, user: AnyUser, action: str = "view") -> PersonGrantQuerySet:
        """Active grants made from forums the user chairs or coordinates; a grantee also sees
        their own grant (view only)."""
        if sees_no_content(user):
            return self.none()
        managed = Q(case_file__forum_id__in=member_forum_ids(user, managing=True))
        if action == "view":
            return self.active().filter(managed | Q(grantee_id=user.pk or 0))
        return self.active().filter(managed)


class PersonGrant(EncryptedModel):
    """Read access to one person for one named user outside the forum (a family's caseworker,
    a new school's teacher), given from a forum's open case file for a reason and a limited
    time. Guardian's ``view_focusperson`` row is the permission; this row holds its terms.

    The grantee sees the person (pseudonym, birth year) and, read-only, the helhedsplan and
    its actions of the granting case file; never the identity, concerns, notes or minutes."""

    person = models.ForeignKey(FocusPerson, on_delete=models.CASCADE, related_name="grants")
    case_file = models.ForeignKey(
        CaseFile, on_delete=models.CASCADE, related_name="grants", verbose_name=_("sag")
    )
    grantee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="person_grants",
        verbose_name=_("modtager"),
    )
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    reason = EncryptedTextField(_("begrundelse"), key_path="case_file.data_key")
    created_at = models.DateTimeField(_("givet"), default=timezone.now)
    expires_at = models.DateTimeField(_("udløber"))
    revoked_at = models.DateTimeField(_("tilbagekaldt"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )

    objects = PersonGrantQuerySet.as_manager()

    class Meta:
        ordering = ["expires_at", "pk"]
        verbose_name = _("adgang til person")
        verbose_name_plural = _("adgange til personer")
        indexes = [
            models.Index(fields=["grantee", "person", "expires_at"], name="grant_active_idx"),
            models.Index(fields=["case_file", "expires_at"], name="grant_case_file_idx"),
        ]

    def __str__(self) -> str:
        return f"Adgang {self.pk}"

    def audit_subject(self) -> tuple[int, str]:
        return self.person_id, self.person.pseudonym

    def audit_forum(self) -> int:
        return self.case_file.forum_id

    def get_additional_data(self) -> dict[str, Any]:
        return {"person_id": self.person_id, "case_file_id": self.case_file_id}


class IdentityCorrection(EncryptedModel):
    """A correction (berigtigelse) of the identity a forum holds: the values before it and the
    reason, encrypted under the case file's key (and deleted with the case file)."""

    case_file = models.ForeignKey(
        CaseFile, on_delete=models.CASCADE, related_name="identity_corrections"
    )
    old_name = EncryptedTextField(_("tidligere navn"), key_path="case_file.data_key", null=True)
    old_cpr = EncryptedTextField(
        _("tidligere CPR-nummer"), key_path="case_file.data_key", null=True
    )
    old_birth_date = EncryptedTextField(
        _("tidligere fødselsdato"), key_path="case_file.data_key", null=True
    )
    old_address = EncryptedTextField(
        _("tidligere adresse"), key_path="case_file.data_key", null=True
    )
    reason = EncryptedTextField(_("begrundelse"), key_path="case_file.data_key")
    # Whether the person's shared record (and its CPR index) was corrected too: only when the
    # corrector manages every open case file of the person (persons.corrections).
    shared_corrected = models.BooleanField(_("fælles oplysninger rettet"), default=False)
    corrected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    corrected_at = models.DateTimeField(_("rettet"), default=timezone.now)

    class Meta:
        ordering = ["-corrected_at", "-pk"]
        verbose_name = _("rettelse af identitet")
        verbose_name_plural = _("rettelser af identitet")

    def __str__(self) -> str:
        return f"Rettelse af identitet i {self.case_file_id}"

    def get_additional_data(self) -> dict[str, Any]:
        return {"person_id": self.case_file.person_id, "case_file_id": self.case_file_id}


class DeletedCaseFile(models.Model):
    """What is left of a deleted case file: an anonymous tombstone. The pseudonym, the forum,
    the dates and how many of each kind of record were deleted; no content, no identity, no
    free text (persons.retention)."""

    class Cause(models.TextChoices):
        CLOSED = "closed", _("Lukket sag, frist udløbet")
        INACTIVE = "inactive", _("Ingen aktivitet i perioden")
        REQUEST = "request", _("Slettet efter anmodning")
        ERROR = "error", _("Registreret ved en fejl")
        PURPOSE_ENDED = "purpose_ended", _("Formålet er opfyldt")

    person_id = models.BigIntegerField(_("person"), db_index=True)
    pseudonym = models.CharField(_("pseudonym"), max_length=32, db_index=True)
    forum = models.ForeignKey(Forum, on_delete=models.PROTECT, related_name="+")
    case_file_id = models.BigIntegerField(_("sag"), unique=True)
    opened_at = models.DateTimeField(_("åbnet"))
    closed_at = models.DateTimeField(_("lukket"), null=True, blank=True)
    last_activity_at = models.DateTimeField(_("seneste aktivitet"))
    deleted_at = models.DateTimeField(_("slettet"), default=timezone.now)
    deleted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        verbose_name=_("slettet af"),
    )
    cause = models.CharField(_("årsag"), max_length=16, choices=Cause.choices)
    deleted_counts = models.JSONField(_("slettede data"), default=dict)
    person_deleted = models.BooleanField(_("personen slettet"), default=False)

    class Meta:
        ordering = ["-deleted_at"]
        verbose_name = _("slettet sag")
        verbose_name_plural = _("slettede sager")
        indexes = [models.Index(fields=["forum", "-deleted_at"], name="deleted_forum_idx")]

    def __str__(self) -> str:
        return f"{self.pseudonym} slettet {self.deleted_at:%Y-%m-%d}"


class CaseFileTransfer(EncryptedModel):
    """A recorded decision that moves a person from one forum to another (issue 11): at 18, from
    SSP to SSP+ or PSP. Links the two case files; the reason is erased with the new one."""

    class Kind(models.TextChoices):
        ADULT = "adult", _("Overgang ved 18 år")

    from_case_file = models.ForeignKey(
        CaseFile,
        on_delete=models.SET_NULL,
        related_name="transfers_out",
        null=True,
        blank=True,
        verbose_name=_("fra sag"),
    )
    to_case_file = models.OneToOneField(
        CaseFile, on_delete=models.CASCADE, related_name="transfer_in", verbose_name=_("til sag")
    )
    kind = models.CharField(_("type"), max_length=16, choices=Kind.choices, default=Kind.ADULT)
    reason = EncryptedTextField(_("begrundelse"), key_path="to_case_file.data_key")
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(_("besluttet"), default=timezone.now)

    class Meta:
        ordering = ["-decided_at"]
        verbose_name = _("overgang")
        verbose_name_plural = _("overgange")

    def __str__(self) -> str:
        return f"Overgang {self.pk}"

    def get_additional_data(self) -> dict[str, Any]:
        return {
            "from_case_file_id": self.from_case_file_id,
            "to_case_file_id": self.to_case_file_id,
        }


class ConsentRecord(EncryptedModel):
    """Who gave or refused consent on a case file, and when (issue 11). Every change is a new
    row; the case file's ``consent`` holds the latest decision."""

    class GivenBy(models.TextChoices):
        YOUNG_PERSON = "young_person", _("Den unge")
        CUSTODY_HOLDER = "custody_holder", _("Forældremyndighedsindehaver")
        PERSON = "person", _("Personen selv")

    class Decision(models.TextChoices):
        OBTAINED = "obtained", _("Givet")
        REFUSED = "refused", _("Afvist")
        WITHDRAWN = "withdrawn", _("Trukket tilbage")

    case_file = models.ForeignKey(
        CaseFile, on_delete=models.CASCADE, related_name="consent_records", verbose_name=_("sag")
    )
    given_by = models.CharField(_("givet af"), max_length=16, choices=GivenBy.choices)
    decision = models.CharField(_("samtykke"), max_length=16, choices=Decision.choices)
    given_on = models.DateField(_("dato"))
    note = EncryptedTextField(_("bemærkning"), key_path="case_file.data_key", null=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(_("registreret"), default=timezone.now)

    class Meta:
        ordering = ["-given_on", "-recorded_at"]
        verbose_name = _("samtykke")
        verbose_name_plural = _("samtykker")
        indexes = [models.Index(fields=["case_file", "-given_on"], name="consent_case_file_idx")]

    def __str__(self) -> str:
        return f"Samtykke {self.pk}"

    def get_additional_data(self) -> dict[str, Any]:
        return {"case_file_id": self.case_file_id}
