"""Pages of sessions, agendas, plans and the user's own tasks."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _

from accounts.models import Agency, User, acting_user
from audit.models import AccessEvent
from coordination import handover, meetings, plans, selectors
from coordination.forms import (
    ActionForm,
    ChairForm,
    HandoverForm,
    PlanForm,
    RecordForm,
    SessionForm,
)
from coordination.models import ForumSession
from core.exceptions import Conflict
from core.forms import add_service_errors
from core.params import bad_request, int_param
from core.permissions import ProtectedView, record_access
from forums import selectors as forum_selectors
from forums.models import Membership
from forums.selectors import forums_managed_by
from persons import selectors as person_selectors

STALE = _(
    "En anden har ændret dette imens. Dine ændringer er ikke gemt; siden viser nu den nyeste version."
)


def _members(forum_id: int) -> Any:
    return (
        User.objects.filter(memberships__in=Membership.objects.current().filter(forum_id=forum_id))
        .select_related("agency")
        .distinct()
        .order_by("full_name")
    )


def _attendee_choices(item: Any, forum_id: int) -> Any:
    """Who may be recorded as attending an item: the forum's members and the item's guests."""
    return (
        User.objects.filter(
            Q(memberships__in=Membership.objects.current().filter(forum_id=forum_id))
            | Q(guest_invitations__item=item)
        )
        .select_related("agency")
        .distinct()
        .order_by("full_name")
    )


class SessionListView(ProtectedView):
    def get(self, request: HttpRequest) -> HttpResponse:
        return self.render(request, SessionForm(forums=forums_managed_by(user=request.user)))

    def post(self, request: HttpRequest) -> HttpResponse:
        form = SessionForm(request.POST, forums=forums_managed_by(user=request.user))
        if form.is_valid():
            try:
                session = meetings.session_create(
                    actor=acting_user(request),
                    forum=form.cleaned_data["forum"],
                    starts_at=form.cleaned_data["starts_at"],
                    location=form.cleaned_data["location"],
                )
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, _("Mødet er planlagt, og dagsordenen er foreslået."))
                return redirect("coordination:session-detail", pk=session.pk)
        return self.render(request, form, status=400)

    def render(self, request: HttpRequest, form: SessionForm, status: int = 200) -> HttpResponse:
        sessions = selectors.upcoming_sessions(user=request.user, limit=50)
        return render(
            request,
            "coordination/session_list.html",
            {"sessions": sessions, "form": form},
            status=status,
        )


def is_htmx(request: HttpRequest) -> bool:
    """An htmx request asks for the changed fragment only; without JavaScript the same POST
    answers with a redirect to the full page."""
    return request.headers.get("HX-Request") == "true"


def _fragment(request: HttpRequest, template: str, context: dict[str, Any]) -> HttpResponse:
    response = render(request, template, context)
    # The same URL answers a fragment or a page depending on the header: keep caches apart.
    patch_vary_headers(response, ["HX-Request"])
    return response


def session_context(
    request: HttpRequest,
    session: ForumSession,
    forms: dict[int, RecordForm] | None = None,
    chair_form: ChairForm | None = None,
) -> dict[str, Any]:
    """What the session page and its agenda fragment show (a constant number of queries)."""
    items = selectors.agenda_of(user=request.user, session=session)
    record_access(request.user, items, AccessEvent.Action.VIEW_MINUTES)
    managing = forums_managed_by(user=request.user).filter(pk=session.forum_id).exists()
    agencies = Agency.objects.filter(forums=session.forum_id)
    record_forms: dict[int, RecordForm] = {}
    # Fetched once for every item's form (no query per item).
    agency_list = list(agencies) if managing else []
    members = list(_members(session.forum_id)) if managing else []
    member_ids = {user.pk for user in members}
    for item in items if managing else []:
        form = (forms or {}).get(item.pk) or RecordForm(
            agencies=agencies,
            members=_attendee_choices(item, session.forum_id),
            initial={
                "mode": item.discussion_mode or item.case_file.discussion_mode,
                "version": item.version,
                "presenting_agency": item.presenting_agency_id,
                "necessity": item.necessity,
                "minutes": item.minutes or "",
                "attendees": [u.pk for u in item.attendees.all()],
            },
            prefix=f"item{item.pk}",
        )
        guests = [g.user for g in item.guests.all() if g.user_id not in member_ids]
        form.show_choices(
            agencies=agency_list,
            attendees=sorted(members + guests, key=lambda user: user.full_name),
        )
        record_forms[item.pk] = form
    rows = [(item, record_forms.get(item.pk)) for item in items]
    is_chair = (
        Membership.objects.current()
        .filter(user_id=request.user.pk or 0, forum_id=session.forum_id, role=Membership.Role.CHAIR)
        .exists()
    )
    on_agenda = {item.case_file_id for item in items}
    candidates = (
        [
            case_file
            for case_file in person_selectors.casefile_list_for_forum(
                user=request.user, forum=session.forum
            )
            if case_file.pk not in on_agenda
        ]
        if managing and not session.is_locked
        else []
    )
    # A locked session shows no chair form, except a refused one (to say why).
    shows_chair_form = managing and (not session.is_locked or chair_form is not None)
    if chair_form is None and shows_chair_form:
        chair_form = ChairForm(
            members=_members(session.forum_id),
            initial={"chair": session.chair_id},
            auto_id="chair-%s",
        )
    return {
        "session": session,
        # One query for the chair's name and agency, whatever the agenda's size.
        "session_chair": (
            User.objects.select_related("agency").filter(pk=session.chair_id).first()
            if session.chair_id
            else None
        ),
        "rows": rows,
        "managing": managing,
        "is_chair": is_chair,
        "may_approve": meetings.may_approve(request.user, session),
        "chair_form": chair_form if shows_chair_form else None,
        "candidates": candidates,
    }


class SessionDetailView(ProtectedView):
    """The agenda; chairs and coordinators record items here and the session's chair approves.
    A POST changes the session's chair (mødeleder)."""

    def get(
        self,
        request: HttpRequest,
        pk: int,
        forms: dict[int, RecordForm] | None = None,
        status: int = 200,
        chair_form: ChairForm | None = None,
    ) -> HttpResponse:
        session = selectors.session_get_for(user=request.user, pk=pk)
        context = session_context(request, session, forms=forms, chair_form=chair_form)
        return render(request, "coordination/session_detail.html", context, status=status)

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        session = selectors.session_get_for(user=request.user, pk=pk, action="change")
        form = ChairForm(request.POST, members=_members(session.forum_id), auto_id="chair-%s")
        if form.is_valid():
            try:
                meetings.session_set_chair(
                    actor=acting_user(request), session=session, chair=form.cleaned_data["chair"]
                )
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, _("Mødelederen er skiftet."))
                return redirect("coordination:session-detail", pk=session.pk)
        return self.get(request, pk, status=400, chair_form=form)


