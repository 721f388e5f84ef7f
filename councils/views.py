"""The council pages: the samarbejdsplan with its focus areas and status, the council's
meetings, and the anonymous statistics (page, CSV, PDF). Councils are reached only through
``Council.restrict`` (a current membership); 404 for every other council, existing or not."""

from __future__ import annotations

import csv
import io
from typing import Any

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views import View

from accounts.models import acting_user
from audit.models import AccessEvent
from audit.views import csv_cell
from core.pdf import render_pdf
from core.permissions import get_object_for, record_access
from councils import selectors, services, statistics
from councils.forms import FocusAreaForm, MeetingForm, PlanForm, StatusForm
from councils.models import CooperationPlan, Council, CouncilMeeting, FocusArea
from councils.periods import Period


class CouncilView(LoginRequiredMixin, View):
    """Base of every council page: login, and the council only through its restrict()."""

    def council(self, pk: Any, action: str = "view") -> Council:
        queryset = Council.objects.select_related("police_district", "municipality")
        return get_object_for(self.request.user, queryset, pk, action)

    def is_secretary(self, council: Council) -> bool:
        return Council.objects.restrict(self.request.user, "change").filter(pk=council.pk).exists()


class CouncilListView(CouncilView):
    def get(self, request: HttpRequest) -> HttpResponse:
        councils = list(selectors.council_list(request.user))
        return render(request, "councils/list.html", {"councils": councils})


class CouncilDetailView(CouncilView):
    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        council = self.council(pk)
        context = {
            "council": council,
            "plan": selectors.current_plan(council),
            "meetings": list(selectors.meetings_of(council)[:20]),
            "secretary": self.is_secretary(council),
            "periods": selectors.released_periods(council)[:1],
        }
        return render(request, "councils/detail.html", context)


class StatisticsError(ValueError):
    pass


class StatisticsView(CouncilView):
    """The figures of one area of the council for one released period, beside the previous
    period. Every view (page, CSV, PDF) is an access event on the council (no person)."""

    template_name = "councils/statistics.html"

    def selection(self, request: HttpRequest, council: Council) -> dict[str, Any]:
        areas = selectors.areas_of(council)
        periods = selectors.released_periods(council)
        area_code = request.GET.get("omraade") or (areas[0].code if areas else "")
        area = next((a for a in areas if a.code == area_code), None)
        if area is None:
            raise StatisticsError(_("Vælg et af de områder, rådet følger."))
        period_code = request.GET.get("periode")
        if period_code:
            period = Period.parse(period_code)
            if period is None or period not in periods:
                raise StatisticsError(_("Vælg en opgjort periode: et afsluttet kvartal."))
        elif periods:
            period = periods[0]
        else:
            raise StatisticsError(_("Der er endnu ingen opgjorte perioder."))
        stats = selectors.statistics_for(council=council, area=area, period=period)
        record_access(
            request.user,
            [council],
            AccessEvent.Action.VIEW_STATISTICS,
            model=Council,
            search_criterion=f"{area.code} {period.code}",
        )
        return {"areas": areas, "periods": periods, "stats": stats}

    def context(self, request: HttpRequest, pk: int) -> tuple[dict[str, Any], int]:
        council = self.council(pk)
        context: dict[str, Any] = {"council": council}
        try:
            context.update(self.selection(request, council))
        except StatisticsError as error:
            context.update(
                error=str(error),
                areas=selectors.areas_of(council),
                periods=selectors.released_periods(council),
            )
            return context, 400
        stats = context["stats"]
        context["sections"] = selectors.charted(stats)
        plan = selectors.current_plan(council)
        context["plan"] = plan
        context["focus"] = selectors.focus_figures(stats, list(plan.areas.all()) if plan else [])
        context["small"] = selectors.small_marker()
        context["below"] = statistics.min_count() - 1
        return context, 200

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        context, status = self.context(request, pk)
        return render(request, self.template_name, context, status=status)


