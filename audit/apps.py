from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "audit"
    verbose_name = "Audit"

    def ready(self) -> None:
        from audit import receivers, registry, services
        from core import permissions

        registry.register_all()
        permissions.objects_accessed.connect(
            services.on_objects_accessed, dispatch_uid="audit-access"
        )
        permissions.access_denied.connect(services.on_access_denied, dispatch_uid="audit-denied")
        receivers.connect()  # changes to accounts: the AccountEvent chain