class RecordItemView(ProtectedView):
    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        item = selectors.item_get_for(user=request.user, pk=pk, action="change")
        form = RecordForm(
            request.POST,
            agencies=Agency.objects.filter(forums=item.session.forum_id),
            members=_attendee_choices(item, item.session.forum_id),
            prefix=f"item{item.pk}",
        )
        if form.is_valid():
            try:
                meetings.item_record(actor=acting_user(request), item=item, **form.cleaned_data)
            except Conflict:
                messages.error(request, STALE)
                return redirect("coordination:session-detail", pk=item.session_id)
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, _("Punktet er registreret, og videregivelsen er logget."))
                return redirect("coordination:session-detail", pk=item.session_id)
        return SessionDetailView().get(request, item.session_id, forms={item.pk: form}, status=400)


class ApproveSessionView(ProtectedView):
    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        session = selectors.session_get_for(user=request.user, pk=pk)
        try:
            meetings.session_approve(actor=acting_user(request), session=session)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("Referatet er godkendt, og mødet er låst."))
        return redirect("coordination:session-detail", pk=pk)


class PresenterView(ProtectedView):
    """For the shared screen: one agenda item, pseudonym only, nothing of the other items."""

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        item = selectors.item_get_for(user=request.user, pk=pk)
        record_access(request.user, [item], AccessEvent.Action.VIEW_MINUTES)
        return render(request, "coordination/presenter.html", {"item": item})


