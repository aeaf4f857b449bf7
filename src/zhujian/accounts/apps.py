from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "zhujian.accounts"
    label = "accounts"
    verbose_name = "账户与机构"

    def ready(self) -> None:
        from zhujian.accounts.services import system_principal
        from zhujian.core import jobs

        jobs.set_principal_loader(system_principal)
