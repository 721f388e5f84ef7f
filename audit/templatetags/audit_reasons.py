"""``{{ event|reason_shown }}``: an audit row's reason for the DPO, decrypted while the case
file's key exists, "slettet" after (audit.services.reason_shown)."""

from __future__ import annotations

from django import template

from audit.models import AccessEvent, Disclosure
from audit.services import reason_shown as _reason_shown

register = template.Library()


@register.filter
def reason_shown(record: AccessEvent | Disclosure) -> str:
    return _reason_shown(record)