class PlanView(ProtectedView):
    """A case file's helhedsplan and its actions."""

    def get(
        self,
        request: HttpRequest,
        pk: int,
        plan_form: PlanForm | None = None,
        action_form: ActionForm | None = None,
        status: int = 200,
    ) -> HttpResponse:
        case_file = selectors.casefile_get_for(user=request.user, pk=pk)
        plan = selectors.plan_for(user=request.user, case_file=case_file)
        actions = list(selectors.actions_of(user=request.user, plan=plan)) if plan else []
        if plan:
            record_access(request.user, [plan], AccessEvent.Action.VIEW_MINUTES)
        managing = forums_managed_by(user=request.user).filter(pk=case_file.forum_id).exists()
        context = {
            "case_file": case_file,
            "plan": plan,
            "actions": actions,
            "managing": managing,
            "plan_form": plan_form
            or PlanForm(
                initial={
                    "goals": plan.goals if plan else "",
                    "review_date": plan.review_date if plan else None,
                    "version": plan.version if plan else None,
                }
            ),
            "action_form": action_form or ActionForm(members=_members(case_file.forum_id)),
        }
        return render(request, "coordination/plan.html", context, status=status)

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        case_file = selectors.casefile_get_for(user=request.user, pk=pk, action="change")
        if "description" in request.POST:
            action_form = ActionForm(request.POST, members=_members(case_file.forum_id))
            plan = selectors.plan_for(user=request.user, case_file=case_file)
            if plan is None:
                messages.error(request, _("Opret planens mål, før der tilføjes handlinger."))
                return redirect("coordination:plan", pk=pk)
            if action_form.is_valid():
                owner = action_form.cleaned_data["owner"]
                try:
                    plans.action_create(
                        actor=acting_user(request),
                        plan=plan,
                        responsible_agency=owner.agency,
                        **action_form.cleaned_data,
                    )
                except ValidationError as error:
                    add_service_errors(action_form, error)
                else:
                    messages.success(request, _("Handlingen er tilføjet."))
                    return redirect("coordination:plan", pk=pk)
            return self.get(request, pk, action_form=action_form, status=400)
        plan_form = PlanForm(request.POST)
        if plan_form.is_valid():
            try:
                plans.plan_save(
                    actor=acting_user(request), case_file=case_file, **plan_form.cleaned_data
                )
            except Conflict:
                messages.error(request, STALE)
                return redirect("coordination:plan", pk=pk)
            except ValidationError as error:
                add_service_errors(plan_form, error)
            else:
                messages.success(request, _("Helhedsplanen er gemt."))
                return redirect("coordination:plan", pk=pk)
        return self.get(request, pk, plan_form=plan_form, status=400)


class ActionStatusView(ProtectedView):
    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        found = selectors.action_get_for(user=request.user, pk=pk, action="change")
        try:
            version = int_param(request.POST.get("version"), "version")
        except ValidationError as bad:
            return bad_request(bad)
        problem = ""
        try:
            plans.action_update(
                actor=acting_user(request),
                action=found,
                version=-1 if version is None else version,  # missing: stale, says so
                status=request.POST.get("status") or None,
            )
        except Conflict:
            problem = STALE
        except ValidationError as validation:
            problem = " ".join(validation.messages)
        on_tasks = request.POST.get("back") == "tasks"
        if is_htmx(request):
            return self.row_fragment(request, found.pk, on_tasks=on_tasks, error=problem)
        if problem:
            messages.error(request, problem)
        else:
            messages.success(request, _("Handlingen er opdateret."))
        if on_tasks:
            return redirect("coordination:my-tasks")
        return redirect("coordination:plan", pk=found.plan.case_file_id)

    def row_fragment(
        self, request: HttpRequest, pk: int, *, on_tasks: bool, error: str
    ) -> HttpResponse:
        """The action's table row as it is now, for htmx to swap in place of the old one."""
        action = selectors.action_get_for(user=request.user, pk=pk)
        record_access(request.user, [action], AccessEvent.Action.VIEW_MINUTES)
        context = {
            "a": action,
            "row_error": error,
            "row_status": "" if error else _("Handlingen er opdateret."),
            "today": timezone.localdate().isoformat(),  # compared as text, as my_tasks.html does
        }
        template = "my_tasks_row" if on_tasks else "plan_action_row"
        return _fragment(request, f"coordination/{template}.html", context)


class MyTasksView(ProtectedView):
    """Mine opgaver: own open actions soonest first (overdue marked) and upcoming sessions."""

    def get(self, request: HttpRequest) -> HttpResponse:
        actions = list(selectors.my_open_actions(user=request.user))
        record_access(request.user, actions, AccessEvent.Action.VIEW_MINUTES)
        context = {"actions": actions, "sessions": selectors.upcoming_sessions(user=request.user)}
        return render(request, "coordination/my_tasks.html", context)


