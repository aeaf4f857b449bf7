"""Issue 3, two factors: MFA required for bureau staff and privileged roles in production mode (UI
and API confined), offered with a banner in demo mode, TOTP replay refused, wrong codes audited and
counted towards the lock, backup codes single use, session keys rotated at login and at step-up,
personal tokens only from an MFA session (older ones refused in production), no superuser in
production, and the three administrators from ``zhujian bootstrap``."""

from __future__ import annotations

import io

import pytest
from django.contrib.auth.hashers import identify_hasher
from django.contrib.sessions.models import Session
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client, override_settings

from zhujian.accounts import checks, mfa, passwords, services
from zhujian.accounts.models import ApiToken, BackupCode, LoginFailure, MfaDevice, User, UserSession
from zhujian.registry.tests.support import api_call, assert_error_shape, audit_mark, audit_since, bearer
from zhujian.testing import login_with_mfa

pytestmark = pytest.mark.django_db

PASSWORD = "Test-pass-123"
PRODUCTION = override_settings(DEMO_MODE=False)


def _login(client: Client, username: str) -> object:
    return client.post("/accounts/login/", {"username": username, "password": PASSWORD})


def _actions(mark: int) -> list[tuple[str, str]]:
    return [(e.action, e.outcome) for e in audit_since(mark)]


def _enrol(user: User) -> tuple[str, list[str]]:
    """Bind a device through the services; returns the secret and the backup codes."""
    _, secret = mfa.start_enrolment(user=user)
    codes = mfa.confirm_enrolment(user=user, code=mfa.hotp(secret, mfa.time_step()))
    return secret, codes


@pytest.fixture
def applicant(city):
    return services.create_user(
        username="applicant1",
        full_name="申报人",
        organization=None,
        password=PASSWORD,
        role_codes=["applicant"],
    )


# --- enforcement ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("org", "role"),
    [
        ("bureau", "system_admin"),
        ("bureau", "security_admin"),
        ("bureau", "audit_admin"),
        ("bureau", "bureau_leader"),
        ("建筑市场监管处", "market_officer"),
        ("district:320106", "district_staff"),  # bureau staff by organisation, whatever the role
    ],
)
def test_production_confines_staff_and_privileged_roles_without_a_device_to_enrolment(city, org, role):
    user = city.user(f"u_{role}", org, role)
    client = Client()
    with PRODUCTION:
        response = _login(client, user.username)
        assert response.status_code == 302 and response["Location"] == "/accounts/mfa/"
        for path in ("/", "/registry/projects/", "/accounts/tokens/", "/accounts/password/"):
            response = client.get(path)
            assert response.status_code == 302 and response["Location"] == "/accounts/mfa/", path
        body = assert_error_shape(client.get("/api/v1/me"), 403, "mfa_required")
        assert "双因素" in body["message"]
        page = client.get("/accounts/mfa/")
        assert page.status_code == 200 and "本账号必须绑定动态口令" in page.content.decode()
    assert MfaDevice.objects.filter(user=user, confirmed_at__isnull=True).count() == 1  # pending only
    assert mfa.SESSION_VERIFIED not in client.session


def test_production_does_not_ask_an_enterprise_applicant_and_demo_only_shows_a_banner(city, applicant):
    client = Client()
    with PRODUCTION:
        response = _login(client, "applicant1")
        assert response.status_code == 302 and response["Location"] == "/"
        assert client.get("/api/v1/me").status_code == 200
    officer = city.user("market9", "建筑市场监管处", "market_officer")
    demo = Client()
    response = _login(demo, officer.username)  # demo mode: offered, not enforced
    assert response.status_code == 302 and response["Location"] == "/"
    home = demo.get("/").content.decode()
    assert mfa.DEMO_BANNER in home
    assert mfa.DEMO_BANNER not in client.get("/").content.decode()  # not for the applicant
    _enrol(officer)
    login_with_mfa(demo, officer)
    assert mfa.DEMO_BANNER not in demo.get("/").content.decode()  # bound: no banner


# --- enrolment and verification --------------------------------------------------------------


def test_enrolment_page_binds_a_device_and_shows_ten_backup_codes_once(market_officer):
    client = Client()
    _login(client, "market1")
    page = client.get("/accounts/mfa/").content.decode()
    secret = mfa.pending_secret(user=market_officer)
    assert secret and " ".join(secret[i : i + 4] for i in range(0, len(secret), 4)) in page
    assert "otpauth://totp/" in page and f"secret={secret}" in page
    assert MfaDevice.objects.get(user=market_officer).secret_cipher.startswith("sm4gcm:")  # encrypted
    mark = audit_mark()
    key_before = client.session.session_key
    response = client.post("/accounts/mfa/", {"code": mfa.hotp(secret, mfa.time_step())})
    assert response.status_code == 200
    codes = response.context["backup_codes"]
    assert len(codes) == 10 and len(set(codes)) == 10
    assert all(code in response.content.decode() for code in codes)
    stored = list(BackupCode.objects.filter(user=market_officer).values_list("code_hash", flat=True))
    assert len(stored) == 10 and not any(
        code in h or code.replace("-", "") in h for code in codes for h in stored
    )
    assert all(identify_hasher(h) for h in stored)
    assert MfaDevice.objects.get(user=market_officer).confirmed_at is not None
    assert client.session.session_key != key_before and mfa.SESSION_VERIFIED in client.session  # step-up
    assert _actions(mark) == [("accounts.mfa.enrol", "success")]
    assert "备用验证码" not in client.get("/accounts/mfa/").content.decode().split("剩余")[0]  # not again


