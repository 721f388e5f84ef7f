"""Kredsråd and lokalråd: the councils that agree a samarbejdsplan and follow it up with
anonymous statistics. Nothing here is personal data: plans, focus areas, status entries and
council minutes are the council's own texts, and the statistics are frozen, suppressed counts
(councils.statistics). Council members hold the content-blind ``council`` role."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Agency, Municipality, PoliceDistrict
from core.permissions import ROLE_COUNCIL, has_role
from forums.models import Forum


class CouncilQuerySet(models.QuerySet["Council"]):
    def restrict(self, user: Any, action: str = "view") -> CouncilQuerySet:
        """The councils ``user`` is a current member of ("change": as its secretary), while the
        account holds the ``council`` role. Councils hold no person data, so the content-blind
        rule of the person apps does not apply: the ``council`` role is content-blind and sees
        exactly these. (The role is checked here, not only when a membership is made: an
        account whose role is later changed to a content role keeps its memberships in the
        database, and must not carry them into the forums.)"""
        if not user.is_authenticated or not user.is_active or not has_role(user, ROLE_COUNCIL):
            return self.none()
        memberships = CouncilMembership.objects.current().filter(user=user)
        if action != "view":
            memberships = memberships.filter(role=CouncilMembership.Role.SECRETARY)
        return self.filter(pk__in=memberships.values("council_id"))


class Council(models.Model):
    class Kind(models.TextChoices):
        KREDSRAAD = "kredsraad", _("Kredsråd")
        LOKALRAAD = "lokalraad", _("Lokalråd")

    name = models.CharField(_("navn"), max_length=200)
    kind = models.CharField(_("type"), max_length=16, choices=Kind.choices)
    # A kredsråd covers a police district and its municipalities, a lokalråd one municipality.
    police_district = models.ForeignKey(
        PoliceDistrict,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="councils",
        verbose_name=_("politikreds"),
    )
    municipality = models.ForeignKey(
        Municipality,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="councils",
        verbose_name=_("kommune"),
    )
    created_at = models.DateTimeField(_("oprettet"), auto_now_add=True)

    objects = CouncilQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("råd")
        verbose_name_plural = _("råd")
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(kind="kredsraad", police_district__isnull=False, municipality__isnull=True)
                    | Q(kind="lokalraad", municipality__isnull=False, police_district__isnull=True)
                ),
                name="council_kind_matches_area",
            )
        ]

    def __str__(self) -> str:
        return self.name

    def municipalities(self) -> models.QuerySet[Municipality]:
        """The municipalities whose figures the council follows."""
        if self.kind == self.Kind.KREDSRAAD:
            return Municipality.objects.filter(police_district_id=self.police_district_id)
        return Municipality.objects.filter(pk__in=[self.municipality_id])


class CouncilMembershipQuerySet(models.QuerySet["CouncilMembership"]):
    def current(self) -> CouncilMembershipQuerySet:
        today = timezone.localdate()
        return self.filter(valid_from__lte=today).filter(
            Q(valid_to__isnull=True) | Q(valid_to__gte=today)
        )


class CouncilMembership(models.Model):
    class Role(models.TextChoices):
        MEMBER = "member", _("Medlem")
        # The secretary keeps the plan, the status entries and the meetings.
        SECRETARY = "secretary", _("Sekretær")

    council = models.ForeignKey(Council, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="council_memberships"
    )
    role = models.CharField(_("rolle"), max_length=16, choices=Role.choices, default=Role.MEMBER)
    valid_from = models.DateField(_("gyldig fra"), default=timezone.localdate)
    valid_to = models.DateField(_("gyldig til og med"), null=True, blank=True)

    objects = CouncilMembershipQuerySet.as_manager()

    class Meta:
        verbose_name = _("rådsmedlemskab")
        verbose_name_plural = _("rådsmedlemskaber")
        indexes = [models.Index(fields=["user", "council"], name="councilmember_user_idx")]

    def __str__(self) -> str:
        return f"{self.user} · {self.council}"


class CooperationPlan(models.Model):
    """A samarbejdsplan (kredsråd) or handleplan (lokalråd) for a period."""

    council = models.ForeignKey(Council, on_delete=models.CASCADE, related_name="plans")
    title = models.CharField(_("titel"), max_length=200)
    period_start = models.DateField(_("periode fra"))
    period_end = models.DateField(_("periode til og med"))
    created_at = models.DateTimeField(_("oprettet"), auto_now_add=True)

    class Meta:
        ordering = ["-period_start", "-pk"]
        verbose_name = _("samarbejdsplan")
        verbose_name_plural = _("samarbejdsplaner")
        constraints = [
            models.CheckConstraint(
                condition=Q(period_end__gte=models.F("period_start")),
                name="cooperationplan_period_order",
            )
        ]

    def __str__(self) -> str:
        return self.title


class FocusArea(models.Model):
    """An indsatsområde of the plan: what it is about, who answers for it, and which forums
    and concern categories its figures come from."""

    plan = models.ForeignKey(CooperationPlan, on_delete=models.CASCADE, related_name="areas")
    title = models.CharField(_("titel"), max_length=200)
    description = models.TextField(_("beskrivelse"), max_length=4000, blank=True)
    agencies = models.ManyToManyField(
        Agency, related_name="+", blank=True, verbose_name=_("ansvarlige myndigheder")
    )
    forums = models.ManyToManyField(Forum, related_name="+", blank=True, verbose_name=_("fora"))
    categories = models.JSONField(_("bekymringskategorier"), default=list, blank=True)
    order = models.PositiveSmallIntegerField(_("rækkefølge"), default=0)

    class Meta:
        ordering = ["order", "pk"]
        verbose_name = _("indsatsområde")
        verbose_name_plural = _("indsatsområder")

    def __str__(self) -> str:
        return self.title


class FocusAreaStatus(models.Model):
    """A dated status entry, written at a council meeting ("Status på punkter i
    samarbejdsplanen")."""

    class Progress(models.TextChoices):
        NOT_STARTED = "not_started", _("Ikke startet")
        ON_TRACK = "on_track", _("I gang som planlagt")
        DELAYED = "delayed", _("Forsinket")
        DONE = "done", _("Afsluttet")

    area = models.ForeignKey(FocusArea, on_delete=models.CASCADE, related_name="statuses")
    written_on = models.DateField(_("dato"), default=timezone.localdate)
    progress = models.CharField(_("status"), max_length=16, choices=Progress.choices)
    text = models.TextField(_("status"), max_length=4000)
    meeting = models.ForeignKey(
        "CouncilMeeting",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="statuses",
        verbose_name=_("møde"),
    )
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("oprettet"), auto_now_add=True)

    class Meta:
        ordering = ["-written_on", "-pk"]
        verbose_name = _("status")
        verbose_name_plural = _("statusser")

    def __str__(self) -> str:
        return f"{self.area} {self.written_on:%d.%m.%Y}"


