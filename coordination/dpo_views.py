"""The DPO's pages built from the domain apps, which the audit app does not import: the art. 30
record (coordination.art30) on the page and as a PDF, and retention's extensions and
deletions. Under /audit/ beside the DPO's other pages."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from audit.models import AccessEvent
from audit.services import access_record
from audit.views import DPOView
from coordination import art30
from core.pdf import render_pdf
from persons import selectors as person_selectors


class Art30View(DPOView):
    """The record of processing (GDPR art. 30) per forum kind, from the configuration."""

    def get(self, request: HttpRequest) -> HttpResponse:
        return render(request, "audit/art30.html", {"register": art30.register()})


class Art30PdfView(DPOView):
    """The same record as a PDF document, for the DPO to file or send on."""

    def get(self, request: HttpRequest) -> HttpResponse:
        register = art30.register()
        pdf = render_pdf("audit/art30_pdf.html", {"register": register}, request)
        response = HttpResponse(pdf, content_type="application/pdf")
        name = f"fortegnelse-art30-{register.made_on.isoformat()}.pdf"
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        response["Cache-Control"] = "no-store"
        return response


RETENTION_ROWS = 200


class RetentionDecisionsView(DPOView):
    """Extensions (with their reasons, which the DPO must be able to judge) and deletions on
    the forums of the DPO's municipalities, newest first. Reading the reasons is recorded."""

    def get(self, request: HttpRequest) -> HttpResponse:
        extensions, deletions = person_selectors.retention_decisions(
            municipality_ids=self.scope.municipality_ids, limit=RETENTION_ROWS
        )
        if extensions:
            access_record(
                actor=request.user,
                action=AccessEvent.Action.VIEW_CASE_FILE,
                objects=extensions,
                reason="retention_extensions",
            )
        context = {
            "extensions": extensions,
            "deletions": deletions,
            "limit": RETENTION_ROWS,
        }
        return render(request, "audit/retention_decisions.html", context)
