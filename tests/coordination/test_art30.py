"""The GDPR art. 30 record (coordination.art30): one record per forum kind, from the configuration,
as a DPO page and a PDF; nobody else reaches it, and the PDF renderer fetches nothing remote."""

from __future__ import annotations

import pytest
from django.urls import reverse

from core.pdf import RefusedURL, static_file, static_only_fetcher
from forums.models import ForumKind

pytestmark = pytest.mark.django_db


def test_page_lists_every_forum_kind_with_basis_and_configured_period(world, client, settings):
    settings.RETENTION_BY_KIND = "ksp=543/21"
    settings.AUDIT_ACCESS_RETENTION_DAYS = 177
    client.force_login(world.dpo)

    response = client.get(reverse("coordination:art30"))

    assert response.status_code == 200
    text = response.content.decode()
    records = {r.kind: r for r in response.context["register"].records}
    assert set(records) == set(ForumKind.values)
    assert "stk. 1, nr. 2" in " ".join(records["psp"].legal_basis)
    assert "nr. 3, litra c" in " ".join(records["ksp"].legal_basis)
    assert "Slettes 543 dage efter seneste aktivitet" in text
    assert "Slettes 21 dage efter lukning" in text
    assert "177 dage" in text
    for label in ForumKind.labels:
        assert str(label) in text


def test_pdf_is_a_pdf_attachment_not_cached(world, client):
    client.force_login(world.dpo)

    response = client.get(reverse("coordination:art30-pdf"))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith('attachment; filename="fortegnelse-art30-')
    assert response["Content-Disposition"].isascii()
    assert "no-store" in response["Cache-Control"]
    assert response.content.startswith(b"%PDF")
    assert len(response.content) > 1000


@pytest.mark.parametrize("persona", ["coordinator", "school_member"])
def test_coordinator_and_member_are_refused(world, client, persona):
    client.force_login(getattr(world, persona))

    assert client.get(reverse("coordination:art30")).status_code == 403
    assert client.get(reverse("coordination:art30-pdf")).status_code == 403


@pytest.mark.parametrize(
    "url",
    [
        "http://example.com/static/css/pdf.css",
        "https://example.com/x.css",
        "file:///etc/passwd",
        "file:///static/../../../../etc/passwd",
        "data:text/css,body{}",
    ],
)
def test_pdf_fetcher_refuses_anything_but_local_static_files(url):
    with pytest.raises(RefusedURL):
        static_only_fetcher().fetch(url)


def test_pdf_fetcher_reads_a_static_file_from_disk():
    assert static_file("file:///static/css/pdf.css").name == "pdf.css"
    response = static_only_fetcher().fetch("file:///static/css/pdf.css")
    assert b"@page" in response.read()