class StatisticsPdfView(StatisticsView):
    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        context, status = self.context(request, pk)
        if status != 200:
            return render(request, self.template_name, context, status=status)
        pdf = render_pdf("councils/statistics_pdf.html", context, request)
        response = HttpResponse(pdf, content_type="application/pdf")
        stats = context["stats"]
        name = f"statistik-{stats.area.code}-{stats.period.code}.pdf"
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        response["Cache-Control"] = "no-store"
        return response


def statistics_csv(stats: selectors.Statistics) -> str:
    """The page's tables as CSV, cell for cell (markers as on the page)."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";")
    writer.writerow(
        ["tabel", "raekke", "omraade", "periode", "antal", "forrige_periode", "antal_forrige"]
    )
    for table in stats.tables:
        for row in table.rows:
            cells = [
                table.title,
                row.label,
                stats.area.name,
                str(stats.period),
                row.current,
                str(stats.previous),
                row.previous,
            ]
            writer.writerow([csv_cell(c) for c in cells])
    return out.getvalue()


class StatisticsCsvView(StatisticsView):
    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        context, status = self.context(request, pk)
        if status != 200:
            return render(request, self.template_name, context, status=status)
        stats = context["stats"]
        response = HttpResponse(statistics_csv(stats), content_type="text/csv; charset=utf-8")
        name = f"statistik-{stats.area.code}-{stats.period.code}.csv"
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        response["Cache-Control"] = "no-store"
        return response


class StatusCreateView(CouncilView):
    def form(self, request: HttpRequest, pk: int, area_pk: int) -> tuple[Council, FocusArea]:
        council = self.council(pk, "change")
        area = get_object_or_404(FocusArea, plan__council=council, pk=area_pk)
        return council, area

    def get(self, request: HttpRequest, pk: int, area_pk: int) -> HttpResponse:
        council, area = self.form(request, pk, area_pk)
        form = StatusForm(council=council)
        return render(
            request, "councils/status_form.html", {"council": council, "area": area, "form": form}
        )

    def post(self, request: HttpRequest, pk: int, area_pk: int) -> HttpResponse:
        council, area = self.form(request, pk, area_pk)
        form = StatusForm(request.POST, council=council)
        if not form.is_valid():
            context = {"council": council, "area": area, "form": form}
            return render(request, "councils/status_form.html", context, status=400)
        services.status_create(
            actor=acting_user(request),
            area=area,
            progress=form.cleaned_data["progress"],
            text=form.cleaned_data["text"],
            written_on=form.cleaned_data["written_on"],
            meeting=form.cleaned_data["meeting"],
        )
        messages.success(request, _("Status er gemt."))
        return redirect("councils:detail", pk=council.pk)


class MeetingView(CouncilView):
    """A council meeting: agenda, the focus areas on it with their latest status and figures
    of the newest released quarter, and the minutes. Printable."""

    def get(self, request: HttpRequest, pk: int, meeting_pk: int) -> HttpResponse:
        council = self.council(pk)
        meeting = get_object_or_404(CouncilMeeting, council=council, pk=meeting_pk)
        areas = list(meeting.focus_areas.prefetch_related("forums", "statuses"))
        focus: list[selectors.FocusFigures] = []
        stats = None
        periods = [p for p in selectors.released_periods(council) if not p.is_year]
        choices = selectors.areas_of(council)
        if periods and choices:
            stats = selectors.statistics_for(council=council, area=choices[0], period=periods[0])
            focus = selectors.focus_figures(stats, areas)
            record_access(
                request.user,
                [council],
                AccessEvent.Action.VIEW_STATISTICS,
                model=Council,
                search_criterion=f"{choices[0].code} {periods[0].code}",
            )
        context = {
            "council": council,
            "meeting": meeting,
            "focus": focus or [selectors.FocusFigures(a, []) for a in areas],
            "stats": stats,
            "secretary": self.is_secretary(council),
        }
        return render(request, "councils/meeting.html", context)


class MeetingEditView(CouncilView):
    def meeting(self, council: Council, meeting_pk: int | None) -> CouncilMeeting | None:
        if meeting_pk is None:
            return None
        return get_object_or_404(CouncilMeeting, council=council, pk=meeting_pk)

    def get(self, request: HttpRequest, pk: int, meeting_pk: int | None = None) -> HttpResponse:
        council = self.council(pk, "change")
        form = MeetingForm(instance=self.meeting(council, meeting_pk), council=council)
        return render(request, "councils/meeting_form.html", {"council": council, "form": form})

    def post(self, request: HttpRequest, pk: int, meeting_pk: int | None = None) -> HttpResponse:
        council = self.council(pk, "change")
        meeting = self.meeting(council, meeting_pk)
        form = MeetingForm(request.POST, instance=meeting, council=council)
        if not form.is_valid():
            context = {"council": council, "form": form}
            return render(request, "councils/meeting_form.html", context, status=400)
        data = form.cleaned_data
        saved = services.meeting_save(
            actor=acting_user(request),
            council=council,
            meeting=meeting,
            held_on=data["held_on"],
            location=data["location"],
            agenda=data["agenda"],
            minutes=data["minutes"],
            focus_areas=list(data["focus_areas"]),
        )
        messages.success(request, _("Mødet er gemt."))
        return redirect("councils:meeting", pk=council.pk, meeting_pk=saved.pk)


class PlanEditView(CouncilView):
    """The secretary writes the council's samarbejdsplan (or handleplan): a new one for a new
    period, or the title and period of one already there."""

    def plan(self, council: Council, plan_pk: int | None) -> CooperationPlan | None:
        if plan_pk is None:
            return None
        return get_object_or_404(CooperationPlan, council=council, pk=plan_pk)

    def get(self, request: HttpRequest, pk: int, plan_pk: int | None = None) -> HttpResponse:
        council = self.council(pk, "change")
        form = PlanForm(instance=self.plan(council, plan_pk))
        return render(request, "councils/plan_form.html", {"council": council, "form": form})

    def post(self, request: HttpRequest, pk: int, plan_pk: int | None = None) -> HttpResponse:
        council = self.council(pk, "change")
        plan = self.plan(council, plan_pk)
        form = PlanForm(request.POST, instance=plan)
        if not form.is_valid():
            context = {"council": council, "form": form}
            return render(request, "councils/plan_form.html", context, status=400)
        data = form.cleaned_data
        services.plan_save(
            actor=acting_user(request),
            council=council,
            plan=plan,
            title=data["title"],
            period_start=data["period_start"],
            period_end=data["period_end"],
        )
        messages.success(request, _("Samarbejdsplanen er gemt."))
        return redirect("councils:detail", pk=council.pk)


class AreaEditView(CouncilView):
    """The secretary adds a focus area to the council's plan or changes one."""

    def objects(
        self, council: Council, plan_pk: int, area_pk: int | None
    ) -> tuple[CooperationPlan, FocusArea | None]:
        plan = get_object_or_404(CooperationPlan, council=council, pk=plan_pk)
        if area_pk is None:
            return plan, None
        return plan, get_object_or_404(FocusArea, plan=plan, pk=area_pk)

    def get(
        self, request: HttpRequest, pk: int, plan_pk: int, area_pk: int | None = None
    ) -> HttpResponse:
        council = self.council(pk, "change")
        plan, area = self.objects(council, plan_pk, area_pk)
        form = FocusAreaForm(instance=area, council=council)
        context = {"council": council, "plan": plan, "form": form}
        return render(request, "councils/area_form.html", context)

    def post(
        self, request: HttpRequest, pk: int, plan_pk: int, area_pk: int | None = None
    ) -> HttpResponse:
        council = self.council(pk, "change")
        plan, area = self.objects(council, plan_pk, area_pk)
        form = FocusAreaForm(request.POST, instance=area, council=council)
        if not form.is_valid():
            context = {"council": council, "plan": plan, "form": form}
            return render(request, "councils/area_form.html", context, status=400)
        data = form.cleaned_data
        services.area_save(
            actor=acting_user(request),
            plan=plan,
            area=area,
            title=data["title"],
            description=data["description"],
            agencies=list(data["agencies"]),
            forums=list(data["forums"]),
            categories=list(data["categories"]),
            order=data["order"],
        )
        messages.success(request, _("Indsatsområdet er gemt."))
        return redirect("councils:detail", pk=council.pk)
