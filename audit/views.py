"""The DPO's pages: metadata of reads, disclosures and changes; never content."""

from __future__ import annotations

import csv
import datetime
from typing import Any, cast

from django import forms
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, QueryDict, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views import View

from accounts.models import Agency, User, acting_user
from audit import selectors
from audit.forms import AccessFilterForm, SpotCheckForm
from audit.models import AccessEvent, Checkpoint, SpotCheck
from audit.services import reason_shown, reasons_shown
from audit.verify import verify_all
from core import crypto
from core.params import bad_request, int_param
from core.permissions import ROLE_DPO, has_role

PAGE_SIZE = 50
MAX_PAGE = 100_000  # the OFFSET stays far inside PostgreSQL's bigint


class DPOView(LoginRequiredMixin, View):
    """Base of the DPO pages: the dpo role only, and only the records of the DPO's own
    municipality (``self.scope``, see audit.selectors.Scope)."""

    scope: selectors.Scope

    def dispatch(self, request: Any, *args: Any, **kwargs: Any) -> Any:
        if request.user.is_authenticated and not has_role(request.user, ROLE_DPO):
            raise PermissionDenied
        self.scope = selectors.scope_of(request.user)
        return super().dispatch(request, *args, **kwargs)

    def filter_form(self, request: HttpRequest) -> AccessFilterForm:
        """The filter form, offering only the scope's users and agencies."""
        form = AccessFilterForm(request.GET or None)
        users = cast("forms.ModelChoiceField[User]", form.fields["user"])
        users.queryset = self.scope.users(User.objects.order_by("full_name"))
        agencies = cast("forms.ModelChoiceField[Agency]", form.fields["agency"])
        agencies.queryset = self.scope.agencies(Agency.objects.all())
        return form


def _page(request: HttpRequest, queryset: Any) -> Any:
    # No count(*) over the audit table: the paginator only asks for one page more.
    number_int = int_param(request.GET.get("side"), "side", maximum=MAX_PAGE) or 1
    rows = list(queryset[(number_int - 1) * PAGE_SIZE : number_int * PAGE_SIZE + 1])
    return {
        "rows": reasons_shown(rows[:PAGE_SIZE]),
        "number": number_int,
        "has_next": len(rows) > PAGE_SIZE,
    }


class DashboardView(DPOView):
    def get(self, request: HttpRequest) -> HttpResponse:
        today = timezone.localdate()
        context = {
            "counts": selectors.action_counts(
                scope=self.scope, date_from=today - datetime.timedelta(days=30), date_to=today
            ),
            "checkpoints": Checkpoint.objects.all()[:4],
            "actions": dict(AccessEvent.Action.choices),
        }
        return render(request, "audit/dashboard.html", context)


class AccessListView(DPOView):
    def get(self, request: HttpRequest) -> HttpResponseBase:
        form = self.filter_form(request)
        events = selectors.access_events(scope=self.scope, **form.filters())
        if request.GET.get("format") == "csv":
            return access_csv(events)
        try:
            page = _page(request, events)
        except ValidationError as error:
            return bad_request(error)
        return render(
            request,
            "audit/access_list.html",
            {"form": form, "page": page, "query": request.GET.urlencode()},
        )


# A cell starting with one of these is a formula (or becomes one) in a spreadsheet.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")


def csv_cell(value: Any) -> Any:
    """A CSV cell a spreadsheet shows as text: a string that would start a formula gets a
    leading ' (CSV injection, e.g. a search for "=HYPERLINK(...)"); numbers stay numbers."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


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
        keys: dict[Any, bytes | None] = {}  # data keys of sealed reasons, for this export
        for e in events.iterator(chunk_size=2000):
            row = [
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
                reason_shown(e, keys),  # decrypted, or "slettet" once the case file is gone
                e.request_id,
                e.ip_address or "",
            ]
            yield writer.writerow([csv_cell(cell) for cell in row])

    response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="adgangslog.csv"'
    return response


class PersonHistoryView(DPOView):
    """Everything recorded about one person: accesses, disclosures and changes."""

    def get(self, request: HttpRequest, pseudonym: str) -> HttpResponse:
        person_id = selectors.person_id_for(pseudonym, scope=self.scope)
        if person_id is None:  # unknown, or another municipality's: the same answer
            raise Http404
        context = {
            "pseudonym": pseudonym.upper(),
            "person_id": person_id,
            "accesses": reasons_shown(
                list(selectors.access_events(scope=self.scope, person=pseudonym)[:200])
            ),
            "disclosures": reasons_shown(
                list(selectors.disclosures(scope=self.scope, person=pseudonym)[:200])
            ),
            "changes": selectors.person_changes(person_id, scope=self.scope)[:200],
        }
        return render(request, "audit/person_history.html", context)


class UserHistoryView(DPOView):
    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        subject = selectors.user_get(pk, scope=self.scope)
        if subject is None:  # unknown, or another municipality's: the same answer
            raise Http404
        context = {
            "subject": subject,
            "accesses": reasons_shown(
                list(selectors.access_events(scope=self.scope, user=subject.pk)[:200])
            ),
            "changes": selectors.user_changes(subject.pk)[:200],
        }
        return render(request, "audit/user_history.html", context)


class UnusualAccessView(DPOView):
    def get(self, request: HttpRequest) -> HttpResponse:
        form = self.filter_form(request)
        filters = form.filters()
        users = selectors.unusual_access(
            scope=self.scope, date_from=filters["date_from"], date_to=filters["date_to"]
        )
        return render(request, "audit/unusual.html", {"form": form, "users": users})


class VerifyView(DPOView):
    """Checkpoints are checked with AUDIT_PUBLIC_KEY from the configuration (audit.verify),
    never with the key stored in a checkpoint row; the page shows which key that is."""

    def context(self, result: Any) -> dict[str, Any]:
        return {
            "result": result,
            "checkpoints": Checkpoint.objects.all()[:10],
            "public_keys": crypto.audit_public_keys(),
        }

    def get(self, request: HttpRequest) -> HttpResponse:
        return render(request, "audit/verify.html", self.context(None))

    def post(self, request: HttpRequest) -> HttpResponse:
        return render(request, "audit/verify.html", self.context(verify_all()))


class SpotCheckView(DPOView):
    def get(self, request: HttpRequest) -> HttpResponse:
        form = self.filter_form(request)
        filters = form.filters()
        sample = reasons_shown(
            list(
                selectors.spot_check_sample(
                    scope=self.scope,
                    date_from=filters["date_from"],
                    date_to=filters["date_to"],
                    seed=request.GET.get("udtraek", ""),
                )
            )
        )
        return render(
            request,
            "audit/spot_check.html",
            {"form": form, "sample": sample, "review_form": SpotCheckForm()},
        )

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        event = get_object_or_404(self.scope.access_events(AccessEvent.objects.all()), pk=pk)
        form = SpotCheckForm(request.POST)
        if form.is_valid():
            # The first review of an event stands; a second submit changes nothing.
            SpotCheck.objects.get_or_create(
                access_event=event, defaults={"reviewer": acting_user(request), **form.cleaned_data}
            )
        query = QueryDict(request.POST.get("query", "")).urlencode()  # re-encoded: no injection
        return redirect(f"{reverse('audit:spot-check')}?{query}")
