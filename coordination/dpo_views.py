"""The DPO's pages of the art. 30 record (coordination.art30): on the page and as a PDF.
Under /audit/ beside the DPO's other pages; here because the record is built from the domain
apps' rules, which the audit app does not import."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from audit.views import DPOView
from coordination import art30
from core.pdf import render_pdf


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
