"""URLs for `make bench` only (ROOT_URLCONF of config.settings_bench): every production route,
plus two reference points the harness measures pages against. config.urls never includes
this module, so none of it is reachable in production."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.urls import path

from config.bench_middleware import NO_AUDIT_PREFIX
from config.urls import handler400, handler403, handler404, handler500, urlpatterns
from coordination.views import PersonDetailView
from core.permissions import ProtectedView

__all__ = ["handler400", "handler403", "handler404", "handler500", "urlpatterns"]


class TrivialView(ProtectedView):
    """The cheapest page a logged-in, second-factor-verified member can reach: the same
    middleware and guard as the person page, and no query of its own."""

    def get(self, request: HttpRequest) -> HttpResponse:
        return HttpResponse("ok", content_type="text/plain; charset=utf-8")


urlpatterns = [
    path("bench/triviel/", TrivialView.as_view()),
    # The person page itself; DiscardAuditMiddleware empties its audit buffer on this prefix.
    path(f"{NO_AUDIT_PREFIX.strip('/')}/personer/<int:pk>/", PersonDetailView.as_view()),
    *urlpatterns,
]
