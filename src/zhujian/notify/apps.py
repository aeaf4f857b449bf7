from django.apps import AppConfig


class NotifyConfig(AppConfig):
    name = "zhujian.notify"
    label = "notify"
    verbose_name = "通知"
