from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from accounts.models import Agency, acting_user
from audit.models import AccessEvent
from core.forms import add_service_errors
from core.params import bad_request, int_param
from core.permissions import ProtectedView, is_police, record_access, sees_no_content
from forums import selectors as forum_selectors
from forums.models import ForumKind
from forums.selectors import forum_list_for
from persons import retention, selectors, services, workflow
from persons.forms import (
    ConcernDecideForm,
    ConcernForm,
    ConsentForm,
    RetentionDeleteForm,
    RetentionExtendForm,
    TransferForm,
)
from persons.models import CaseFile, Concern
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
                    age_override_reason=data["age_override_reason"],
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


class ManagerOnlyView(ProtectedView):
    """A page for the chair or coordinator of the object's forum: the content-blind roles get
    the same 404 as everyone else outside it (the object's existence is no business of theirs)."""

    def dispatch(self, request: Any, *args: Any, **kwargs: Any) -> Any:
        if request.user.is_authenticated and sees_no_content(request.user):
            raise Http404
        return super().dispatch(request, *args, **kwargs)


class ConcernDecideView(ManagerOnlyView):
    """The coordinator's decision on a new concern: bring it to the forum, no further action,
    or pass it on to another forum of the municipality."""

    template_name = "persons/concern_decide.html"

    def page(
        self, request: HttpRequest, concern: Concern, form: ConcernDecideForm, status: int = 200
    ) -> HttpResponse:
        context = {"concern": concern, "form": form}
        return render(request, self.template_name, context, status=status)

    def form(self, request: HttpRequest, concern: Concern) -> ConcernDecideForm:
        forums = selectors.forums_to_pass_to(user=request.user, forum=concern.case_file.forum)
        return ConcernDecideForm(request.POST or None, forums=forums)

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        concern = selectors.concern_get_for_decision(user=request.user, pk=pk)
        return self.page(request, concern, self.form(request, concern))

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        concern = selectors.concern_get_for_decision(user=request.user, pk=pk)
        form = self.form(request, concern)
        if form.is_valid():
            data = form.cleaned_data
            try:
                workflow.concern_decide(
                    actor=acting_user(request),
                    concern=concern,
                    decision=data["decision"],
                    reason=data["reason"],
                    target_forum=data["target_forum"],
                )
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, _("Beslutningen er registreret."))
                return redirect("coordination:person-detail", pk=concern.case_file.person_id)
        return self.page(request, concern, form, status=400)


class CaseFileConsentView(ManagerOnlyView):
    """Registrér samtykke: who gave, refused or withdrew consent and when; the history."""

    template_name = "persons/consent_form.html"

    def page(
        self, request: HttpRequest, case_file: CaseFile, form: ConsentForm, status: int = 200
    ) -> HttpResponse:
        history = selectors.consent_history(case_files=[case_file])[case_file.pk]
        context = {"case_file": case_file, "form": form, "history": history}
        return render(request, self.template_name, context, status=status)

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        case_file = selectors.casefile_managed_get(user=request.user, pk=pk)
        return self.page(request, case_file, ConsentForm())

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        case_file = selectors.casefile_managed_get(user=request.user, pk=pk)
        form = ConsentForm(request.POST)
        if form.is_valid():
            try:
                workflow.consent_record(
                    actor=acting_user(request), case_file=case_file, **form.cleaned_data
                )
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, _("Samtykket er registreret."))
                return redirect("coordination:person-detail", pk=case_file.person_id)
        return self.page(request, case_file, form, status=400)


class CaseFileTransferView(ManagerOnlyView):
    """The move at 18 from SSP to SSP+ or PSP: a recorded decision with a reason."""

    template_name = "persons/casefile_transfer.html"

    def form(self, request: HttpRequest, case_file: CaseFile) -> TransferForm:
        forums = selectors.forums_to_transfer_to(user=request.user, case_file=case_file)
        return TransferForm(request.POST or None, forums=forums)

    def page(
        self, request: HttpRequest, case_file: CaseFile, form: TransferForm, status: int = 200
    ) -> HttpResponse:
        context = {
            "case_file": case_file,
            "form": form,
            "due": workflow.turns_18_soon(case_file),
        }
        return render(request, self.template_name, context, status=status)

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        case_file = selectors.casefile_managed_get(user=request.user, pk=pk)
        return self.page(request, case_file, self.form(request, case_file))

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        case_file = selectors.casefile_managed_get(user=request.user, pk=pk)
        form = self.form(request, case_file)
        if form.is_valid():
            try:
                workflow.casefile_transfer(
                    actor=acting_user(request),
                    case_file=case_file,
                    target_forum=form.cleaned_data["target_forum"],
                    reason=form.cleaned_data["reason"],
                )
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(
                    request, _("Personen er overgået, og videregivelsen er registreret.")
                )
                return redirect("coordination:person-detail", pk=case_file.person_id)
        return self.page(request, case_file, form, status=400)
