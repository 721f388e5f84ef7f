"""Pages that gather from several apps: the person page, notes, reveal and discussion mode."""

from __future__ import annotations

import datetime
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _

from accounts.models import User, acting_user
from audit.models import AccessEvent
from coordination import access_report, selectors, services
from coordination.forms import (
    CaseFileOpenForm,
    IdentityCorrectForm,
    ModeForm,
    NoteCorrectForm,
    NoteForm,
    PersonGrantForm,
    RestrictionForm,
    RevealForm,
    ShareForm,
)
from coordination.models import Plan
from core.api import renamed_errors
from core.forms import add_service_errors, offer
from core.params import int_param
from core.pdf import render_pdf
from core.permissions import (
    AnyUser,
    ProtectedView,
    get_object_for,
    may_search_across_forums,
    record_access,
    visible_to,
)
from forums.models import ForumKind
from forums.selectors import forum_choices_for, forums_managed_by
from persons import selectors as person_selectors
from persons import services as person_services
from persons.corrections import IdentityChange, identity_correct
from persons.forms import age_override_field
from persons.models import Concern, FocusPerson, PersonGrant, member_forum_ids
from persons.workflow import turns_18_soon


class CaseFileOpenWithOverrideForm(CaseFileOpenForm):
    """Putting a person on a forum's list, with the chair's exception from the age band."""

    age_override_reason = age_override_field()


# Rows per page of the person list (keyset-paged by pseudonym). 50, not more: the page's cost
# is mostly rendering its rows, and a forum's list is found by its filter and search.
PERSON_PAGE = 50


class PersonListView(ProtectedView):
    def get(self, request: HttpRequest) -> HttpResponse:
        context: dict[str, Any] = {
            "forums": forum_choices_for(user=request.user),
            "forum_id": None,
            "query": "",
            "may_search": may_search_across_forums(request.user),
        }
        try:
            forum_id = context["forum_id"] = int_param(request.GET.get("forum"), "forum")
            query = person_selectors.clean_pseudonym_query(request.GET.get("q", ""))
            after = person_selectors.clean_after(request.GET.get("efter"))
            context["query"] = query
            listed = person_selectors.person_list_for(
                user=request.user, forum_id=forum_id, query=query
            )
            if after:
                listed = listed.filter(pseudonym__gt=after)
            # One row more than shown tells whether there is a next page, without a count.
            persons = list(listed[: PERSON_PAGE + 1])
        except ValidationError as invalid:
            context["refusal"] = " ".join(invalid.messages)
            return render(request, "coordination/person_list.html", context, status=400)
        except PermissionDenied as refusal:
            context["refusal"] = str(refusal)
            return render(request, "coordination/person_list.html", context)
        details = {"search_criterion": f"q={query}"} if query else {}
        action = AccessEvent.Action.SEARCH if query else AccessEvent.Action.LIST_PERSONS
        # The model is named so that a search with no result is logged with its criterion too.
        if len(persons) > PERSON_PAGE:
            persons = persons[:PERSON_PAGE]
            context["next_query"] = urlencode(
                {
                    **({"forum": forum_id} if forum_id else {}),
                    **({"q": query} if query else {}),
                    "efter": persons[-1].pseudonym,
                }
            )
        record_access(request.user, persons, action, model=FocusPerson, **details)
        context["persons"] = persons
        context["after"] = after
        return render(request, "coordination/person_list.html", context)


def _forum_param(request: HttpRequest) -> int | None:
    try:
        return int_param(request.GET.get("forum"), "forum")
    except ValidationError:
        return None  # an unknown forum shows the first one, as no forum does


