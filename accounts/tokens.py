"""API tokens: issued by ``POST /api/v1/auth/token/`` only after the password and a second
factor passed, valid API_TOKEN_HOURS, revocable one by one or all at once. The token is shown
once; only its SHA-256 is stored (it is 32 random bytes, so a fast hash suffices)."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.models import ApiToken, User
from accounts.signals import account_event

PREFIX_LENGTH = 8
# last_used_at is refreshed at most this often, not written on every request.
LAST_USED_RESOLUTION = timedelta(minutes=1)


@dataclass(frozen=True)
class IssuedToken:
    token: str  # shown to the client once, stored nowhere
    record: ApiToken

    @property
    def expires_at(self) -> datetime:
        return self.record.expires_at


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@transaction.atomic
def token_create(*, actor: User) -> IssuedToken:
    """A new token for ``actor``. The caller has checked the password and the second factor
    (accounts.api.auth); recorded as TOKEN_CREATED."""
    token = secrets.token_urlsafe(32)
    now = timezone.now()
    record = ApiToken.objects.create(
        user=actor,
        key_hash=token_hash(token),
        prefix=token[:PREFIX_LENGTH],
        created_at=now,
        expires_at=now + timedelta(hours=settings.API_TOKEN_HOURS),
    )
    account_event.send(
        sender=ApiToken,
        actor=actor,
        target=actor,
        action="token_created",
        details={"token_id": record.pk, "expires_at": record.expires_at.isoformat()},
    )
    return IssuedToken(token=token, record=record)


def token_authenticate(token: str) -> ApiToken | None:
    """The usable token record for ``token`` (its user active), or None."""
    if not token:
        return None
    record = (
        ApiToken.objects.usable()
        .select_related("user")
        .filter(key_hash=token_hash(token), user__is_active=True)
        .first()
    )
    if record is None:
        return None
    now = timezone.now()
    if record.last_used_at is None or now - record.last_used_at > LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=record.pk).update(last_used_at=now)
        record.last_used_at = now
    return record


@transaction.atomic
def token_revoke(*, actor: User, token: ApiToken) -> None:
    """Revoke one token (its holder logging out). Recorded as TOKEN_REVOKED."""
    revoked = ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )
    if revoked:
        account_event.send(
            sender=ApiToken,
            actor=actor,
            target=token.user,
            action="token_revoked",
            details={"token_ids": [token.pk]},
        )


@transaction.atomic
def tokens_revoke_all(*, actor: User | None, user: User, because: str | None = None) -> int:
    """Revoke every token of ``user`` that is still usable ("log out everywhere", a lockout
    lifted after theft, a deactivation); the number revoked. One TOKEN_REVOKED row if any."""
    ids = list(ApiToken.objects.usable().filter(user=user).values_list("pk", flat=True))
    if not ids:
        return 0
    ApiToken.objects.filter(pk__in=ids).update(revoked_at=timezone.now())
    account_event.send(
        sender=ApiToken,
        actor=actor,
        target=user,
        action="token_revoked",
        details={"token_ids": ids, **({"because": because} if because else {})},
    )
    return len(ids)


# --- a new password or a deactivation ends every token -----------------------------------------
# Django already ends the other browser sessions when the password changes (the session keeps a
# hash of it); a token would outlive that, so a thief holding one keeps access after the owner
# or an administrator changed the password. Reactivating an account must not revive old tokens.

REVOKE_ATTR = "_tvaers_revoke_tokens"


def _user_pre_save(sender: type[User], instance: User, raw: bool = False, **_: object) -> None:
    if raw or instance.pk is None or instance._state.adding:
        return
    new_password = getattr(instance, "_password", None) is not None
    if new_password or not instance.is_active:
        setattr(instance, REVOKE_ATTR, "password_changed" if new_password else "deactivated")


def _user_post_save(sender: type[User], instance: User, raw: bool = False, **_: object) -> None:
    reason = instance.__dict__.pop(REVOKE_ATTR, None)
    if raw or reason is None:
        return
    tokens_revoke_all(actor=None, user=instance, because=reason)


def connect() -> None:
    from django.db.models.signals import post_save, pre_save

    pre_save.connect(_user_pre_save, sender=User, dispatch_uid="accounts-tokens-pre-save")
    post_save.connect(_user_post_save, sender=User, dispatch_uid="accounts-tokens-post-save")
