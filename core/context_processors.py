"""Template context shared by every page."""

from __future__ import annotations

from dataclasses import dataclass

from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class NavItem:
    label: str | Promise
    url: str
    active: bool


# Main navigation. An entry appears once its app provides the route, so the menu never links
# to a page that does not exist.
NAVIGATION: list[tuple[Promise, str]] = [
    (_("Forside"), "core:home"),
    (_("Fora"), "forums:list"),
    (_("Personer"), "coordination:person-list"),
    (_("Ny bekymring"), "persons:concern-create"),
    (_("Møder"), "coordination:sessions"),
    (_("Mine opgaver"), "coordination:my-tasks"),
    (_("Audit"), "audit:dashboard"),
]


def navigation(request: HttpRequest) -> dict[str, list[NavItem]]:
    if not request.user.is_authenticated:
        return {"nav_items": []}
    items = []
    for label, url_name in NAVIGATION:
        try:
            url = reverse(url_name)
        except NoReverseMatch:
            continue
        active = request.path == url if url == "/" else request.path.startswith(url)
        items.append(NavItem(label=label, url=url, active=active))
    return {"nav_items": items}
