"""OpenAPI (drf-spectacular) extensions for Tværs' own API classes."""

from drf_spectacular.authentication import SessionScheme


class TvaersSessionScheme(SessionScheme):
    target_class = "core.authentication.SessionAuthentication"
