from __future__ import annotations

import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Agency, Municipality


class ForumKind(models.TextChoices):
    SSP = "ssp", _("SSP")
    SSP_PLUS = "ssp_plus", _("SSP+")
    PSP = "psp", _("PSP")
    KSP = "ksp", _("KSP")
    S115 = "s115", _("§ 115-møde")
    INFOHUS = "infohus", _("Infohus")


class ForumQuerySet(models.QuerySet["Forum"]):
    def restrict(self, user: settings.AUTH_USER_MODEL, action: str = "view") -> ForumQuerySet:  # type: ignore[name-defined]
        from core.permissions import sees_no_content

        if sees_no_content(user):
            return self.none()
        memberships = Membership.objects.current().filter(user=user, forum=models.OuterRef("pk"))
        if action != "view":
            memberships = memberships.filter(role__in=Membership.MANAGING_ROLES)
        return self.filter(models.Exists(memberships))


class Forum(models.Model):
    """A cross-agency forum (SSP, SSP+, PSP, KSP, § 115-møde, Infohus) in one municipality."""

    name = models.CharField(_("navn"), max_length=200)
    kind = models.CharField(_("type"), max_length=16, choices=ForumKind.choices)
    municipality = models.ForeignKey(
        Municipality, on_delete=models.PROTECT, related_name="forums", verbose_name=_("kommune")
    )
    agencies = models.ManyToManyField(
        Agency, related_name="forums", verbose_name=_("deltagende myndigheder"), blank=True
    )
    age_min = models.PositiveSmallIntegerField(_("mindstealder"), null=True, blank=True)
    age_max = models.PositiveSmallIntegerField(_("højeste alder"), null=True, blank=True)
    created_at = models.DateTimeField(_("oprettet"), auto_now_add=True)

    objects = ForumQuerySet.as_manager()

    class Meta:
        ordering = ["municipality__name", "name"]
        verbose_name = _("forum")
        verbose_name_plural = _("fora")
        constraints = [
            models.UniqueConstraint(fields=["municipality", "name"], name="forum_unique_name"),
            models.CheckConstraint(
                condition=Q(age_min__isnull=True)
                | Q(age_max__isnull=True)
                | Q(age_min__lte=models.F("age_max")),
                name="forum_age_band_ordered",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class MembershipQuerySet(models.QuerySet["Membership"]):
    def current(self, on: datetime.date | None = None) -> MembershipQuerySet:
        """Memberships in force on a day: started, and not ended (valid_to is the end day)."""
        day = on or timezone.localdate()
        return self.filter(Q(valid_to__isnull=True) | Q(valid_to__gt=day), valid_from__lte=day)

    def restrict(self, user: settings.AUTH_USER_MODEL, action: str = "view") -> MembershipQuerySet:  # type: ignore[name-defined]
        return self.filter(forum__in=Forum.objects.restrict(user, action))


class Membership(models.Model):
    class Role(models.TextChoices):
        CHAIR = "chair", _("Formand")
        COORDINATOR = "coordinator", _("Koordinator")
        MEMBER = "member", _("Medlem")

    MANAGING_ROLES = (Role.CHAIR, Role.COORDINATOR)

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="memberships",
        verbose_name=_("bruger"),
    )
    forum = models.ForeignKey(
        Forum, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("forum")
    )
    role = models.CharField(_("rolle"), max_length=16, choices=Role.choices, default=Role.MEMBER)
    valid_from = models.DateField(_("gyldig fra"), default=timezone.localdate)
    valid_to = models.DateField(
        _("gyldig til"), null=True, blank=True, help_text=_("Første dag uden adgang. Tom: løbende.")
    )

    objects = MembershipQuerySet.as_manager()

    class Meta:
        ordering = ["forum", "user__full_name"]
        verbose_name = _("medlemskab")
        verbose_name_plural = _("medlemskaber")
        indexes = [
            # The access rule filters memberships by user (and forum) on every request.
            models.Index(
                fields=["user", "forum", "valid_from", "valid_to"], name="membership_access_idx"
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gte=models.F("valid_from")),
                name="membership_period_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} i {self.forum} ({self.get_role_display()})"