class PersonDetailView(ProtectedView):
    """Pseudonym, case files, concerns and notes the user may see; identity only after reveal."""

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        return self.render(request, pk)

    def render(
        self, request: HttpRequest, pk: int, *, status: int = 200, **forms: Any
    ) -> HttpResponse:
        # A fixed number of queries however much the person has (issue 12: at most 12 with
        # the session, the user and the audit write): the case files come with the person,
        # and what follows from them (scope, reveal, workflow flags, form choices) is derived.
        user = request.user
        person = person_selectors.person_page_get_for(user=user, pk=pk)
        visible: list[Any] = person.visible_case_files  # type: ignore[attr-defined]
        # A police account sees the person's part in one forum at a time (§ 115, stk. 2).
        forum = person_selectors.person_forum_scope(
            user=user, person=person, requested=_forum_param(request)
        )
        scope_forums = sorted({(cf.forum_id, cf.forum.name) for cf in visible})
        case_files = [cf for cf in visible if forum is None or cf.forum_id == forum]
        managing = set(member_forum_ids(user, managing=True))
        _with_workflow(managing, case_files)
        concerns = person_selectors.concerns_on_case_files(user=user, case_files=case_files)
        notes = selectors.notes_on_case_files(user=user, case_files=case_files)
        record_access(user, concerns, AccessEvent.Action.VIEW_CONCERN, model=Concern)
        record_access(user, notes, AccessEvent.Action.VIEW_NOTE)
        # Within the police account's one forum too: a name revealed through another forum
        # is not shown on this forum's page.
        reveal = person_selectors.reveal_on_page(case_files)
        context = {
            "person": person,
            "scope_forum": forum,
            "scope_forums": scope_forums if forum is not None else [],
            "case_files": case_files,
            "concerns": concerns,
            "notes": notes,
            "reveal": reveal,
            # As this forum knows the person, never what other forums registered.
            "identity": reveal.case_file.known_identity() if reveal else None,
            "may_reveal": person_selectors.may_reveal_on_page(case_files),
            "managing_forum_ids": managing,
            "user_agency_id": getattr(user, "agency_id", None),
            "reveal_form": forms.get("reveal_form") or RevealForm(),
            "mode_form": forms.get("mode_form") or ModeForm(),
            "share_form": forms.get("share_form") or ShareForm(),
            "share_note_id": forms.get("share_note_id"),
            "may_open": bool(managing),
            "open_form": forms.get("open_form") or _open_form(user, managing),
            **_grant_context(user, person, visible, managing, forms.get("grant_form")),
        }
        return render(request, "coordination/person_detail.html", context, status=status)


def _open_form(user: AnyUser, managing: set[int]) -> CaseFileOpenWithOverrideForm:
    """The form putting the person on another of the user's managed forums; its choices are
    read once here (none for a user who manages no forum)."""
    form = CaseFileOpenWithOverrideForm(forums=forums_managed_by(user=user))
    if managing:
        offer(form.fields["forum"], list(forums_managed_by(user=user).order_by("name")))
    return form


def _with_workflow(managing: set[int], case_files: list[Any]) -> None:
    """Each case file's consent history, and whether it is an SSP case file of a forum the
    user manages whose person turns 18 soon (issue 11; the rule of
    persons.selectors.turning_18_soon, applied to case files already read)."""
    history = person_selectors.consent_history(case_files=case_files)
    for cf in case_files:
        cf.consent_history = history[cf.pk]
        cf.turns_18 = (
            cf.forum_id in managing and cf.forum.kind == ForumKind.SSP and turns_18_soon(cf)
        )


def _grant_context(
    user: AnyUser,
    person: FocusPerson,
    visible: list[Any],
    managing: set[int],
    grant_form: PersonGrantForm | None,
) -> dict[str, Any]:
    """Per-person grants on the page: the managers' list and form, and for a grantee their
    own grant with the granting case file's plan (read-only). Every grant and plan shown is
    recorded."""
    grants = list(
        visible_to(user, PersonGrant.objects.filter(person=person))
        .select_related("case_file__forum", "grantee__agency")
        .order_by("expires_at", "pk")
    )
    for grant in grants:
        grant.person = person  # the page's person, not read a second time
    record_access(user, grants, AccessEvent.Action.VIEW_CASE_FILE, model=PersonGrant)
    own = [grant for grant in grants if grant.grantee_id == user.pk]
    plans = (
        list(
            visible_to(user, Plan.objects.filter(case_file_id__in=[g.case_file_id for g in own]))
            .select_related("case_file__data_key", "case_file__person", "case_file__forum")
            .order_by("pk")
        )
        if own  # most users hold no grant: the plan filter is not even built for them
        else []
    )
    record_access(user, plans, AccessEvent.Action.VIEW_MINUTES)
    # The person's open case files on forums the user manages: those a grant may come from
    # (casefiles_managed_of_person, here from the case files already read).
    grantable = [cf for cf in visible if cf.forum_id in managing]
    if grant_form is None:
        grant_form = PersonGrantForm(
            case_files=person_selectors.casefiles_managed_of_person(user=user, person=person)
        )
        offer(grant_form.fields["case_file"], grantable)
    return {
        "own_grants": own,
        "granted_plans": [
            (plan, list(selectors.actions_of(user=user, plan=plan))) for plan in plans
        ],
        "managed_grants": [g for g in grants if g.case_file.forum_id in managing],
        "may_grant": bool(grantable),
        "grant_form": grant_form,
    }


