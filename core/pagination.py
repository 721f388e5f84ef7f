"""API pagination (api.md): ``?page=N``, ``?page_size=`` up to 200, default 50.

Its own module because DRF imports the default pagination class while loading its generic
views, before ``core.api`` can finish importing."""

from rest_framework import pagination


class PagePagination(pagination.PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200
