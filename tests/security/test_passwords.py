"""Issue 3, passwords: argon2 hashing, the 等保 and ASVS policy profiles (each rule, Chinese
messages), the history of 5, and an expired password confined to the change page (UI and API).
Each test asserts the answer and the state left behind."""

from __future__ import annotations

import itertools
from datetime import timedelta

import pytest
from django.contrib.auth.hashers import make_password
from django.test import Client
from django.utils import timezone

from zhujian.accounts import passwords, services
from zhujian.accounts.models import PasswordHistory, User
from zhujian.core.errors import ValidationError
from zhujian.registry.tests.support import audit_mark, audit_since

pytestmark = pytest.mark.django_db

PASSWORD = "Test-pass-123"
REAL_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]


def _refused(city, username: str, password: str) -> list[str]:
    """create_user's field messages for the password; nothing created, nothing audited."""
    mark = audit_mark()
    with pytest.raises(ValidationError) as caught:
        city.user(username, "建筑市场监管处") if password == PASSWORD else services.create_user(
            username=username, full_name=username, organization=city.orgs["bureau"], password=password
        )
    assert not User.objects.filter(username=username).exists()
    assert audit_since(mark) == []
    assert caught.value.code == "weak_password"
    return caught.value.fields["password"]


# --- hashing ----------------------------------------------------------------------------------


def test_argon2_hashes_new_passwords_and_pbkdf2_hashes_are_upgraded_at_login(settings, city):
    settings.PASSWORD_HASHERS = REAL_HASHERS
    user = city.user("hasher1", "建筑市场监管处")
    assert user.password.startswith("argon2$")
    legacy = city.user("legacy1", "建筑市场监管处")
    User.objects.filter(pk=legacy.pk).update(password=make_password(PASSWORD, hasher="pbkdf2_sha256"))
    assert User.objects.get(pk=legacy.pk).password.startswith("pbkdf2_sha256$")
    response = Client().post("/accounts/login/", {"username": "legacy1", "password": PASSWORD})
    assert response.status_code == 302
    assert User.objects.get(pk=legacy.pk).password.startswith("argon2$")


def test_the_shared_demo_and_fixture_passwords_satisfy_both_profiles(settings, city):
    from zhujian.accounts.seed import DEMO_PASSWORD

    for name in passwords.PROFILES:
        settings.ZHUJIAN_PASSWORD_POLICY = name
        for password in (DEMO_PASSWORD, PASSWORD):
            passwords.PolicyValidator().validate(password, User(username="demo_user"))


# --- 等保 profile (default) ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "password,message",
    [
        ("Ab1-xyz", "密码至少需要 8 个字符"),
        ("abcdefgh12", "密码须包含大写字母、小写字母、数字、特殊字符中的至少 3 类"),
        ("ABCDEFGH!!", "密码须包含大写字母、小写字母、数字、特殊字符中的至少 3 类"),
        ("Xx-Officer9-2026", "密码不能包含用户名"),
        ("Aa1-" + "x" * 125, "密码不能超过 128 个字符"),
    ],
)
def test_dengbao_rules(city, password, message):
    assert passwords.profile() == "dengbao"  # the default
    assert message in _refused(city, "officer9", password)


def test_dengbao_reports_every_broken_rule_and_accepts_a_good_password(city):
    messages = _refused(city, "officer9", "officer9")
    assert "密码至少需要 8 个字符" not in messages  # 8 characters: long enough
    assert "密码须包含大写字母、小写字母、数字、特殊字符中的至少 3 类" in messages
    assert "密码不能包含用户名" in messages
    user = services.create_user(
        username="officer9", full_name="x", organization=city.orgs["bureau"], password="Harbour-bridge-7"
    )
    assert user.check_password("Harbour-bridge-7") and user.password_changed_at is not None
    assert PasswordHistory.objects.filter(user=user).count() == 1


def test_dengbao_counts_chinese_characters_as_symbols(city):
    passwords.PolicyValidator().validate("住建abcd1234", User(username="someone"))