class RevealView(ProtectedView):
    """Reveal the identity for a reason. Through htmx the identity block alone answers and is
    swapped in place; without JavaScript the same POST redirects to the person page."""

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        form = RevealForm(request.POST)
        htmx = request.headers.get("HX-Request") == "true"
        if form.is_valid():
            try:
                reveal, identity = person_services.identity_reveal(
                    actor=acting_user(request), person_id=pk, reason=form.cleaned_data["reason"]
                )
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                if htmx:
                    return self.fragment(
                        request, reveal.person, reveal=reveal, identity=identity, form=RevealForm()
                    )
                messages.success(
                    request, _("Identiteten vises i en begrænset periode. Visningen er logget.")
                )
                return redirect("coordination:person-detail", pk=pk)
        if htmx:
            person = person_selectors.person_get_for(user=request.user, pk=pk, action="reveal")
            # 200, not 400: htmx swaps no error answer, and the form must show its errors.
            return self.fragment(request, person, reveal=None, identity=None, form=form)
        return PersonDetailView().render(request, pk, status=400, reveal_form=form)

    def fragment(
        self,
        request: HttpRequest,
        person: FocusPerson,
        *,
        reveal: Any,
        identity: Any,
        form: RevealForm,
    ) -> HttpResponse:
        context = {
            "person": person,
            "reveal": reveal,
            "identity": identity,
            "may_reveal": True,
            "reveal_form": form,
        }
        response = render(request, "coordination/_identity.html", context)
        patch_vary_headers(response, ["HX-Request"])
        return response


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
        person = person_selectors.person_get_for(user=request.user, pk=pk, action="open")
        form = CaseFileOpenWithOverrideForm(
            request.POST, forums=forums_managed_by(user=request.user)
        )
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


def _end_of_day(day: datetime.date) -> datetime.datetime:
    """Access "til og med" a day lasts to that day's end, local time."""
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.max))


class PersonGrantCreateView(ProtectedView):
    """Give one named user outside the forum read access to the person for a limited time
    (the chair or coordinator of a forum where the person has an open case file)."""

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        person = person_selectors.person_get_for(user=request.user, pk=pk)
        case_files = person_selectors.casefiles_managed_of_person(user=request.user, person=person)
        if not case_files.exists():
            raise PermissionDenied(_("Kun formand og koordinator kan give adgang."))
        form = PersonGrantForm(request.POST, case_files=case_files)
        if form.is_valid():
            data = form.cleaned_data
            grantee = (
                User.objects.select_related("agency").filter(email__iexact=data["email"]).first()
            )
            try:
                if grantee is None:
                    raise ValidationError(
                        {
                            "email": [
                                _("Adgang kan kun gives til en aktiv medarbejder i en myndighed.")
                            ]
                        }
                    )
                with renamed_errors({"user": "email"}):
                    person_services.person_grant_create(
                        actor=acting_user(request),
                        case_file=data["case_file"],
                        grantee=grantee,
                        expires_at=_end_of_day(data["expires_at"]),
                        reason=data["reason"],
                    )
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, _("Adgangen er givet, og videregivelsen er registreret."))
                return redirect("coordination:person-detail", pk=person.pk)
        return PersonDetailView().render(request, pk, status=400, grant_form=form)


