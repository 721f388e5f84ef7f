from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from accounts.models import Agency, acting_user
from audit.models import AccessEvent
from core.forms import add_service_errors
from core.params import bad_request, int_param
from core.permissions import ProtectedView, is_police, record_access
from forums import selectors as forum_selectors
from forums.models import ForumKind
from forums.selectors import forum_list_for
from persons import retention, services
from persons.forms import ConcernForm, RetentionDeleteForm, RetentionExtendForm
from persons.selectors import casefile_list_for_forum


class ConcernCreateView(ProtectedView):
    template_name = "persons/concern_form.html"

    def form(self, request: HttpRequest) -> ConcernForm:
        agency_id = getattr(request.user, "agency_id", None)
        return ConcernForm(
            request.POST or None,
            initial={"source_agency": agency_id, "forum": request.GET.get("forum")},
            forums=forum_list_for(user=request.user),
            agencies=(
                Agency.objects.filter(forums__in=forum_list_for(user=request.user))
                | Agency.objects.filter(pk=agency_id or 0)
            )
            .distinct()
            .select_related("municipality"),
        )

    def get(self, request: HttpRequest) -> HttpResponse:
        return render(request, self.template_name, {"form": self.form(request)})

    def post(self, request: HttpRequest) -> HttpResponse:
        form = self.form(request)
        if form.is_valid():
            data = form.cleaned_data
            try:
                result = services.concern_register(
                    actor=acting_user(request),
                    forum=data["forum"],
                    identity=services.IdentityInput(
                        name=data["name"],
                        cpr=data["cpr"],
                        birth_date=data["birth_date"],
                        address=data["address"],
                    ),
                    categories=data["categories"],
                    description=data["description"],
                    source_agency=data["source_agency"],
                    necessity=data["necessity"],
                    source_reason=data["source_reason"],
                    ksp_letter=data["ksp_letter"],
                )
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                # The same words whether the CPR was known or new: matching is silent.
                messages.success(
                    request,
                    _("Bekymringen er registreret som %(p)s.") % {"p": result.person.pseudonym},
                )
                return redirect("coordination:person-detail", pk=result.person.pk)
        return render(request, self.template_name, {"form": form}, status=400)


class ForumDetailView(ProtectedView):
    """Members and the persons on the forum's list (pseudonyms only)."""

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        forum = forum_selectors.forum_get_for(user=request.user, pk=pk)
        case_files = list(casefile_list_for_forum(user=request.user, forum=forum))
        record_access(
            request.user, [cf.person for cf in case_files], AccessEvent.Action.LIST_PERSONS
        )
        context: dict[str, Any] = {
            "forum": forum,
            "members": forum_selectors.forum_members(user=request.user, forum=forum),
            "case_files": case_files,
            # Police hand over lists from the daily reports to SSP forums (coordination.handover).
            "may_upload_handover": is_police(request.user)
            and forum.kind in (ForumKind.SSP, ForumKind.S115),
        }
        return render(request, "forums/forum_detail.html", context)


def _bound(errors: dict[int, forms.Form], pk: int, form_class: type[forms.Form]) -> forms.Form:
    """The submitted form of this row when it had errors, else a fresh one."""
    form = errors.get(pk)
    return form if isinstance(form, form_class) else form_class()


class RetentionListView(ProtectedView):
    """Til sletning: the case files of the user's managed forums that fall due within
    RETENTION_NOTICE_DAYS, each with the one extension and deletion now."""

    template_name = "persons/retention.html"

    def get(self, request: HttpRequest) -> HttpResponse:
        return self.page(request)

    def page(
        self,
        request: HttpRequest,
        *,
        errors: dict[int, forms.Form] | None = None,
        status: int = 200,
    ) -> HttpResponse:
        rows = retention.due_list(user=acting_user(request))
        # ?sag=<id>: one case file chosen from the person's page, due or not, to delete now.
        try:
            chosen = int_param(request.GET.get("sag"), "sag")
        except ValidationError as error:
            return bad_request(error)
        if chosen is not None and chosen not in {row.case_file.pk for row in rows}:
            rows.insert(0, retention.due_row(user=acting_user(request), case_file_id=chosen))
        record_access(
            request.user, [row.case_file for row in rows], AccessEvent.Action.VIEW_CASE_FILE
        )
        errors = errors or {}
        context = {
            "rows": [
                {
                    "row": row,
                    "extend_form": _bound(errors, row.case_file.pk, RetentionExtendForm),
                    "delete_form": _bound(errors, row.case_file.pk, RetentionDeleteForm),
                }
                for row in rows
            ],
            "notice_days": settings.RETENTION_NOTICE_DAYS,
            "extension_days": settings.RETENTION_EXTENSION_DAYS,
        }
        return render(request, self.template_name, context, status=status)


class RetentionExtendView(RetentionListView):
    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        form = RetentionExtendForm(request.POST)
        if form.is_valid():
            try:
                retention.casefile_extend(
                    actor=acting_user(request), case_file_id=pk, reason=form.cleaned_data["reason"]
                )
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, _("Sagen er forlænget."))
                return redirect("persons:retention")
        return self.page(request, errors={pk: form}, status=400)


class RetentionDeleteView(RetentionListView):
    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        form = RetentionDeleteForm(request.POST)
        if form.is_valid():
            try:
                tombstone = retention.casefile_delete_now(
                    actor=acting_user(request), case_file_id=pk, cause=form.cleaned_data["cause"]
                )
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(
                    request, _("Sagen om %(p)s er slettet.") % {"p": tombstone.pseudonym}
                )
                return redirect("persons:retention")
        return self.page(request, errors={pk: form}, status=400)