# --- ASVS profile -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "password,message",
    [
        ("Short-pass1!", None),  # 12 characters: fine
        ("Short-pass!", "密码至少需要 12 个字符"),
        ("password1234", "密码过于常见或已在泄露密码库中出现，请换一个"),
        ("1QAZ2wsx3edc", "密码过于常见或已在泄露密码库中出现，请换一个"),
        ("x" * 129, "密码不能超过 128 个字符"),
    ],
)
def test_asvs_rules(settings, city, password, message):
    settings.ZHUJIAN_PASSWORD_POLICY = "asvs"
    if message is None:
        passwords.PolicyValidator().validate(password, User(username="u"))
    else:
        assert message in _refused(city, "asvs_user", password)


def test_asvs_allows_long_passphrases_without_composition_and_does_not_rotate(settings, city):
    settings.ZHUJIAN_PASSWORD_POLICY = "asvs"
    user = services.create_user(
        username="phrase",
        full_name="x",
        organization=city.orgs["bureau"],
        password="river lanterns drift at dusk",
    )
    assert user.check_password("river lanterns drift at dusk")
    User.objects.filter(pk=user.pk).update(password_changed_at=timezone.now() - timedelta(days=3650))
    assert not passwords.is_expired(User.objects.get(pk=user.pk))
    settings.ZHUJIAN_PASSWORD_POLICY = "dengbao"
    assert passwords.is_expired(User.objects.get(pk=user.pk))


def test_common_password_list_is_shipped_and_offline():
    assert passwords.COMMON_PASSWORDS_FILE.is_file()
    assert len(passwords.common_passwords()) > 5000
    assert "password1234" in passwords.common_passwords()


# --- change_password and history --------------------------------------------------------------


def test_wrong_old_password_is_refused_audited_and_changes_nothing(market_officer):
    before = User.objects.get(pk=market_officer.pk).password
    mark = audit_mark()
    with pytest.raises(ValidationError) as caught:
        services.change_password(user=market_officer, old_password="nope", new_password="Brand-new-pass-1")
    assert caught.value.fields == {"old_password": ["原密码不正确"]}
    assert User.objects.get(pk=market_officer.pk).password == before
    assert [(e.action, e.outcome, e.actor_id) for e in audit_since(mark)] == [
        ("accounts.password.change", "failed", market_officer.pk)
    ]


def test_history_of_five(market_officer):
    chain = [PASSWORD] + [f"Rotation-{n}-pass" for n in range(1, 6)]
    for old, new in itertools.pairwise(chain):
        services.change_password(user=market_officer, old_password=old, new_password=new)
    assert PasswordHistory.objects.filter(user=market_officer).count() == 5
    # The current one and the four before it are refused…
    for reused in chain[1:]:
        mark = audit_mark()
        with pytest.raises(ValidationError) as caught:
            services.change_password(user=market_officer, old_password=chain[-1], new_password=reused)
        assert caught.value.fields["new_password"] == ["新密码不能与最近 5 次使用过的密码相同"]
        assert [(e.action, e.outcome) for e in audit_since(mark)] == [("accounts.password.change", "failed")]
        assert User.objects.get(pk=market_officer.pk).check_password(chain[-1])
    # …the sixth back is allowed again.
    mark = audit_mark()
    services.change_password(user=market_officer, old_password=chain[-1], new_password=PASSWORD)
    assert User.objects.get(pk=market_officer.pk).check_password(PASSWORD)
    assert [(e.action, e.outcome) for e in audit_since(mark)] == [("accounts.password.change", "success")]


# --- expired password: confined to the change page --------------------------------------------


def _expire(user: User) -> None:
    User.objects.filter(pk=user.pk).update(password_changed_at=timezone.now() - timedelta(days=91))


def _logged_in(username: str = "market1") -> Client:
    client = Client()
    assert client.post("/accounts/login/", {"username": username, "password": PASSWORD}).status_code == 302
    return client


EXPIRED_BODY = {"error": {"code": "password_expired", "message": "密码已过期，请先修改密码", "fields": {}}}