class HandoverView(ProtectedView):
    """The police member's upload of a handover list for an SSP forum."""

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        forum = forum_selectors.forum_get_for(user=request.user, pk=pk)
        return render(
            request,
            "coordination/handover.html",
            {"forum": forum, "form": HandoverForm(), "line_errors": []},
        )

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        forum = forum_selectors.forum_get_for(user=request.user, pk=pk)
        form = HandoverForm(request.POST, request.FILES)
        line_errors: list[Any] = []
        if form.is_valid():
            try:
                results = handover.handover_upload(
                    actor=acting_user(request),
                    forum=forum,
                    content=form.cleaned_data["file"].read(),
                    necessity=form.cleaned_data["necessity"],
                )
            except handover.HandoverRejected as rejected:
                line_errors = rejected.line_errors
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                # No count of "new persons": how many were already known is itself sensitive.
                messages.success(
                    request,
                    _("%(n)s bekymringer registreret. Videregivelsen er logget.")
                    % {"n": len(results)},
                )
                return redirect("persons:forum-detail", pk=forum.pk)
        context = {"forum": forum, "form": form, "line_errors": line_errors}
        return render(request, "coordination/handover.html", context, status=400)


class ItemDetailView(ProtectedView):
    """One agenda item with its person's plan: what an invited guest sees (members too)."""

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        item = selectors.item_get_for(user=request.user, pk=pk)
        plan = selectors.plan_for(user=request.user, case_file=item.case_file)
        actions = list(selectors.actions_of(user=request.user, plan=plan)) if plan else []
        record_access(request.user, [item], AccessEvent.Action.VIEW_MINUTES)
        if plan:
            record_access(request.user, [plan], AccessEvent.Action.VIEW_MINUTES)
        return render(
            request,
            "coordination/item_detail.html",
            {"item": item, "plan": plan, "actions": actions},
        )


class GuestInviteView(ProtectedView):
    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        item = selectors.item_get_for(user=request.user, pk=pk)
        try:
            meetings.guest_invite(
                actor=acting_user(request),
                item=item,
                email=request.POST.get("email", ""),
                necessity=request.POST.get("necessity", ""),
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("Gæsten er inviteret og har fået besked."))
        return redirect("coordination:session-detail", pk=item.session_id)


class AgendaEditView(ProtectedView):
    """Chair/coordinator: add a case file to the agenda, remove an item, move one up or down."""

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        session = selectors.session_get_for(user=request.user, pk=pk, action="change")
        actor = acting_user(request)
        try:
            case_file_id = int_param(request.POST.get("case_file"), "case_file")
            item_id = int_param(request.POST.get("item"), "item")
        except ValidationError as error:
            return bad_request(error)
        try:
            operation = request.POST.get("operation", "")
            if operation == "add":
                case_file = selectors.casefile_get_for(user=request.user, pk=case_file_id)
                meetings.agenda_add(actor=actor, session=session, case_file=case_file)
            elif operation in {"remove", "up", "down"}:
                item = selectors.item_get_for(user=request.user, pk=item_id, action="change")
                if item.session_id != session.pk:
                    raise ValidationError(_("Punktet hører til et andet møde."))
                if operation == "remove":
                    meetings.agenda_remove(actor=actor, item=item)
                else:
                    order = [i.pk for i in session.items.order_by("order", "pk")]
                    at = order.index(item.pk)
                    to = at - 1 if operation == "up" else at + 1
                    if 0 <= to < len(order):
                        order[at], order[to] = order[to], order[at]
                        meetings.agenda_reorder(actor=actor, session=session, item_ids=order)
            else:
                raise ValidationError(_("Ukendt handling."))
        except ValidationError as error:
            if is_htmx(request):
                return self.agenda_fragment(request, session, error=" ".join(error.messages))
            messages.error(request, " ".join(error.messages))
        if is_htmx(request):
            return self.agenda_fragment(request, session, moved=operation in {"up", "down"})
        return redirect("coordination:session-detail", pk=session.pk)

    def agenda_fragment(
        self, request: HttpRequest, session: ForumSession, *, error: str = "", moved: bool = False
    ) -> HttpResponse:
        """The agenda list alone, swapped in place on the session page; the message is read out
        by the fragment's live region (the flash messages would wait for the next page)."""
        context = session_context(request, session)
        context["agenda_error"] = error
        context["agenda_status"] = _("Dagsordenen er opdateret.") if moved and not error else ""
        return _fragment(request, "coordination/session_agenda.html", context)
