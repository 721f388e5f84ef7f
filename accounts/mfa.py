"""The second factor (django-otp): one TOTP device per user, enrolled with a QR code, and ten
single-use backup codes. Every login passes it (core.otp enforces that); an administrator can
reset it for someone else, never for themselves. Secrets and codes never reach the audit
record, the logs or an email."""

from __future__ import annotations

import base64

import segno
from django.conf import settings
from django.contrib.auth.signals import user_login_failed
from django.core.exceptions import PermissionDenied
from django.core.mail import send_mail
from django.db import transaction
from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext as _
from django_otp import login as otp_login
from django_otp import verify_token
from django_otp.models import Device
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import lockout
from accounts.models import User
from accounts.signals import account_event

BACKUP_CODE_COUNT = 10
TOTP_DEVICE_NAME = "Godkendelsesapp"
BACKUP_DEVICE_NAME = "Backupkoder"


def confirmed_totp(user: User) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("pk").first()


def is_enrolled(user: User) -> bool:
    return bool(TOTPDevice.objects.filter(user=user, confirmed=True).exists())


def session_is_verified(request: HttpRequest) -> bool:
    """The session passed the second factor (django-otp's OTPMiddleware sets is_verified)."""
    return bool(getattr(request.user, "is_verified", lambda: False)())


def enrolment_device(user: User) -> TOTPDevice:
    """The user's pending (unconfirmed) TOTP device, made on the first visit; a reload shows
    the same QR code."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=TOTP_DEVICE_NAME, confirmed=False)
    return device


def secret_base32(device: TOTPDevice) -> str:
    """The key as an authenticator app wants it typed in, in groups of four."""
    raw = base64.b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(raw[i : i + 4] for i in range(0, len(raw), 4))


def qr_data_uri(device: TOTPDevice) -> str:
    """The otpauth:// URL as an SVG data: URI (allowed by the CSP's img-src)."""
    uri: str = segno.make(device.config_url, error="m").svg_data_uri(scale=5, border=2)
    return uri


def current_code(device: TOTPDevice) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{totp.token():0{device.digits}d}"


def _normalised(code: str) -> str:
    return "".join(code.split()).lower()


def _is_totp_code(code: str) -> bool:
    return code.isdigit() and len(code) in (6, 8)


def code_verify(*, request: HttpRequest, user: User, code: str) -> Device | None:
    """The device that accepts ``code``: a TOTP code, or a backup code (then used up). A
    refusal counts as a failed login (``user_login_failed``, which the lockout listens to)."""
    if lockout.is_locked(request, user.email):
        return None  # while locked even the right code opens nothing (no guessing on)
    code = _normalised(code)
    device: Device | None = None
    if _is_totp_code(code):
        for totp in TOTPDevice.objects.filter(user=user, confirmed=True).order_by("pk"):
            device = verify_token(user, totp.persistent_id, code)
            if device is not None:
                break
    elif code:
        static = StaticDevice.objects.filter(user=user, confirmed=True).first()
        if static is not None:
            device = verify_token(user, static.persistent_id, code)
    if device is None:
        user_login_failed.send(
            sender=__name__, credentials={"username": user.email}, request=request
        )
    return device


def session_verify(request: HttpRequest, device: Device) -> None:
    """Mark the session as having passed the second factor, under a new session key."""
    otp_login(request, device)
    request.session.cycle_key()


@transaction.atomic
def enrolment_confirm(*, actor: User, device: TOTPDevice, code: str) -> list[str] | None:
    """Confirm ``actor``'s pending device with a code from the app. Replaces any earlier
    second factor, makes ten new backup codes and returns them (shown once); None if the
    code is wrong."""
    if device.user_id != actor.pk or device.confirmed:
        raise PermissionDenied
    device = TOTPDevice.objects.select_for_update().get(pk=device.pk)
    code = _normalised(code)
    if not _is_totp_code(code) or not device.verify_token(code):
        return None
    TOTPDevice.objects.filter(user=actor).exclude(pk=device.pk).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    codes = backup_codes_replace(user=actor)
    account_event.send(
        sender=User,
        actor=actor,
        target=actor,
        action="otp_enrolled",
        details={"backup_codes": len(codes)},
    )
    return codes


def backup_codes_replace(*, user: User) -> list[str]:
    StaticDevice.objects.filter(user=user).delete()
    static = StaticDevice.objects.create(user=user, name=BACKUP_DEVICE_NAME, confirmed=True)
    codes: list[str] = []
    while len(codes) < BACKUP_CODE_COUNT:
        token = StaticToken.random_token()
        if token not in codes:
            codes.append(token)
    StaticToken.objects.bulk_create(StaticToken(device=static, token=code) for code in codes)
    return codes


@transaction.atomic
def second_factor_reset(*, actor: User, target: User) -> None:
    """Delete ``target``'s TOTP device and backup codes: at the next login they enrol again.
    Recorded (OTP_RESET) and told to the user by email; nobody resets their own."""
    if actor.pk == target.pk:
        raise PermissionDenied(_("Du kan ikke nulstille din egen totrinsbekræftelse."))
    totp_deleted, _rows = TOTPDevice.objects.filter(user=target).delete()
    static_deleted = StaticDevice.objects.filter(user=target).count()
    StaticDevice.objects.filter(user=target).delete()
    account_event.send(
        sender=User,
        actor=actor,
        target=target,
        action="otp_reset",
        details={"totp_devices": totp_deleted, "backup_devices": static_deleted},
    )
    # Inside the transaction: if the user cannot be told, nothing is reset.
    send_mail(
        _("Din totrinsbekræftelse til Tværs er nulstillet"),
        _(
            "Hej %(name)s\n\n"
            "En administrator har nulstillet din totrinsbekræftelse til Tværs. Næste gang du "
            "logger ind, bliver du bedt om at oprette den igen med en godkendelsesapp på din "
            "telefon. Dine gamle backupkoder virker ikke længere.\n\n"
            "Log ind her: %(link)s\n\n"
            "Har du ikke bedt om dette, så kontakt din administrator med det samme.\n\n"
            "Venlig hilsen\nTværs"
        )
        % {
            "name": target.full_name or target.email,
            "link": settings.SITE_URL + reverse("accounts:login"),
        },
        settings.DEFAULT_FROM_EMAIL,
        [target.email],
    )
