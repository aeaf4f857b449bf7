from django.apps import AppConfig


class ReferenceConfig(AppConfig):
    name = "zhujian.reference"
    label = "reference"
    verbose_name = "基础数据"
