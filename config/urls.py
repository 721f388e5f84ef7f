from django.contrib import admin
from django.urls import include, path
from django.views.i18n import set_language
from drf_spectacular.views import SpectacularAPIView
from rest_framework.permissions import IsAuthenticated

urlpatterns = [
    path("", include("core.urls")),
    path("konto/", include("accounts.urls")),
    path("fora/", include("forums.urls")),
    path("", include("persons.urls")),
    path("", include("coordination.urls")),
    path("raad/", include("councils.urls")),
    path("audit/", include("audit.urls")),
    path("admin/", admin.site.urls),
    # The language switch in the header: POST with CSRF, a safe ``next``, the choice in a cookie.
    path("sprog/", set_language, name="set_language"),
    path("api/v1/", include("config.api_urls")),
    # The schema maps every endpoint: for logged-in users only.
    path(
        "api/schema/",
        SpectacularAPIView.as_view(permission_classes=[IsAuthenticated]),
        name="api-schema",
    ),
]

# Danish error pages on the design system; JSON below /api/ (core.views).
handler400 = "core.views.bad_request"
handler403 = "core.views.permission_denied"
handler404 = "core.views.page_not_found"
handler500 = "core.views.server_error"
