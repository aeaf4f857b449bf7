from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate


class AccountsConfig(AppConfig):
    name = "zhujian.accounts"
    label = "accounts"
    verbose_name = "账户与机构"

    def ready(self) -> None:
        from zhujian.accounts.services import system_principal
        from zhujian.core import jobs

        jobs.set_principal_loader(system_principal)
        # Roles follow accounts/roles.py after every migrate, the way Django creates permissions.
        post_migrate.connect(_sync_roles, dispatch_uid="zhujian.accounts.sync_roles")
        # Sessions: stamp login time, drop an earlier MFA step-up, index user → session key.
        from django.contrib.auth.signals import user_logged_in

        from zhujian.accounts import checks, sessions

        user_logged_in.connect(sessions.on_login, dispatch_uid="zhujian.accounts.sessions.on_login")
        checks.register()


def _sync_roles(sender: AppConfig, using: str = "default", **kwargs: Any) -> None:
    from django.apps import apps

    from zhujian.accounts.services import sync_roles

    # post_migrate is sent once per app with models; every permission exists after the last one.
    if sender is [config for config in apps.get_app_configs() if config.models_module is not None][-1]:
        sync_roles(audited=False)
