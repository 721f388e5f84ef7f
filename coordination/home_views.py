"""The start page: each role's work list (issue 11). It lives in coordination, the last app in
the import order, because it gathers from persons, forums and coordination alike."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.mixins import LoginRequiredMixin
from django.views.generic import TemplateView

from audit.models import AccessEvent
from coordination.worklist import WorkList, work_list_for
from core.permissions import ROLE_COUNCIL, AnyUser, has_role, record_access
from persons.models import FocusPerson


class HomeView(LoginRequiredMixin, TemplateView):
    """Not a ProtectedView: the DPO and the administrator have a start page too. What it shows
    comes from restricted selectors, so for them the content sections are simply empty."""

    template_name = "coordination/home.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        work = work_list_for(user=self.request.user)
        _record_shown(self.request.user, work)
        return {
            **super().get_context_data(**kwargs),
            "work": work,
            "is_council": has_role(self.request.user, ROLE_COUNCIL),
        }


def _record_shown(user: AnyUser, work: WorkList) -> None:
    if work.manager is not None:
        # Pseudonyms listed, as on the person list: one event for the persons shown.
        record_access(
            user, work.manager.persons(), AccessEvent.Action.LIST_PERSONS, model=FocusPerson
        )
    if work.member is not None:
        # The user's own actions with their text, as on Mine opgaver.
        record_access(user, work.member.actions.rows, AccessEvent.Action.VIEW_MINUTES)
