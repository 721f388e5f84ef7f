from __future__ import annotations

from collections.abc import Iterable
from typing import Any, ClassVar

from django.apps import apps
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import connection, models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.roles import Role


class PoliceDistrict(models.Model):
    """A police district (politikreds): groups the municipalities one police force serves."""

    name = models.CharField(_("navn"), max_length=100, unique=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("politikreds")
        verbose_name_plural = _("politikredse")

    def __str__(self) -> str:
        return self.name


class Region(models.Model):
    """A region: runs the psychiatry that serves its municipalities."""

    name = models.CharField(_("navn"), max_length=100, unique=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("region")
        verbose_name_plural = _("regioner")

    def __str__(self) -> str:
        return self.name


class Municipality(models.Model):
    """A Danish municipality (kommune); forums and agencies belong to one. It lies in one police
    district and one region, whose agencies may take part in its forums."""

    code = models.CharField(
        _("kommunekode"),
        max_length=3,
        unique=True,
        validators=[RegexValidator(r"^\d{3}$", _("Kommunekoden er tre cifre."))],
    )
    name = models.CharField(_("navn"), max_length=100, unique=True)
    police_district = models.ForeignKey(
        PoliceDistrict,
        on_delete=models.PROTECT,
        related_name="municipalities",
        null=True,
        blank=True,
        verbose_name=_("politikreds"),
    )
    region = models.ForeignKey(
        Region,
        on_delete=models.PROTECT,
        related_name="municipalities",
        null=True,
        blank=True,
        verbose_name=_("region"),
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("kommune")
        verbose_name_plural = _("kommuner")

    def __str__(self) -> str:
        return self.name

    def save(self, *args: Any, **kwargs: Any) -> None:
        self._refuse_locked_changes()
        super().save(*args, **kwargs)

    def clean(self) -> None:
        super().clean()
        self._refuse_locked_changes()

    def _refuse_locked_changes(self) -> None:
        """Its police district and region decide which agencies take part in its forums, so
        they stay once it has forums (an administrator must not widen that quietly)."""
        if self._state.adding or self.pk is None:
            return
        stored = (
            Municipality._default_manager.filter(pk=self.pk)
            .values("police_district_id", "region_id")
            .first()
        )
        if stored is None:
            return
        changed = [
            name
            for name, before in (
                ("police_district", stored["police_district_id"]),
                ("region", stored["region_id"]),
            )
            if getattr(self, f"{name}_id") != before
        ]
        if (
            changed
            and apps.get_model("forums", "Forum")
            ._default_manager.filter(municipality_id=self.pk)
            .exists()
        ):
            raise ValidationError(dict.fromkeys(changed, MUNICIPALITY_LOCKED_MESSAGE))


class AgencyQuerySet(models.QuerySet["Agency"]):
    def serving(self, municipality: Municipality) -> AgencyQuerySet:
        """Agencies that may take part in the forums of ``municipality``: its own, and those
        serving its whole police district or region."""
        served = Q(municipality_id=municipality.pk)
        if municipality.police_district_id is not None:
            served |= Q(police_district_id=municipality.police_district_id)
        if municipality.region_id is not None:
            served |= Q(region_id=municipality.region_id)
        return self.filter(served)


class Agency(models.Model):
    """An authority or institution whose staff sit in the forums (myndighed). It belongs to one
    municipality (its seat) and may serve a whole police district (the police) or region
    (psychiatry); it then takes part in the forums of every municipality there."""

    class Kind(models.TextChoices):
        POLITI = "politi", _("Politi")
        SKOLE = "skole", _("Skole")
        SOCIALFORVALTNING = "socialforvaltning", _("Socialforvaltning")
        PSYKIATRI = "psykiatri", _("Psykiatri")
        KRIMINALFORSORG = "kriminalforsorg", _("Kriminalforsorgen")
        ANDET = "andet", _("Andet")

    name = models.CharField(_("navn"), max_length=200)
    kind = models.CharField(_("type"), max_length=32, choices=Kind.choices)
    municipality = models.ForeignKey(
        Municipality, on_delete=models.PROTECT, related_name="agencies", verbose_name=_("kommune")
    )
    # § 115 stk. 3: a self-governing institution discloses on its own paragraph.
    is_self_governing = models.BooleanField(_("selvejende institution"), default=False)
    police_district = models.ForeignKey(
        PoliceDistrict,
        on_delete=models.PROTECT,
        related_name="agencies",
        null=True,
        blank=True,
        verbose_name=_("betjener politikreds"),
    )
    region = models.ForeignKey(
        Region,
        on_delete=models.PROTECT,
        related_name="agencies",
        null=True,
        blank=True,
        verbose_name=_("betjener region"),
    )

    objects = AgencyQuerySet.as_manager()

    class Meta:
        ordering = ["municipality__name", "name"]
        verbose_name = _("myndighed")
        verbose_name_plural = _("myndigheder")
        constraints = [
            models.UniqueConstraint(fields=["municipality", "name"], name="agency_unique_name"),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args: Any, **kwargs: Any) -> None:
        changed = self.locked_field_changes()
        if changed:
            raise ValidationError(dict.fromkeys(changed, AGENCY_LOCKED_MESSAGE))
        super().save(*args, **kwargs)

    def serves(self, municipality: Municipality) -> bool:
        return (
            self.municipality_id == municipality.pk
            or (
                (self.police_district_id is not None)
                and self.police_district_id == municipality.police_district_id
            )
            or (self.region_id is not None and self.region_id == municipality.region_id)
        )

    # The police purpose lock and the § 115 paragraph of every disclosure follow from these, so
    # they stay as they are once the agency has users or disclosures (make a new agency instead).
    LOCKED_FIELDS: ClassVar[dict[str, str]] = {  # field name -> column
        "kind": "kind",
        "is_self_governing": "is_self_governing",
        "municipality": "municipality_id",
        # what it serves decides whose forums its staff may sit in (forums.services)
        "police_district": "police_district_id",
        "region": "region_id",
    }

    def clean(self) -> None:
        super().clean()
        changed = self.locked_field_changes()
        if changed:
            raise ValidationError(dict.fromkeys(changed, AGENCY_LOCKED_MESSAGE))

    def locked_field_changes(self) -> list[str]:
        """The locked fields this (unsaved) state changes, if the agency is in use."""
        if self._state.adding or self.pk is None:
            return []
        columns = self.LOCKED_FIELDS
        stored = Agency._default_manager.filter(pk=self.pk).values(*columns.values()).first()
        if stored is None:
            return []
        changed = [name for name, col in columns.items() if getattr(self, col) != stored[col]]
        return changed if changed and self.in_use() else []

    def in_use(self) -> bool:
        """The agency has users, or disclosed or received information (audit.Disclosure)."""
        if self.users.exists():
            return True
        # accounts imports no audit code: the disclosure table is looked up by its label.
        disclosures = apps.get_model("audit", "Disclosure")._default_manager
        if disclosures.filter(from_agency_id=self.pk).exists():
            return True
        if connection.features.supports_json_field_contains:
            return bool(disclosures.filter(to_agency_ids__contains=[self.pk]).exists())
        # SQLite (make run) has no JSON containment: read the recipient lists instead.
        recipients = disclosures.values_list("to_agency_ids", flat=True)
        return any(self.pk in ids for ids in recipients.iterator())


MUNICIPALITY_LOCKED_MESSAGE = _(
    "Kan ikke ændres, når kommunen har fora: det afgør, hvilke myndigheder der deltager."
)
AGENCY_LOCKED_MESSAGE = _(
    "Kan ikke ændres, når myndigheden har brugere eller videregivelser. "
    "Opret en ny myndighed i stedet."
)


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **extra: Any) -> User:
        if not email:
            raise ValueError("A user needs an email address.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def get_by_natural_key(self, username: str | None) -> User:
        # Logins type their address in any case; addresses are stored lower-cased.
        return self.get(email__iexact=username)

    def create_superuser(self, email: str, password: str | None = None, **extra: Any) -> User:
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self.create_user(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    """A person who logs in: a forum member, coordinator, DPO or administrator."""

    email = models.EmailField(_("e-mail"), unique=True)
    full_name = models.CharField(_("fulde navn"), max_length=200)
    agency = models.ForeignKey(
        Agency,
        on_delete=models.PROTECT,
        related_name="users",
        null=True,
        blank=True,
        verbose_name=_("myndighed"),
        help_text=_("Tom kun for systemadministratorer uden for myndighederne."),
    )
    is_active = models.BooleanField(_("aktiv"), default=True)
    is_staff = models.BooleanField(_("adgang til administration"), default=False)
    date_joined = models.DateTimeField(_("oprettet"), default=timezone.now)

    objects: ClassVar[UserManager] = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["full_name"]

    class Meta:
        ordering = ["full_name"]
        verbose_name = _("bruger")
        verbose_name_plural = _("brugere")

    def __str__(self) -> str:
        return self.full_name or self.email

    def clean(self) -> None:
        super().clean()
        self.email = self.__class__.objects.normalize_email(self.email).lower()

    def get_full_name(self) -> str:
        return self.full_name

    def get_short_name(self) -> str:
        return self.full_name.split(" ")[0] if self.full_name else self.email


CONTENT_BLIND_ROLES = frozenset({Role.DPO.value, Role.ADMIN.value, Role.COUNCIL.value})
CONTENT_ROLES = frozenset({Role.COORDINATOR.value, Role.MEMBER.value})
ROLE_CONFLICT_MESSAGE = _(
    "En databeskyttelsesrådgiver, systemadministrator eller et rådsmedlem kan ikke også være "
    "koordinator eller medlem."
)


def roles_conflict(names: Iterable[str]) -> bool:
    """A content-blind role (DPO, administrator, council member) never goes with a content role on one
    account: the blind role would otherwise be a way into content (and out of sight)."""
    held = set(names)
    return bool(held & CONTENT_BLIND_ROLES and held & CONTENT_ROLES)


def acting_user(request: Any) -> User:
    """The logged-in user of a request that passed a protected view's login check."""
    user = request.user
    if not isinstance(user, User):
        raise TypeError("acting_user() needs an authenticated request")
    return user


class ApiTokenQuerySet(models.QuerySet["ApiToken"]):
    def usable(self) -> ApiTokenQuerySet:
        """Neither revoked nor expired."""
        return self.filter(revoked_at__isnull=True, expires_at__gt=timezone.now())


class ApiToken(models.Model):
    """A token for the REST API (accounts.tokens), issued only after password and second
    factor. Only the SHA-256 of the token is stored; ``prefix`` (its first characters) lets the
    holder and an administrator tell tokens apart without it being usable."""

    user = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="api_tokens", verbose_name=_("bruger")
    )
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    prefix = models.CharField(_("begyndelse"), max_length=8, editable=False)
    created_at = models.DateTimeField(_("udstedt"), default=timezone.now)
    expires_at = models.DateTimeField(_("udløber"))
    revoked_at = models.DateTimeField(_("tilbagekaldt"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("sidst brugt"), null=True, blank=True)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("API-nøgle")
        verbose_name_plural = _("API-nøgler")
        indexes = [models.Index(fields=["user", "revoked_at"], name="apitoken_user_idx")]

    def __str__(self) -> str:
        return f"{self.prefix}…"

    def is_usable(self) -> bool:
        return self.revoked_at is None and self.expires_at > timezone.now()
