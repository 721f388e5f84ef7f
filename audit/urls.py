from django.urls import path

from audit import views

app_name = "audit"

urlpatterns = [
    path("", views.DashboardView.as_view(), name="dashboard"),
    path("adgang/", views.AccessListView.as_view(), name="access-list"),
    path("personer/<str:pseudonym>/", views.PersonHistoryView.as_view(), name="person-history"),
    path("brugere/<int:pk>/", views.UserHistoryView.as_view(), name="user-history"),
    path("usaedvanlig/", views.UnusualAccessView.as_view(), name="unusual"),
    path("verifikation/", views.VerifyView.as_view(), name="verify"),
    path("stikproever/", views.SpotCheckView.as_view(), name="spot-check"),
    path("stikproever/<int:pk>/", views.SpotCheckView.as_view(), name="spot-check-review"),
]
