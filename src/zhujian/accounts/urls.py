from django.urls import path

from zhujian.accounts import console, views

app_name = "accounts"
urlpatterns = [
    path("login/", views.login_view, name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("password/", views.password_change_view, name="password_change"),
    path("tokens/", views.tokens_view, name="tokens"),
    path("tokens/<int:token_id>/revoke/", views.revoke_token_view, name="token_revoke"),
    path("mfa/verify/", views.mfa_verify_view, name="mfa_verify"),
    path("mfa/", views.mfa_setup_view, name="mfa_setup"),
    # 三员 consoles (accounts.console); the audit administrator's is audit.urls
    path("console/system/", console.system_users, name="console_system"),
    path("console/system/users/new/", console.system_user_create, name="console_user_create"),
    path("console/system/users/edit/", console.system_user_edit, name="console_user_edit"),
    path("console/system/users/active/", console.system_user_active, name="console_user_active"),
    path("console/system/organizations/", console.system_organizations, name="console_organizations"),
    path("console/system/tokens/", console.system_tokens, name="console_tokens"),
    path("console/system/tokens/revoke/", console.system_token_revoke, name="console_token_revoke"),
    path("console/system/locks/", console.system_locks, name="console_locks"),
    path("console/security/", console.security_home, name="console_security"),
    path("console/security/role/", console.security_role, name="console_role"),
]
