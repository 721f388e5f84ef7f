"""The start page: each role's work list (issue 11). It lives in coordination, the last app in
the import order, because it gathers from persons, forums and coordination alike."""

from django.contrib.auth.mixins import LoginRequiredMixin
from django.views.generic import TemplateView


class HomeView(LoginRequiredMixin, TemplateView):
    template_name = "coordination/home.html"