def test_totp_code_is_refused_when_replayed(market_officer):
    secret, _ = _enrol(market_officer)  # enrolment used the current step
    client = Client()
    response = _login(client, "market1")
    assert response["Location"] == "/accounts/mfa/verify/"
    assert client.get("/registry/projects/")["Location"] == "/accounts/mfa/verify/"
    assert_error_shape(client.get("/api/v1/me"), 403, "mfa_required")
    mark = audit_mark()
    response = client.post("/accounts/mfa/verify/", {"code": mfa.hotp(secret, mfa.time_step())})
    assert response.status_code == 400 and "动态口令不正确" in response.content.decode()
    assert mfa.SESSION_VERIFIED not in client.session
    assert _actions(mark) == [("accounts.mfa.verify", "failed")]
    assert audit_since(mark)[0].detail == {"reason": "wrong_code"}
    # The next step's code is accepted once, and only once.
    next_code = mfa.hotp(secret, mfa.time_step() + 1)
    response = client.post("/accounts/mfa/verify/", {"code": next_code})
    assert response.status_code == 302 and mfa.SESSION_VERIFIED in client.session
    assert MfaDevice.objects.get(user=market_officer).last_t == mfa.time_step() + 1
    other = Client()
    _login(other, "market1")
    response = other.post("/accounts/mfa/verify/", {"code": next_code})
    assert response.status_code == 400 and mfa.SESSION_VERIFIED not in other.session


def test_wrong_codes_are_audited_and_lock_the_account_after_five(market_officer):
    _enrol(market_officer)
    client = Client()
    _login(client, "market1")
    mark = audit_mark()
    for _ in range(4):
        response = client.post("/accounts/mfa/verify/", {"code": "000000"})
        assert response.status_code == 400
    assert LoginFailure.objects.filter(kind="username", key="market1").count() == 4
    response = client.post("/accounts/mfa/verify/", {"code": "000000"})
    assert response.status_code == 302 and response["Location"] == "/accounts/login/"
    assert "_auth_user_id" not in client.session  # logged out
    actions = _actions(mark)
    assert actions.count(("accounts.mfa.verify", "failed")) == 5
    assert ("accounts.lockout", "success") in actions
    assert ("accounts.login", "failed") not in actions  # a wrong code is not a wrong password
    assert "账户已锁定" in _login(Client(), "market1").content.decode()


def test_backup_code_works_once(market_officer):
    _, codes = _enrol(market_officer)
    client = Client()
    _login(client, "market1")
    mark = audit_mark()
    response = client.post("/accounts/mfa/verify/", {"code": codes[3].upper()})
    assert response.status_code == 302 and mfa.SESSION_VERIFIED in client.session
    assert BackupCode.objects.filter(user=market_officer, used_at__isnull=False).count() == 1
    assert audit_since(mark)[-1].detail == {"method": "backup"}
    again = Client()
    _login(again, "market1")
    response = again.post("/accounts/mfa/verify/", {"code": codes[3]})
    assert response.status_code == 400 and mfa.SESSION_VERIFIED not in again.session
    assert BackupCode.objects.filter(user=market_officer, used_at__isnull=False).count() == 1
    assert _actions(mark)[-1] == ("accounts.mfa.verify", "failed")


def test_session_key_rotates_at_login_and_again_at_step_up(market_officer):
    secret, _ = _enrol(market_officer)
    client = Client()
    client.get("/accounts/login/")
    session = client.session
    session["planted"] = "x"  # an attacker-known anonymous session
    session.save()
    anonymous_key = session.session_key
    client.cookies["sessionid"] = anonymous_key
    _login(client, "market1")
    login_key = client.session.session_key
    assert login_key != anonymous_key
    assert not Session.objects.filter(session_key=anonymous_key).exists()
    client.post("/accounts/mfa/verify/", {"code": mfa.hotp(secret, mfa.time_step() + 1)})
    stepped_key = client.session.session_key
    assert stepped_key not in (anonymous_key, login_key)
    assert not Session.objects.filter(session_key=login_key).exists()
    assert list(UserSession.objects.filter(user=market_officer).values_list("session_key", flat=True)) == [
        stepped_key
    ]


# --- tokens ----------------------------------------------------------------------------------


