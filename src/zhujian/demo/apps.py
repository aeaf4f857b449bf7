from django.apps import AppConfig


class DemoConfig(AppConfig):
    """Composition root for seeding and running the demo city; it may import every app."""

    name = "zhujian.demo"
    label = "demo"
    verbose_name = "演示数据"
