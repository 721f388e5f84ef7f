"""Logging bench users in over HTTP, as a browser does: the login form (email, password), then
the second step with a TOTP code computed here from the device's key (RFC 6238, as django-otp
computes it). The result is the session's cookie header for wrk and a CSRF form token."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass

import requests
from django_otp.oath import TOTP

LOGIN_PATH = "/konto/log-ind/"
OTP_PATH = "/konto/log-ind/kode/"
CSRF_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
TIMEOUT = 30


class LoginFailed(RuntimeError):
    pass


def totp(key_hex: str, at: float | None = None, *, step: int = 30, digits: int = 6) -> str:
    """The code an authenticator app shows for ``key_hex`` at ``at`` (default: now), by
    django-otp's own TOTP (a plain module: no settings needed)."""
    code = TOTP(bytes.fromhex(key_hex), step=step, digits=digits)
    code.time = time.time() if at is None else at
    return f"{code.token():0{digits}d}"


def csrf_token(html: str) -> str:
    found = CSRF_FIELD.search(html)
    if found is None:
        raise LoginFailed("no CSRF token in the form")
    return found.group(1)


@dataclass(frozen=True)
class Session:
    email: str
    cookie: str  # the Cookie header: session and CSRF cookies
    csrf: str  # a form token matching the CSRF cookie


def _post_form(http: requests.Session, base: str, path: str, data: dict[str, str]) -> str:
    page = http.get(base + path, timeout=TIMEOUT)
    page.raise_for_status()
    answer = http.post(
        base + path,
        data={"csrfmiddlewaretoken": csrf_token(page.text), **data},
        allow_redirects=False,
        timeout=TIMEOUT,
    )
    if answer.status_code != 302:
        raise LoginFailed(f"{path} answered {answer.status_code}, not a redirect")
    return answer.headers["Location"]


def login(base: str, email: str, password: str, totp_key: str, form_path: str) -> Session:
    """Log in and return the cookies, with a CSRF token read from ``form_path``'s form."""
    http = requests.Session()
    _post_form(http, base, LOGIN_PATH, {"username": email, "password": password})
    _post_form(http, base, OTP_PATH, {"code": totp(totp_key)})
    form = http.get(base + form_path, timeout=TIMEOUT)
    if form.status_code != 200:
        raise LoginFailed(f"{email}: {form_path} answered {form.status_code} after login")
    cookie = "; ".join(f"{name}={value}" for name, value in http.cookies.items())
    found = CSRF_FIELD.search(form.text)
    return Session(email=email, cookie=cookie, csrf=found.group(1) if found else "")
