from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "zhujian.accounts"
    label = "accounts"
    verbose_name = "账户与机构"
