from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = "Tværs: fælles"

    def ready(self) -> None:
        # schema: importing it registers the OpenAPI extensions
        from core import schema, sessions  # noqa: F401

        sessions.connect()  # session index, and sessions end when privileges change
