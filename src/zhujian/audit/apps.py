from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "zhujian.audit"
    label = "audit"
    verbose_name = "审计"
