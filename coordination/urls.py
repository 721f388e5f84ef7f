from django.urls import path

from coordination import views

app_name = "coordination"

urlpatterns = [
    path("personer/", views.PersonListView.as_view(), name="person-list"),
    path("personer/<int:pk>/", views.PersonDetailView.as_view(), name="person-detail"),
    path("personer/<int:pk>/vis-identitet/", views.RevealView.as_view(), name="person-reveal"),
    path("personer/<int:pk>/sager/ny/", views.CaseFileOpenView.as_view(), name="casefile-open"),
    path("sager/<int:pk>/droeftelse/", views.CaseFileModeView.as_view(), name="casefile-mode"),
    path("sager/<int:pk>/notater/ny/", views.NoteCreateView.as_view(), name="note-create"),
    path("notater/<int:pk>/del/", views.NoteShareView.as_view(), name="note-share"),
]
