from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Brugere og myndigheder"

    def ready(self) -> None:
        # lockout connects axes' user_locked_out on import; tokens connects its receivers.
        from accounts import lockout, tokens  # noqa: F401

        tokens.connect()