def test_expired_password_confines_the_ui_to_the_change_page(market_officer, make_project):
    make_project()
    client = _logged_in()
    _expire(market_officer)
    for path in ("/", "/registry/projects/", "/accounts/tokens/", "/admin/"):
        response = client.get(path)
        assert response.status_code == 302 and response["Location"] == "/accounts/password/", path
    mark = audit_mark()
    response = client.post("/accounts/tokens/", {"name": "sneaky"})
    assert response.status_code == 302 and response["Location"] == "/accounts/password/"
    assert market_officer.api_tokens.count() == 0 and audit_since(mark) == []
    page = client.get("/accounts/password/")
    assert page.status_code == 200 and "密码已过期" in page.content.decode()

    # Repeat mismatch and policy failures stay on the page and change nothing.
    response = client.post(
        "/accounts/password/",
        {
            "old_password": PASSWORD,
            "new_password": "Fresh-pass-2026",
            "new_password_repeat": "Other-pass-2026",
        },
    )
    assert response.status_code == 200 and "两次输入的新密码不一致" in response.content.decode()
    response = client.post(
        "/accounts/password/",
        {"old_password": PASSWORD, "new_password": PASSWORD, "new_password_repeat": PASSWORD},
    )
    assert (
        response.status_code == 200 and "新密码不能与最近 5 次使用过的密码相同" in response.content.decode()
    )
    assert User.objects.get(pk=market_officer.pk).check_password(PASSWORD)

    mark = audit_mark()
    response = client.post(
        "/accounts/password/",
        {
            "old_password": PASSWORD,
            "new_password": "Fresh-pass-2026",
            "new_password_repeat": "Fresh-pass-2026",
        },
    )
    assert response.status_code == 302 and response["Location"] == "/"
    user = User.objects.get(pk=market_officer.pk)
    assert user.check_password("Fresh-pass-2026") and not passwords.is_expired(user)
    assert [(e.action, e.outcome, e.actor_id) for e in audit_since(mark)] == [
        ("accounts.password.change", "success", market_officer.pk)
    ]
    assert client.get("/registry/projects/").status_code == 200  # session kept, no longer confined


def test_expired_password_allows_logout(market_officer):
    client = _logged_in()
    _expire(market_officer)
    assert client.post("/accounts/logout/").status_code == 302
    assert "_auth_user_id" not in client.session


def test_expired_password_refuses_the_api_by_session_and_by_token(market_officer):
    token, raw = services.mint_personal_token(mfa_verified=True, user=market_officer, name="t")
    client = _logged_in()
    assert client.get("/api/v1/regions").status_code == 200
    assert Client().get("/api/v1/regions", HTTP_AUTHORIZATION=f"Bearer {raw}").status_code == 200
    _expire(market_officer)
    response = client.get("/api/v1/regions")
    assert response.status_code == 403 and response.json() == EXPIRED_BODY
    response = Client().get("/api/v1/regions", HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert response.status_code == 403 and response.json() == EXPIRED_BODY
    mark = audit_mark()
    response = client.post("/api/v1/me/tokens", {"name": "x"}, content_type="application/json")
    assert response.status_code == 403 and response.json() == EXPIRED_BODY
    response = Client().delete(f"/api/v1/me/tokens/{token.pk}", HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert response.status_code == 403 and response.json() == EXPIRED_BODY
    assert market_officer.api_tokens.filter(revoked_at__isnull=True).count() == 1
    assert [e.action for e in audit_since(mark)] == []


def test_expiry_is_configurable_and_off_for_asvs(settings, market_officer):
    client = _logged_in()
    User.objects.filter(pk=market_officer.pk).update(password_changed_at=timezone.now() - timedelta(days=40))
    assert client.get("/registry/projects/").status_code == 200
    settings.ZHUJIAN_PASSWORD_MAX_AGE_DAYS = 30
    assert client.get("/registry/projects/")["Location"] == "/accounts/password/"
    settings.ZHUJIAN_PASSWORD_POLICY = "asvs"
    assert client.get("/registry/projects/").status_code == 200