class CouncilMeeting(models.Model):
    """A council meeting. Agenda and minutes are the council's own, not personal data, and
    not encrypted: the forms say so, and a name typed in is the writer's responsibility."""

    council = models.ForeignKey(Council, on_delete=models.CASCADE, related_name="meetings")
    held_on = models.DateField(_("dato"))
    location = models.CharField(_("sted"), max_length=200, blank=True)
    agenda = models.TextField(_("dagsorden"), max_length=8000, blank=True)
    minutes = models.TextField(_("referat"), max_length=20000, blank=True)
    focus_areas = models.ManyToManyField(
        FocusArea, related_name="meetings", blank=True, verbose_name=_("indsatsområder")
    )
    created_at = models.DateTimeField(_("oprettet"), auto_now_add=True)

    class Meta:
        ordering = ["-held_on", "-pk"]
        verbose_name = _("rådsmøde")
        verbose_name_plural = _("rådsmøder")

    def __str__(self) -> str:
        return f"{self.council} {self.held_on:%d.%m.%Y}"


class StatisticsRelease(models.Model):
    """One frozen publication of a police district's figures (or a municipality's, when it has
    no district) for one period: a calendar quarter ("2026-Q1") or year ("2026"), computed
    once, the night after the period ended. Frozen, so that figures never change between two
    downloads (a difference over time would give a hidden count away) and outlive the
    deletion of the case files they count."""

    police_district = models.ForeignKey(
        PoliceDistrict, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    municipality = models.ForeignKey(
        Municipality, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    period = models.CharField(_("periode"), max_length=7)
    computed_at = models.DateTimeField(_("opgjort"), default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["police_district", "period"],
                condition=Q(municipality__isnull=True),
                name="release_district_period_uniq",
            ),
            models.UniqueConstraint(
                fields=["municipality", "period"],
                condition=Q(police_district__isnull=True),
                name="release_municipality_period_uniq",
            ),
            models.CheckConstraint(
                condition=Q(police_district__isnull=True) ^ Q(municipality__isnull=True),
                name="release_one_scope",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.police_district or self.municipality} {self.period}"


class Figure(models.Model):
    """One cell of a release: a table's row, an area (a municipality's code, or "alle" for
    the whole district), the period's count, and whether it is hidden. The true count of a
    hidden cell is kept (the year's figures are summed from the quarters' cells), and only
    councils.statistics reads it: it never leaves the server."""

    class Hidden(models.TextChoices):
        SHOWN = "", _("Vist")
        SMALL = "small", _("Under grænsen")
        SECONDARY = "secondary", _("Skjult for at beskytte et lille tal")
        # A 0 among the parts of a "<5" total, shown as "<5" too: "<5" there never promises
        # 1..4 (councils.statistics.masked_zeros).
        MASKED = "masked", _("0 vist som <5")

    release = models.ForeignKey(StatisticsRelease, on_delete=models.CASCADE, related_name="figures")
    table = models.CharField(max_length=32)
    row = models.CharField(max_length=64)
    area = models.CharField(max_length=8)
    count = models.PositiveIntegerField()
    hidden = models.CharField(max_length=10, choices=Hidden.choices, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["release", "table", "row", "area"], name="figure_cell_uniq"
            )
        ]

    def __str__(self) -> str:
        return f"{self.table} {self.row} {self.area}"