def test_tokens_are_minted_only_from_an_mfa_session(market_officer):
    client = Client(enforce_csrf_checks=True)
    client.force_login(market_officer)  # password only
    client.get("/accounts/tokens/")
    csrf = client.cookies["csrftoken"].value
    mark = audit_mark()
    response = api_call(client, "POST", "/api/v1/me/tokens", {"name": "脚本"}, HTTP_X_CSRFTOKEN=csrf)
    body = assert_error_shape(response, 403, "mfa_required")
    assert "双因素" in body["message"]
    page = client.post("/accounts/tokens/", {"name": "页面", "csrfmiddlewaretoken": csrf})
    assert page.status_code == 403 and "双因素" in page.content.decode()
    assert not ApiToken.objects.exists()
    assert _actions(mark) == [("access.denied", "denied")] * 2
    login_with_mfa(client, market_officer)
    client.get("/accounts/tokens/")
    csrf = client.cookies["csrftoken"].value
    response = api_call(client, "POST", "/api/v1/me/tokens", {"name": "脚本"}, HTTP_X_CSRFTOKEN=csrf)
    assert response.status_code == 201
    assert ApiToken.objects.get().minted_with_mfa is True


def test_tokens_minted_without_mfa_are_refused_in_production_and_revoked_by_the_command(market_officer):
    legacy, legacy_raw = services.mint_personal_token(user=market_officer, name="旧", mfa_verified=True)
    ApiToken.objects.filter(pk=legacy.pk).update(minted_with_mfa=False)  # as minted before issue 3
    _, fresh_raw = services.mint_personal_token(user=market_officer, name="新", mfa_verified=True)
    assert Client().get("/api/v1/me", **bearer(legacy_raw)).status_code == 200  # demo: still works
    with PRODUCTION:
        assert_error_shape(Client().get("/api/v1/me", **bearer(legacy_raw)), 401)
        assert Client().get("/api/v1/me", **bearer(fresh_raw)).status_code == 200
    mark = audit_mark()
    out = io.StringIO()
    call_command("revoke_legacy_tokens", stdout=out)
    assert "1" in out.getvalue()
    assert ApiToken.objects.get(pk=legacy.pk).revoked_at is not None
    assert ApiToken.objects.filter(revoked_at__isnull=True).count() == 1
    events = audit_since(mark)
    assert [(e.action, e.count) for e in events] == [("accounts.token.revoke_legacy", 1)]
    assert_error_shape(Client().get("/api/v1/me", **bearer(legacy_raw)), 401)  # dead in demo now too


# --- superuser and bootstrap ------------------------------------------------------------------


def test_production_refuses_a_superuser(city):
    User.objects.create_superuser("root", "", "Root-pass-123")  # demo mode allows it
    assert checks.no_superuser_in_production(databases=["default"]) == []
    with PRODUCTION:
        errors = checks.no_superuser_in_production(databases=["default"])
        assert [e.id for e in errors] == [checks.SUPERUSER_ERROR_ID] and "root" in errors[0].msg
        with pytest.raises(CommandError):
            call_command("check", "--database", "default")
        with pytest.raises(CommandError, match="生产模式不允许创建超级用户"):
            User.objects.create_superuser("root2", "", "Root-pass-123")
        with pytest.raises(CommandError):
            call_command("createsuperuser", "--username", "root3", "--email", "", "--noinput")
    assert not User.objects.filter(username__in=["root2", "root3"]).exists()
    User.objects.filter(username="root").update(is_superuser=False)
    with PRODUCTION:
        assert checks.no_superuser_in_production(databases=["default"]) == []


def test_bootstrap_creates_the_three_administrators_once(city):
    mark = audit_mark()
    out = io.StringIO()
    with PRODUCTION:
        call_command("bootstrap", stdout=out)
    admins = {u.username: u for u in User.objects.filter(username__in=["sysadmin", "secadmin", "auditadmin"])}
    assert {name: [r.code for r in u.roles.all()] for name, u in admins.items()} == {
        "sysadmin": ["system_admin"],
        "secadmin": ["security_admin"],
        "auditadmin": ["audit_admin"],
    }
    assert not any(u.is_superuser for u in admins.values())
    assert all(passwords.is_expired(u) for u in admins.values())  # must change at first login
    printed = out.getvalue()
    password = printed.split("用户名 sysadmin  密码 ")[1].split()[0]
    assert admins["sysadmin"].check_password(password)
    assert [a for a, _ in _actions(mark)].count("accounts.user.create") == 3
    assert _actions(mark)[-1] == ("accounts.bootstrap", "success")
    with pytest.raises(CommandError, match="已存在"):
        call_command("bootstrap", stdout=io.StringIO())
    assert User.objects.filter(roles__code="system_admin").count() == 1
    # First login in production: enrol first, then the password change.
    client = Client()
    with PRODUCTION:
        response = client.post("/accounts/login/", {"username": "sysadmin", "password": password})
        assert response["Location"] == "/accounts/mfa/"
        client.get("/accounts/mfa/")
        secret = mfa.pending_secret(user=admins["sysadmin"])
        client.post("/accounts/mfa/", {"code": mfa.hotp(secret, mfa.time_step())})
        assert client.get("/registry/projects/")["Location"] == "/accounts/password/"
