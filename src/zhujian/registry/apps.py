from django.apps import AppConfig


class RegistryConfig(AppConfig):
    name = "zhujian.registry"
    label = "registry"
    verbose_name = "主体与项目库"
