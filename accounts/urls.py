from django.contrib.auth import views as auth_views
from django.urls import path

from accounts import logout_everywhere, views

app_name = "accounts"

urlpatterns = [
    path("log-ind/", views.LoginView.as_view(), name="login"),
    path("log-ind/kode/", views.OTPView.as_view(), name="otp"),
    path("log-ind/totrin/", views.EnrolmentView.as_view(), name="otp-enrol"),
    path("log-ud/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "log-ud-overalt/",
        logout_everywhere.LogoutEverywhereView.as_view(),
        name="logout-everywhere",
    ),
]
