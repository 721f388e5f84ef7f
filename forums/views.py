from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from core.permissions import ProtectedView
from forums import selectors


class ForumListView(ProtectedView):
    def get(self, request: HttpRequest) -> HttpResponse:
        forums = selectors.forum_list_for(user=request.user)
        return render(request, "forums/forum_list.html", {"forums": forums})
