from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Brugere og myndigheder"

    def ready(self) -> None:
        from accounts import lockout  # noqa: F401  # connects axes' user_locked_out
        from accounts import tokens

        tokens.connect()
