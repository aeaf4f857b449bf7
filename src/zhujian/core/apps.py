from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "zhujian.core"
    label = "core"
    verbose_name = "平台内核"
