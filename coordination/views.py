"""Pages that gather from several apps: the person page, notes, reveal and discussion mode."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from accounts.models import acting_user
from audit.models import AccessEvent
from coordination import selectors, services
from coordination.forms import CaseFileOpenForm, ModeForm, NoteForm, RevealForm, ShareForm
from core.forms import add_service_errors
from core.permissions import ProtectedView, may_search_across_forums, record_access
from forums.models import Membership
from forums.selectors import forum_list_for, forums_managed_by
from persons import selectors as person_selectors
from persons import services as person_services
from persons.models import Concern, FocusPerson


class PersonListView(ProtectedView):
    def get(self, request: HttpRequest) -> HttpResponse:
        forum_raw = request.GET.get("forum", "")
        forum_id = int(forum_raw) if forum_raw.isdigit() else None
        query = request.GET.get("q", "").strip()[:32]
        context: dict[str, Any] = {
            "forums": forum_list_for(user=request.user),
            "forum_id": forum_id,
            "query": query,
            "may_search": may_search_across_forums(request.user),
        }
        try:
            persons = list(
                person_selectors.person_list_for(user=request.user, forum_id=forum_id, query=query)[
                    :200
                ]
            )
        except PermissionDenied as refusal:
            context["refusal"] = str(refusal)
            return render(request, "coordination/person_list.html", context)
        details = {"search_criterion": f"q={query}"} if query else {}
        action = AccessEvent.Action.SEARCH if query else AccessEvent.Action.LIST_PERSONS
        # The model is named so that a search with no result is logged with its criterion too.
        record_access(request.user, persons, action, model=FocusPerson, **details)
        context["persons"] = persons
        return render(request, "coordination/person_list.html", context)


class PersonDetailView(ProtectedView):
    """Pseudonym, case files, concerns and notes the user may see; identity only after reveal."""

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        return self.render(request, pk)

    def render(
        self, request: HttpRequest, pk: int, *, status: int = 200, **forms: Any
    ) -> HttpResponse:
        user = request.user
        person = person_selectors.person_get_for(
            user=user, pk=pk, audit_as=AccessEvent.Action.VIEW_PERSON
        )
        case_files = person_selectors.casefiles_of_person(user=user, person=person)
        concerns = person_selectors.concerns_of_person(user=user, person=person)
        notes = selectors.notes_of_person(user=user, person=person)
        record_access(user, concerns, AccessEvent.Action.VIEW_CONCERN, model=Concern)
        record_access(user, notes, AccessEvent.Action.VIEW_NOTE)
        reveal = person_selectors.active_reveal(user=user, person=person)
        managing = set(
            Membership.objects.current()
            .filter(user_id=user.pk or 0, role__in=Membership.MANAGING_ROLES)
            .values_list("forum_id", flat=True)
        )
        context = {
            "person": person,
            "case_files": case_files,
            "concerns": concerns,
            "notes": notes,
            "reveal": reveal,
            "identity": person.identity if reveal else None,
            "may_reveal": person_selectors.may_reveal(user=user, person=person),
            "managing_forum_ids": managing,
            "user_agency_id": getattr(user, "agency_id", None),
            "reveal_form": forms.get("reveal_form") or RevealForm(),
            "mode_form": forms.get("mode_form") or ModeForm(),
            "share_form": forms.get("share_form") or ShareForm(),
            "share_note_id": forms.get("share_note_id"),
            "open_form": forms.get("open_form")
            or CaseFileOpenForm(forums=forums_managed_by(user=user)),
        }
        return render(request, "coordination/person_detail.html", context, status=status)


class RevealView(ProtectedView):
    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        form = RevealForm(request.POST)
        if form.is_valid():
            try:
                person_services.identity_reveal(
                    actor=acting_user(request), person_id=pk, reason=form.cleaned_data["reason"]
                )
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(
                    request, _("Identiteten vises i en begrænset periode. Visningen er logget.")
                )
                return redirect("coordination:person-detail", pk=pk)
        return PersonDetailView().render(request, pk, status=400, reveal_form=form)


class CaseFileModeView(ProtectedView):
    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        case_file = selectors.casefile_get_for(user=request.user, pk=pk, action="change")
        form = ModeForm(request.POST)
        if form.is_valid():
            try:
                person_services.casefile_update(
                    actor=acting_user(request),
                    case_file=case_file,
                    mode=form.cleaned_data["mode"],
                    reason=form.cleaned_data["reason"],
                )
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, _("Drøftelsesformen er ændret."))
                return redirect("coordination:person-detail", pk=case_file.person_id)
        return PersonDetailView().render(request, case_file.person_id, status=400, mode_form=form)


class CaseFileOpenView(ProtectedView):
    """Put the person on another forum's list: the forum's chair or coordinator decides (a
    person turning 18 in SSP moves to SSP+ only this way)."""

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        person = person_selectors.person_get_for(user=request.user, pk=pk)
        form = CaseFileOpenForm(request.POST, forums=forums_managed_by(user=request.user))
        if form.is_valid():
            try:
                person_services.casefile_open(
                    actor=acting_user(request), person=person, **form.cleaned_data
                )
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, _("Personen er sat på forummets liste."))
                return redirect("coordination:person-detail", pk=person.pk)
        return PersonDetailView().render(request, pk, status=400, open_form=form)


class NoteCreateView(ProtectedView):
    template_name = "coordination/note_form.html"

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        case_file = selectors.casefile_get_for(user=request.user, pk=pk)
        return render(request, self.template_name, {"case_file": case_file, "form": NoteForm()})

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        case_file = selectors.casefile_get_for(user=request.user, pk=pk)
        form = NoteForm(request.POST)
        if form.is_valid():
            try:
                services.note_create(
                    actor=acting_user(request), case_file=case_file, **form.cleaned_data
                )
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, _("Notatet er gemt."))
                return redirect("coordination:person-detail", pk=case_file.person_id)
        return render(
            request, self.template_name, {"case_file": case_file, "form": form}, status=400
        )


class NoteShareView(ProtectedView):
    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        note = selectors.note_get_for(user=request.user, pk=pk, action="share")
        form = ShareForm(request.POST)
        if form.is_valid():
            try:
                services.note_share(
                    actor=acting_user(request), note=note, necessity=form.cleaned_data["necessity"]
                )
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(
                    request, _("Notatet er delt med forummet, og videregivelsen er registreret.")
                )
                return redirect("coordination:person-detail", pk=note.case_file.person_id)
        return PersonDetailView().render(
            request, note.case_file.person_id, status=400, share_form=form, share_note_id=note.pk
        )
