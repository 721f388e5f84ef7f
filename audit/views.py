"""The DPO's pages: metadata of reads, disclosures and changes; never content."""

from __future__ import annotations

import csv
import datetime
from typing import Any

from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, QueryDict, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views import View

from accounts.models import User, acting_user
from audit import selectors
from audit.forms import AccessFilterForm, SpotCheckForm
from audit.models import AccessEvent, Checkpoint, SpotCheck
from audit.verify import verify_all
from core.permissions import ROLE_DPO, has_role

PAGE_SIZE = 50


class DPOView(LoginRequiredMixin, View):
    """Base of the DPO pages: the dpo role only."""

    def dispatch(self, request: Any, *args: Any, **kwargs: Any) -> Any:
        if request.user.is_authenticated and not has_role(request.user, ROLE_DPO):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)


def _page(request: HttpRequest, queryset: Any) -> Any:
    # No count(*) over the audit table: the paginator only asks for one page more.
    number = request.GET.get("side", "1")
    number_int = int(number) if number.isdigit() and int(number) > 0 else 1
    rows = list(queryset[(number_int - 1) * PAGE_SIZE : number_int * PAGE_SIZE + 1])
    return {"rows": rows[:PAGE_SIZE], "number": number_int, "has_next": len(rows) > PAGE_SIZE}


class DashboardView(DPOView):
    def get(self, request: HttpRequest) -> HttpResponse:
        today = timezone.localdate()
        context = {
            "counts": selectors.action_counts(
                date_from=today - datetime.timedelta(days=30), date_to=today
            ),
            "checkpoints": Checkpoint.objects.all()[:4],
            "actions": dict(AccessEvent.Action.choices),
        }
        return render(request, "audit/dashboard.html", context)


class AccessListView(DPOView):
    def get(self, request: HttpRequest) -> HttpResponseBase:
        form = AccessFilterForm(request.GET or None)
        events = selectors.access_events(**form.filters())
        if request.GET.get("format") == "csv":
            return access_csv(events)
        return render(
            request,
            "audit/access_list.html",
            {"form": form, "page": _page(request, events), "query": request.GET.urlencode()},
        )


class _Echo:
    def write(self, value: str) -> str:
        return value


def access_csv(events: Any) -> StreamingHttpResponse:
    """CSV of the filtered access events, streamed (no content, metadata only)."""
    writer = csv.writer(_Echo())
    header = [
        "seq",
        "tidspunkt",
        "bruger_id",
        "bruger",
        "myndighed",
        "handling",
        "objekttype",
        "objekter",
        "person_ids",
        "pseudonymer",
        "søgekriterium",
        "begrundelse",
        "request_id",
        "ip",
    ]

    def rows() -> Any:
        yield writer.writerow(header)
        for e in events.iterator(chunk_size=2000):
            yield writer.writerow(
                [
                    e.seq,
                    e.occurred_at.isoformat(),
                    e.actor_id,
                    e.actor.full_name if e.actor else "",
                    e.actor_agency.name if e.actor_agency else "",
                    e.action,
                    e.content_type.model if e.content_type else "",
                    " ".join(e.object_ids),
                    " ".join(map(str, e.person_ids)),
                    " ".join(e.person_pseudonyms),
                    e.search_criterion,
                    e.reason,
                    e.request_id,
                    e.ip_address or "",
                ]
            )

    response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="adgangslog.csv"'
    return response


class PersonHistoryView(DPOView):
    """Everything recorded about one person: accesses, disclosures and changes."""

    def get(self, request: HttpRequest, pseudonym: str) -> HttpResponse:
        person_id = selectors.person_id_for(pseudonym)
        context = {
            "pseudonym": pseudonym.upper(),
            "person_id": person_id,
            "accesses": selectors.access_events(person=pseudonym)[:200],
            "disclosures": selectors.disclosures(person=pseudonym)[:200],
            "changes": selectors.person_changes(person_id)[:200] if person_id else [],
        }
        return render(request, "audit/person_history.html", context)


class UserHistoryView(DPOView):
    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        subject = get_object_or_404(User.objects.select_related("agency"), pk=pk)
        context = {
            "subject": subject,
            "accesses": selectors.access_events(user=subject.pk)[:200],
            "changes": selectors.user_changes(subject.pk)[:200],
        }
        return render(request, "audit/user_history.html", context)


class UnusualAccessView(DPOView):
    def get(self, request: HttpRequest) -> HttpResponse:
        form = AccessFilterForm(request.GET or None)
        filters = form.filters()
        users = selectors.unusual_access(date_from=filters["date_from"], date_to=filters["date_to"])
        return render(request, "audit/unusual.html", {"form": form, "users": users})


class VerifyView(DPOView):
    def get(self, request: HttpRequest) -> HttpResponse:
        return render(
            request,
            "audit/verify.html",
            {"result": None, "checkpoints": Checkpoint.objects.all()[:10]},
        )

    def post(self, request: HttpRequest) -> HttpResponse:
        return render(
            request,
            "audit/verify.html",
            {"result": verify_all(), "checkpoints": Checkpoint.objects.all()[:10]},
        )


class SpotCheckView(DPOView):
    def get(self, request: HttpRequest) -> HttpResponse:
        form = AccessFilterForm(request.GET or None)
        filters = form.filters()
        sample = selectors.spot_check_sample(
            date_from=filters["date_from"],
            date_to=filters["date_to"],
            seed=request.GET.get("udtraek", ""),
        )
        return render(
            request,
            "audit/spot_check.html",
            {"form": form, "sample": sample, "review_form": SpotCheckForm()},
        )

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        event = get_object_or_404(AccessEvent, pk=pk)
        form = SpotCheckForm(request.POST)
        if form.is_valid():
            # The first review of an event stands; a second submit changes nothing.
            SpotCheck.objects.get_or_create(
                access_event=event, defaults={"reviewer": acting_user(request), **form.cleaned_data}
            )
        query = QueryDict(request.POST.get("query", "")).urlencode()  # re-encoded: no injection
        return redirect(f"{reverse('audit:spot-check')}?{query}")
