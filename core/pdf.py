"""HTML templates rendered to PDF (WeasyPrint), with no network access.

The page's static files (``{% static %}``) are read from the filesystem: STATIC_ROOT (after
collectstatic, hashed names included) or STATICFILES_DIRS. Every other URL (http, https, ftp,
data, a file outside those folders, a path climbing out with ``..``) is refused, so a template
or a value in it can make the renderer neither fetch from the network nor read server files.
"""

from __future__ import annotations

import logging
import mimetypes
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urljoin, urlsplit

from django.conf import settings
from django.http import HttpRequest
from django.template.loader import render_to_string

# WeasyPrint narrates every step, and fontTools every glyph subset, at INFO: not for our logs.
for _name in ("weasyprint.progress", "fontTools"):
    logging.getLogger(_name).setLevel(logging.WARNING)

# Relative and root-relative URLs resolve against this: "/static/x.css" -> "file:///static/x.css".
BASE_URL = "file:///"


class RefusedURL(ValueError):
    """A URL the PDF renderer may not fetch."""


def static_roots() -> list[Path]:
    dirs = [
        entry[1] if isinstance(entry, tuple | list) else entry
        for entry in settings.STATICFILES_DIRS
    ]
    return [Path(root).resolve() for root in [settings.STATIC_ROOT, *dirs] if root]


def static_prefixes() -> list[str]:
    """The URL prefixes of static files as the renderer sees them."""
    prefixes = [urljoin(BASE_URL, settings.STATIC_URL)]
    if urlsplit(settings.STATIC_URL).scheme:  # an absolute STATIC_URL (a CDN): read locally
        prefixes.append(settings.STATIC_URL)
    return prefixes


def static_file(url: str) -> Path:
    """The local file a static URL names; RefusedURL for anything else."""
    clean = url.split("#", 1)[0].split("?", 1)[0]
    for prefix in static_prefixes():
        if clean.startswith(prefix):
            relative = unquote(clean[len(prefix) :])
            break
    else:
        raise RefusedURL(f"Not a static file: {url[:200]}")
    for root in static_roots():
        candidate = (root / relative).resolve()
        if candidate.is_relative_to(root) and candidate.is_file():
            return candidate
    raise RefusedURL(f"No such static file: {url[:200]}")


@cache
def _fetcher_class() -> type:
    # WeasyPrint loads Pango when imported: imported on first use, so a machine without Pango
    # loses the PDFs only, not every page of the audit app.
    from weasyprint.urls import URLFetcher, URLFetcherResponse  # type: ignore[import-untyped]

    class StaticOnlyFetcher(URLFetcher):
        """WeasyPrint's fetcher, narrowed to the static files."""

        def fetch(self, url: str, headers: Any = None) -> Any:
            path = static_file(url)
            content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
            return URLFetcherResponse(
                path.as_uri(), body=path.read_bytes(), headers={"Content-Type": content_type}
            )

    return StaticOnlyFetcher


def static_only_fetcher() -> Any:
    return _fetcher_class()()


def render_pdf(template: str, context: Mapping[str, Any], request: HttpRequest | None) -> bytes:
    """The template rendered (with the request's context processors) as a PDF document."""
    from weasyprint import HTML  # type: ignore[import-untyped]

    html = render_to_string(template, dict(context), request=request)
    document = HTML(string=html, base_url=BASE_URL, url_fetcher=static_only_fetcher())
    pdf: bytes = document.write_pdf()
    return pdf
