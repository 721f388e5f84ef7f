"""Template context shared by every page."""

from __future__ import annotations

from dataclasses import dataclass

from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from core.permissions import ROLE_COUNCIL, ROLE_DPO, has_role, sees_no_content


@dataclass(frozen=True)
class NavItem:
    label: str | Promise
    url: str
    active: bool


# Main navigation: (label, url name, shows content). An entry appears once its app provides
# the route, so the menu never links to a page that does not exist; content entries are hidden
# from roles that never see content (DPO, admin).
NAVIGATION: list[tuple[Promise, str, bool]] = [
    (_("Forside"), "coordination:home", False),
    (_("Fora"), "forums:list", True),
    (_("Personer"), "coordination:person-list", True),
    (_("Ny bekymring"), "persons:concern-create", True),
    (_("Møder"), "coordination:sessions", True),
    (_("Mine opgaver"), "coordination:my-tasks", True),
    (_("Til sletning"), "persons:retention", True),
    (_("Råd"), "councils:list", False),  # shown to council members only (below)
    (_("Notifikationer"), "core:notifications", False),
    (_("Audit"), "audit:dashboard", False),  # shown to the DPO only (below)
]


def navigation(request: HttpRequest) -> dict[str, list[NavItem]]:
    if not request.user.is_authenticated:
        return {"nav_items": []}
    content_blind = sees_no_content(request.user)
    items = []
    for label, url_name, shows_content in NAVIGATION:
        if shows_content and content_blind:
            continue
        if url_name.startswith("audit:") and not has_role(request.user, ROLE_DPO):
            continue
        if url_name.startswith("councils:") and not has_role(request.user, ROLE_COUNCIL):
            continue
        try:
            url = reverse(url_name)
        except NoReverseMatch:
            continue
        active = request.path == url if url == "/" else request.path.startswith(url)
        items.append(NavItem(label=label, url=url, active=active))
    return {"nav_items": items}
