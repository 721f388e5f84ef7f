"""Architecture rules a reviewer would otherwise have to remember."""

from __future__ import annotations

import ast
from pathlib import Path

from django.urls import URLPattern, URLResolver, get_resolver

from audit.api.views import IsDPO
from audit.views import DPOView
from core.api import ProtectedAPIView
from core.permissions import ProtectedView
from councils.views import CouncilView

ROOT = Path(__file__).resolve().parent.parent
APPS = ["core", "accounts", "forums", "persons", "coordination", "councils", "audit"]
ORDER = ["core", "accounts", "forums", "persons", "coordination", "councils"]

# Views that show no protected object, with the reason they need no guard.
PUBLIC_VIEWS = {
    "core.views.health": "liveness: timestamps only",
    "coordination.home_views.HomeView": "start page: login required; its work list comes from restricted selectors",
    "core.views.NotificationListView": "the user's own inbox: pseudonyms and links only",
    "core.api_views.NotificationListView": "the user's own inbox: pseudonyms and links only",
    "accounts.views.LoginView": "login, step one: email and password",
    "accounts.views.OTPView": "login, step two: the one-time code",
    "accounts.views.EnrolmentView": "the user's own second factor: QR code and backup codes",
    "django.contrib.auth.views.LogoutView": "logout",
    "accounts.logout_everywhere.LogoutEverywhereView": "the user's own sessions and tokens",
    "drf_spectacular.views.SpectacularAPIView": "the API schema describes no data",
    "config.api_urls.unknown_path": "the JSON 404 for an unknown API path: answers nothing",
    "django.views.i18n.set_language": "the language switch: sets a cookie, shows no data",
}
PROTECTED_MODELS = {"FocusPerson", "Identity", "CaseFile", "Note", "Concern", "IdentityReveal"}


def all_patterns(resolver: URLResolver | None = None, prefix: str = ""):
    resolver = resolver or get_resolver()
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            if pattern.app_name == "admin":
                continue
            yield from all_patterns(pattern, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            yield prefix + str(pattern.pattern), pattern.callback


def view_class(callback):
    return getattr(callback, "view_class", None) or getattr(callback, "cls", None)


def test_every_view_is_guarded_or_listed_public():
    unguarded = []
    for route, callback in all_patterns():
        cls = view_class(callback)
        dotted = f"{(cls or callback).__module__}.{(cls or callback).__qualname__}"
        if dotted in PUBLIC_VIEWS:
            continue
        guarded = cls is not None and (
            issubclass(cls, ProtectedView | ProtectedAPIView | DPOView | CouncilView)
            or IsDPO in getattr(cls, "permission_classes", [])
        )
        if not guarded:
            unguarded.append(f"{route} -> {dotted}")
    assert unguarded == []


def _python_files(folder: str):
    return [p for p in (ROOT / folder).rglob("*.py") if "migrations" not in p.parts]


def test_views_and_api_never_query_protected_models_directly():
    offenders = []
    for app in APPS:
        for path in _python_files(app):
            if path.name not in {"views.py", "serializers.py"} and "api" not in path.parts:
                continue
            for node in ast.walk(ast.parse(path.read_text())):
                if (
                    isinstance(node, ast.Attribute)
                    and node.attr == "objects"
                    and isinstance(node.value, ast.Name)
                    and node.value.id in PROTECTED_MODELS
                ):
                    # Building a queryset to hand to visible_to/get_object_for is the one path;
                    # the call site must be inside such a call.
                    offenders.append((path, node.lineno))
    allowed = []
    for path, line in offenders:
        source_line = path.read_text().splitlines()[line - 1]
        context = "\n".join(path.read_text().splitlines()[max(0, line - 4) : line])
        if (
            "get_object_for(" in context
            or "visible_to(" in context
            or "def base_queryset" in context
        ):
            continue
        allowed.append(f"{path.relative_to(ROOT)}:{line}: {source_line.strip()}")
    assert allowed == []


def _imported_apps(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        names = []
        if isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module]
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        found.update(name.split(".")[0] for name in names)
    return found & set(APPS)


def test_imports_point_one_way():
    """An app imports only apps before it in core, accounts, forums, persons, coordination;
    audit imports only core and accounts; core imports no app."""
    allowed = {app: set(ORDER[: ORDER.index(app) + 1]) for app in ORDER}
    allowed["audit"] = {"core", "accounts", "audit"}
    allowed["core"] = {"core"}
    wrong = []
    for app in APPS:
        for path in _python_files(app):
            extra = _imported_apps(path) - allowed[app] - ({"audit"} if app in ORDER[2:] else set())
            if extra:
                wrong.append(f"{path.relative_to(ROOT)} imports {sorted(extra)}")
    assert wrong == []


def test_only_core_crypto_imports_cryptography():
    importers = [
        str(path.relative_to(ROOT))
        for app in [*APPS, "config"]
        for path in _python_files(app)
        if "cryptography"
        in {
            (n.module or "").split(".")[0]
            for n in ast.walk(ast.parse(path.read_text()))
            if isinstance(n, ast.ImportFrom)
        }
        | {
            a.name.split(".")[0]
            for n in ast.walk(ast.parse(path.read_text()))
            if isinstance(n, ast.Import)
            for a in n.names
        }
    ]
    assert importers == ["core/crypto.py"]


def test_template_comments_are_one_line():
    """Django's ``{# #}`` comment ends at the line's end: one spanning lines is printed on the
    page as text (markup included). Longer comments use ``{% comment %}``."""
    spanning = [
        f"{path.relative_to(ROOT)}:{number}"
        for path in sorted((ROOT / "templates").rglob("*.html"))
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        if "{#" in line and "#}" not in line.split("{#", 1)[1]
    ]
    assert spanning == []