class PersonGrantRevokeView(ProtectedView):
    """End a per-person grant at once (the chair or coordinator of the granting forum)."""

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        grant = get_object_for(
            request.user, PersonGrant.objects.select_related("case_file__forum"), pk, "change"
        )
        person_services.person_grant_revoke(actor=acting_user(request), grant=grant)
        messages.success(request, _("Adgangen er trukket tilbage."))
        return redirect("coordination:person-detail", pk=grant.person_id)


class AccessReportView(ProtectedView):
    """Indsigt: the person's access report for the forums the user chairs or coordinates,
    with a form per record to withhold it (§ 22); printable, and as a PDF."""

    template_name = "coordination/access_report.html"

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        return self.page(request, pk)

    def page(
        self, request: HttpRequest, pk: int, form: RestrictionForm | None = None, status: int = 200
    ) -> HttpResponse:
        report = access_report.access_report(actor=acting_user(request), person_id=pk)
        context = {"report": report, "form": form or RestrictionForm(), "pdf": False}
        return render(request, self.template_name, context, status=status)


class AccessReportPdfView(ProtectedView):
    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        report = access_report.access_report(actor=acting_user(request), person_id=pk)
        pdf = render_pdf(
            "coordination/access_report_pdf.html", {"report": report, "pdf": True}, request
        )
        response = HttpResponse(pdf, content_type="application/pdf")
        name = f"indsigt-{report.person.pseudonym}-{report.made_at:%Y-%m-%d}.pdf"
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        response["Cache-Control"] = "no-store"
        return response


class RestrictionCreateView(AccessReportView):
    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        form = RestrictionForm(request.POST)
        if form.is_valid():
            try:
                data = form.cleaned_data
                access_report.restriction_add(
                    actor=acting_user(request),
                    person_id=pk,
                    case_file_id=data["case_file"],
                    part=data["part"],
                    object_id=data["object_id"],
                    reason=data["reason"],
                )
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, _("Delen er tilbageholdt i indsigtsrapporten."))
                return redirect("coordination:access-report", pk=pk)
        return self.page(request, pk, form, status=400)


class NoteCorrectView(ProtectedView):
    """Berigtigelse of one's own note: the new text and a reason; the old text is kept."""

    template_name = "coordination/note_correct.html"

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        note = selectors.note_get_for(user=request.user, pk=pk, action="correct")
        form = NoteCorrectForm(initial={"body": note.body})
        return render(request, self.template_name, {"note": note, "form": form})

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        note = selectors.note_get_for(user=request.user, pk=pk, action="correct")
        form = NoteCorrectForm(request.POST)
        if form.is_valid():
            try:
                services.note_correct(actor=acting_user(request), note_id=pk, **form.cleaned_data)
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, _("Notatet er rettet; den hidtidige tekst er gemt."))
                return redirect("coordination:person-detail", pk=note.case_file.person_id)
        return render(request, self.template_name, {"note": note, "form": form}, status=400)


class IdentityCorrectView(ProtectedView):
    """Berigtigelse of the identity the forum holds, by its chair or coordinator. Write-only:
    the page never shows the identity (that is a reveal, with its own reason and record)."""

    template_name = "coordination/identity_correct.html"

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        case_file = selectors.casefile_get_for(user=request.user, pk=pk, action="change")
        context = {"case_file": case_file, "form": IdentityCorrectForm()}
        return render(request, self.template_name, context)

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        case_file = selectors.casefile_get_for(user=request.user, pk=pk, action="change")
        form = IdentityCorrectForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                identity_correct(
                    actor=acting_user(request),
                    case_file_id=pk,
                    change=IdentityChange(
                        name=data["name"], cpr=data["cpr"], address=data["address"]
                    ),
                    reason=data["reason"],
                )
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, _("Rettelsen er registreret."))
                return redirect("coordination:person-detail", pk=case_file.person_id)
        context = {"case_file": case_file, "form": form}
        return render(request, self.template_name, context, status=400)
