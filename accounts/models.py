from __future__ import annotations

from typing import Any, ClassVar

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.core.validators import RegexValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Municipality(models.Model):
    """A Danish municipality (kommune); forums and agencies belong to one."""

    code = models.CharField(
        _("kommunekode"),
        max_length=3,
        unique=True,
        validators=[RegexValidator(r"^\d{3}$", _("Kommunekoden er tre cifre."))],
    )
    name = models.CharField(_("navn"), max_length=100, unique=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("kommune")
        verbose_name_plural = _("kommuner")

    def __str__(self) -> str:
        return self.name


class Agency(models.Model):
    """An authority or institution whose staff sit in the forums (myndighed)."""

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

    class Meta:
        ordering = ["municipality__name", "name"]
        verbose_name = _("myndighed")
        verbose_name_plural = _("myndigheder")
        constraints = [
            models.UniqueConstraint(fields=["municipality", "name"], name="agency_unique_name"),
        ]

    def __str__(self) -> str:
        return self.name


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


def acting_user(request: Any) -> User:
    """The logged-in user of a request that passed a protected view's login check."""
    user = request.user
    if not isinstance(user, User):
        raise TypeError("acting_user() needs an authenticated request")
    return user
