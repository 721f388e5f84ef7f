from django.urls import path

from persons import views

app_name = "persons"

urlpatterns = [
    # The forum page lists persons, so it lives in the app of persons (imports point one way).
    path("fora/<int:pk>/", views.ForumDetailView.as_view(), name="forum-detail"),
    path("bekymringer/ny/", views.ConcernCreateView.as_view(), name="concern-create"),
    path("bekymringer/<int:pk>/beslut/", views.ConcernDecideView.as_view(), name="concern-decide"),
    path("sager/<int:pk>/samtykke/", views.CaseFileConsentView.as_view(), name="casefile-consent"),
    path(
        "sager/<int:pk>/overgang/", views.CaseFileTransferView.as_view(), name="casefile-transfer"
    ),
    path("sletning/", views.RetentionListView.as_view(), name="retention"),
    path(
        "sletning/<int:pk>/forlaeng/", views.RetentionExtendView.as_view(), name="retention-extend"
    ),
    path("sletning/<int:pk>/slet/", views.RetentionDeleteView.as_view(), name="retention-delete"),
]
