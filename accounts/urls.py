from django.contrib.auth import views as auth_views
from django.urls import path

from accounts.forms import LoginForm

app_name = "accounts"

urlpatterns = [
    path(
        "log-ind/",
        auth_views.LoginView.as_view(
            authentication_form=LoginForm, redirect_authenticated_user=True
        ),
        name="login",
    ),
    path("log-ud/", auth_views.LogoutView.as_view(), name="logout"),
]
