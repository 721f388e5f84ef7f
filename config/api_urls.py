"""REST API v1 (api.md): paths here are a promise to users."""

from django.http import Http404, HttpRequest, HttpResponse
from django.urls import path, re_path
from django.views.decorators.csrf import csrf_exempt
from rest_framework.routers import SimpleRouter

from accounts.api import auth as auth_api
from accounts.api.views import AgencyListView
from audit.api import views as audit_api
from coordination.api import meetings as meetings_api
from coordination.api.views import CaseFileNotesViewSet, NoteViewSet
from core.api_views import NotificationListView
from core.views import page_not_found
from forums.api.views import ForumViewSet, MembershipViewSet, MeView
from persons.api.grants import PersonGrantsViewSet, PersonGrantViewSet
from persons.api.views import CaseFileViewSet, ConcernViewSet, PersonViewSet

router = SimpleRouter(use_regex_path=False)
router.register("forums", ForumViewSet, basename="forum")
router.register("memberships", MembershipViewSet, basename="membership")
router.register("concerns", ConcernViewSet, basename="concern")
router.register("persons", PersonViewSet, basename="person")
router.register("case-files", CaseFileViewSet, basename="case-file")
router.register("person-grants", PersonGrantViewSet, basename="person-grant")
router.register("notes", NoteViewSet, basename="note")
router.register("sessions", meetings_api.SessionViewSet, basename="session")
router.register("agenda-items", meetings_api.AgendaItemViewSet, basename="agenda-item")
router.register("actions", meetings_api.ActionViewSet, basename="action")

app_name = "api"


@csrf_exempt
def unknown_path(request: HttpRequest) -> HttpResponse:
    return page_not_found(request, Http404())


urlpatterns = [
    path("auth/token/", auth_api.TokenView.as_view(), name="auth-token"),
    path("auth/logout/", auth_api.LogoutView.as_view(), name="auth-logout"),
    path("me/", MeView.as_view(), name="me"),
    path(
        "audit/access-events/", audit_api.AccessEventListView.as_view(), name="audit-access-events"
    ),
    path("audit/disclosures/", audit_api.DisclosureListView.as_view(), name="audit-disclosures"),
    path("audit/searches/", audit_api.SearchListView.as_view(), name="audit-searches"),
    path("audit/verify/", audit_api.VerifyView.as_view(), name="audit-verify"),
    path("agencies/", AgencyListView.as_view(), name="agency-list"),
    path("notifications/", NotificationListView.as_view(), name="notification-list"),
    path(
        "case-files/<int:case_file_pk>/notes/",
        CaseFileNotesViewSet.as_view({"get": "list", "post": "create"}),
        name="case-file-notes",
    ),
    path(
        "forums/<int:forum_pk>/sessions/",
        meetings_api.ForumSessionsViewSet.as_view({"get": "list", "post": "create"}),
        name="forum-sessions",
    ),
    path(
        "case-files/<int:case_file_pk>/plan/",
        meetings_api.CaseFilePlanViewSet.as_view({"get": "retrieve", "post": "create"}),
        name="case-file-plan",
    ),
    path(
        "plans/<int:plan_pk>/actions/",
        meetings_api.PlanActionsViewSet.as_view({"get": "list", "post": "create"}),
        name="plan-actions",
    ),
    path(
        "persons/<int:person_pk>/grants/",
        PersonGrantsViewSet.as_view({"get": "list", "post": "create"}),
        name="person-grants",
    ),
    path("my/actions/", meetings_api.MyActionsViewSet.as_view({"get": "list"}), name="my-actions"),
    *router.urls,
    # Last: any other path below /api/v1/ ending in "/" is api.md's JSON 404 in every mode
    # (with DEBUG on, Django answers an unresolved path with its HTML page, not handler404).
    # A path without the slash still falls through to APPEND_SLASH.
    re_path(r"^[\s\S]*/$", unknown_path),  # any character, a newline too
]
