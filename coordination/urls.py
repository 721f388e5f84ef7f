from django.urls import path

from coordination import dpo_views, home_views, meeting_views, views

app_name = "coordination"

urlpatterns = [
    path("", home_views.HomeView.as_view(), name="home"),
    # The DPO's art. 30 record sits with the DPO's pages under /audit/ (see dpo_views).
    path("audit/fortegnelse/", dpo_views.Art30View.as_view(), name="art30"),
    path("audit/fortegnelse.pdf", dpo_views.Art30PdfView.as_view(), name="art30-pdf"),
    path(
        "audit/opbevaring/",
        dpo_views.RetentionDecisionsView.as_view(),
        name="retention-decisions",
    ),
    path("personer/", views.PersonListView.as_view(), name="person-list"),
    path("personer/<int:pk>/", views.PersonDetailView.as_view(), name="person-detail"),
    path("personer/<int:pk>/vis-identitet/", views.RevealView.as_view(), name="person-reveal"),
    path("personer/<int:pk>/indsigt/", views.AccessReportView.as_view(), name="access-report"),
    path(
        "personer/<int:pk>/indsigt.pdf",
        views.AccessReportPdfView.as_view(),
        name="access-report-pdf",
    ),
    path(
        "personer/<int:pk>/indsigt/tilbehold/",
        views.RestrictionCreateView.as_view(),
        name="access-report-restrict",
    ),
    path("personer/<int:pk>/sager/ny/", views.CaseFileOpenView.as_view(), name="casefile-open"),
    path(
        "personer/<int:pk>/adgange/ny/",
        views.PersonGrantCreateView.as_view(),
        name="person-grant-create",
    ),
    path(
        "adgange/<int:pk>/tilbagekald/",
        views.PersonGrantRevokeView.as_view(),
        name="person-grant-revoke",
    ),
    path("sager/<int:pk>/droeftelse/", views.CaseFileModeView.as_view(), name="casefile-mode"),
    path("sager/<int:pk>/notater/ny/", views.NoteCreateView.as_view(), name="note-create"),
    path("notater/<int:pk>/ret/", views.NoteCorrectView.as_view(), name="note-correct"),
    path(
        "sager/<int:pk>/ret-identitet/",
        views.IdentityCorrectView.as_view(),
        name="identity-correct",
    ),
    path("notater/<int:pk>/del/", views.NoteShareView.as_view(), name="note-share"),
    path("moeder/", meeting_views.SessionListView.as_view(), name="sessions"),
    path("moeder/<int:pk>/", meeting_views.SessionDetailView.as_view(), name="session-detail"),
    path(
        "moeder/<int:pk>/dagsorden/", meeting_views.AgendaEditView.as_view(), name="session-agenda"
    ),
    path(
        "moeder/<int:pk>/godkend/",
        meeting_views.ApproveSessionView.as_view(),
        name="session-approve",
    ),
    path("punkter/<int:pk>/registrer/", meeting_views.RecordItemView.as_view(), name="item-record"),
    path("punkter/<int:pk>/", meeting_views.ItemDetailView.as_view(), name="item-detail"),
    path(
        "punkter/<int:pk>/gaester/",
        meeting_views.GuestInviteView.as_view(),
        name="item-guest-invite",
    ),
    path("punkter/<int:pk>/skaerm/", meeting_views.PresenterView.as_view(), name="item-presenter"),
    path("sager/<int:pk>/plan/", meeting_views.PlanView.as_view(), name="plan"),
    path(
        "handlinger/<int:pk>/status/",
        meeting_views.ActionStatusView.as_view(),
        name="action-status",
    ),
    path("mine-opgaver/", meeting_views.MyTasksView.as_view(), name="my-tasks"),
    path("fora/<int:pk>/overlevering/", meeting_views.HandoverView.as_view(), name="handover"),
]
