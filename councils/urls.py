from django.urls import path

from councils import views

app_name = "councils"

urlpatterns = [
    path("", views.CouncilListView.as_view(), name="list"),
    path("<int:pk>/", views.CouncilDetailView.as_view(), name="detail"),
    path("<int:pk>/statistik/", views.StatisticsView.as_view(), name="statistics"),
    path("<int:pk>/statistik.csv", views.StatisticsCsvView.as_view(), name="statistics-csv"),
    path("<int:pk>/statistik.pdf", views.StatisticsPdfView.as_view(), name="statistics-pdf"),
    path("<int:pk>/plan/ny/", views.PlanEditView.as_view(), name="plan-create"),
    path("<int:pk>/plan/<int:plan_pk>/rediger/", views.PlanEditView.as_view(), name="plan-edit"),
    path(
        "<int:pk>/plan/<int:plan_pk>/indsatsomraader/nyt/",
        views.AreaEditView.as_view(),
        name="area-create",
    ),
    path(
        "<int:pk>/plan/<int:plan_pk>/indsatsomraader/<int:area_pk>/rediger/",
        views.AreaEditView.as_view(),
        name="area-edit",
    ),
    path(
        "<int:pk>/indsatsomraader/<int:area_pk>/status/",
        views.StatusCreateView.as_view(),
        name="status-create",
    ),
    path("<int:pk>/moeder/nyt/", views.MeetingEditView.as_view(), name="meeting-create"),
    path("<int:pk>/moeder/<int:meeting_pk>/", views.MeetingView.as_view(), name="meeting"),
    path(
        "<int:pk>/moeder/<int:meeting_pk>/rediger/",
        views.MeetingEditView.as_view(),
        name="meeting-edit",
    ),
]
