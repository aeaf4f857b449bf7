"""API authentication (DESIGN.md, Principals): bearer tokens stored only as SHA-256, minted from a
browser session only, refused when unknown, revoked or expired; CSRF on the session; machine
tokens for an organisation, issued by the system administrator."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from django.db.models import Q
from django.test import Client
from django.utils import timezone

from zhujian.accounts import services
from zhujian.accounts.models import ApiToken, User
from zhujian.core.errors import PermissionDenied
from zhujian.registry import services as registry
from zhujian.registry.tests.support import (
    actions_since,
    api_call,
    assert_error_shape,
    audit_mark,
    audit_since,
    bearer,
    domain_snapshot,
)
from zhujian.testing import login_with_mfa, project_code

pytestmark = pytest.mark.django_db


def _get_me(raw: str) -> object:
    return Client().get("/api/v1/me", **bearer(raw))


def _session_client(user: User) -> tuple[Client, str]:
    client = Client(enforce_csrf_checks=True)
    login_with_mfa(client, user)  # personal tokens are minted only from a session that passed MFA
    client.get("/accounts/tokens/")  # sets the CSRF cookie
    return client, client.cookies["csrftoken"].value


# ---------------------------------------------------------------- refused tokens


@pytest.mark.parametrize(
    "header",
    [
        None,
        "Bearer",
        "Bearer ",
        "Bearer zj_" + "A" * 43,
        "Bearer not-a-token",
        "Bearer zj_" + "x" * 200,
        "Basic bWFya2V0MTpUZXN0LXBhc3MtMTIz",
        "Token zj_abc",
    ],
)
def test_missing_or_unknown_token_is_401(market_officer, header):
    extra = {"HTTP_AUTHORIZATION": header} if header is not None else {}
    before = domain_snapshot()
    for method, path in (("GET", "/api/v1/projects"), ("POST", "/api/v1/enterprises"), ("GET", "/api/v1/me")):
        response = api_call(Client(), method, path, {}, **extra)
        assert_error_shape(response, 401, "not_authenticated")
    assert domain_snapshot() == before


def test_revoked_token_is_401_and_revocation_is_audited(market_officer):
    token, raw = services.mint_personal_token(mfa_verified=True, user=market_officer, name="将被吊销")
    assert _get_me(raw).status_code == 200
    client, csrf = _session_client(market_officer)
    mark = audit_mark()
    response = client.delete(f"/api/v1/me/tokens/{token.pk}", HTTP_X_CSRFTOKEN=csrf)
    assert response.status_code == 200 and response.json()["revoked_at"]
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert actions_since(mark) == [("accounts.token.revoke", "success")]
    assert_error_shape(_get_me(raw), 401, "not_authenticated")


def test_expired_token_and_token_of_inactive_user_are_401(city, market_officer):
    _, expired = services.mint_personal_token(
        mfa_verified=True, user=market_officer, name="过期", expires_at=timezone.now() - timedelta(seconds=1)
    )
    assert_error_shape(_get_me(expired), 401)
    _, fresh = services.mint_personal_token(
        mfa_verified=True, user=market_officer, name="未过期", expires_at=timezone.now() + timedelta(hours=1)
    )
    assert _get_me(fresh).status_code == 200
    leaver = city.user("leaver", "建筑市场监管处", "market_officer")
    _, raw = services.mint_personal_token(mfa_verified=True, user=leaver, name="离职")
    User.objects.filter(pk=leaver.pk).update(is_active=False)
    assert_error_shape(_get_me(raw), 401)


def test_token_use_touches_last_used_at(market_officer):
    token, raw = services.mint_personal_token(mfa_verified=True, user=market_officer, name="t")
    assert token.last_used_at is None
    assert _get_me(raw).json()["username"] == "market1"
    token.refresh_from_db()
    assert token.last_used_at is not None


# ---------------------------------------------------------------- minting from a session only


def test_mint_with_bearer_token_is_refused(market_officer):
    _, raw = services.mint_personal_token(mfa_verified=True, user=market_officer, name="已有令牌")
    before, count = domain_snapshot(), ApiToken.objects.count()
    response = api_call(Client(), "POST", "/api/v1/me/tokens", {"name": "由令牌创建"}, **bearer(raw))
    assert response.status_code in (401, 403)
    assert_error_shape(response, response.status_code)
    assert ApiToken.objects.count() == count and domain_snapshot() == before


def test_mint_with_session_returns_the_raw_token_once_and_stores_only_its_hash(market_officer):
    client, csrf = _session_client(market_officer)
    mark = audit_mark()
    response = api_call(client, "POST", "/api/v1/me/tokens", {"name": "脚本"}, HTTP_X_CSRFTOKEN=csrf)
    assert response.status_code == 201, response.content
    raw = response.json()["token"]
    assert raw.startswith("zj_") and len(raw) >= 40
    token = ApiToken.objects.get(pk=response.json()["id"])
    assert token.user == market_officer and token.kind == ApiToken.Kind.PERSONAL
    assert token.token_hash == hashlib.sha256(raw.encode()).hexdigest()
    assert token.prefix == raw[:10]
    # The raw value is in no column of any token row, nor in the audit record.
    assert not ApiToken.objects.filter(
        Q(token_hash__contains=raw[10:]) | Q(name__contains=raw[10:]) | Q(prefix__contains=raw[10:])
    ).exists()
    events = audit_since(mark)
    assert [(e.action, e.outcome) for e in events] == [("accounts.token.mint", "success")]
    assert raw[10:] not in str(events[0].detail) + events[0].object_repr
    # It works at once; listing never shows it again.
    me = _get_me(raw)
    assert me.status_code == 200 and me.json()["username"] == market_officer.username
    listing = client.get("/api/v1/me/tokens").json()
    assert [t["id"] for t in listing] == [token.pk] and "token" not in listing[0]
    assert raw[10:] not in client.get("/api/v1/me/tokens").content.decode()
    assert raw[10:] not in client.get("/accounts/tokens/").content.decode()


def test_session_post_without_csrf_token_is_403_and_writes_nothing(market_officer):
    client, _ = _session_client(market_officer)
    before = domain_snapshot()
    project = {"code": project_code(), "name": "无CSRF", "region_code": "320106"}
    for path, body in (("/api/v1/me/tokens", {"name": "无CSRF"}), ("/api/v1/projects", project)):
        response = api_call(client, "POST", path, body)
        assert_error_shape(response, 403, "permission_denied")
        response = api_call(client, "POST", path, body, HTTP_X_CSRFTOKEN="wrong" * 6)
        assert_error_shape(response, 403, "permission_denied")
    # The HTML form is protected too.
    response = client.post("/accounts/tokens/", {"name": "无CSRF"})
    assert response.status_code == 403
    assert domain_snapshot() == before


def test_bearer_requests_need_no_csrf_token(market_officer):
    _, raw = services.mint_personal_token(mfa_verified=True, user=market_officer, name="t")
    client = Client(enforce_csrf_checks=True)
    response = api_call(
        client,
        "POST",
        "/api/v1/projects",
        {"code": project_code(), "name": "令牌创建", "region_code": "320106"},
        **bearer(raw),
    )
    assert response.status_code == 201, response.content


def test_revoking_another_users_token_is_404(city, market_officer):
    other = city.user("other_tok", "建筑市场监管处", "market_officer")
    token, raw = services.mint_personal_token(mfa_verified=True, user=other, name="别人的")
    client, csrf = _session_client(market_officer)
    mark = audit_mark()
    response = client.delete(f"/api/v1/me/tokens/{token.pk}", HTTP_X_CSRFTOKEN=csrf)
    assert_error_shape(response, 404, "not_found")
    token.refresh_from_db()
    assert token.revoked_at is None and _get_me(raw).status_code == 200
    assert actions_since(mark) == [("access.denied", "denied")]


# ---------------------------------------------------------------- machine tokens


@pytest.fixture
def lab_world(city, market_officer, make_enterprise, make_project):
    lab = make_enterprise(name="南京检测中心有限公司", roles=("lab",))
    tested = make_project(region="320102", name="玄武区检测项目")
    other = make_project(region="320106", name="鼓楼区无关项目")
    registry.add_participant(actor=market_officer, project=tested, organization=lab.organization, role="lab")
    admin = city.user("sysadmin_t", "bureau", "system_admin")
    return {"lab": lab, "tested": tested, "other": other, "admin": admin}


def test_machine_token_acts_as_the_organisations_principal(lab_world):
    lab, admin = lab_world["lab"], lab_world["admin"]
    mark = audit_mark()
    token, raw = services.issue_machine_token(organization=lab.organization, name="检测报告上报", actor=admin)
    events = audit_since(mark)
    assert [(e.action, e.outcome, e.actor_id) for e in events] == [
        ("accounts.token.issue_machine", "success", admin.pk)
    ]
    principal = token.user
    assert principal.kind == User.Kind.MACHINE and principal.organization == lab.organization
    assert token.kind == ApiToken.Kind.MACHINE and token.created_by == admin
    assert not principal.has_usable_password()

    me = _get_me(raw).json()
    assert me["id"] == principal.pk and me["scope"] == "enterprise" and me["organization"] == lab.name
    listing = Client().get("/api/v1/projects", **bearer(raw)).json()
    assert [p["name"] for p in listing["items"]] == ["玄武区检测项目"] and listing["count"] == 1
    assert Client().get(f"/api/v1/projects/{lab_world['tested'].pk}", **bearer(raw)).status_code == 200
    mark = audit_mark()
    hidden = Client().get(f"/api/v1/projects/{lab_world['other'].pk}", **bearer(raw))
    assert_error_shape(hidden, 404, "not_found")
    assert actions_since(mark) == [("access.denied", "denied")]
    # A machine principal cannot mint personal tokens (no session, and the service refuses it too).
    response = api_call(Client(), "POST", "/api/v1/me/tokens", {"name": "x"}, **bearer(raw))
    assert response.status_code in (401, 403)
    mark = audit_mark()
    with pytest.raises(PermissionDenied):
        services.mint_personal_token(mfa_verified=True, user=principal, name="x")
    assert actions_since(mark) == [("access.denied", "denied")]
    assert ApiToken.objects.filter(user=principal).count() == 1


@pytest.mark.parametrize("role", ["market_officer", "security_admin", "audit_admin", "bureau_leader"])
def test_only_the_system_admin_issues_machine_tokens(city, lab_world, role):
    actor = city.user(f"not_admin_{role}", "bureau", role)
    before, users, mark = domain_snapshot(), User.objects.count(), audit_mark()
    with pytest.raises(PermissionDenied) as caught:
        services.issue_machine_token(organization=lab_world["lab"].organization, name="x", actor=actor)
    assert caught.value.message == "只有系统管理员可以签发系统令牌"
    assert User.objects.count() == users and domain_snapshot() == before
    events = audit_since(mark)
    assert [(e.action, e.outcome, e.actor_id) for e in events] == [("access.denied", "denied", actor.pk)]


@pytest.mark.django_db
def test_token_user_carries_its_organisation_loaded_in_one_query(city, django_assert_num_queries) -> None:
    from zhujian.accounts.services import authenticate_token, mint_personal_token

    user = city.user("one_query", "district:320106", "district_staff")
    _, raw = mint_personal_token(user=user, name="q", mfa_verified=True)
    authenticate_token(raw)  # touches last_used_at once
    with django_assert_num_queries(1):
        found = authenticate_token(raw)
        assert found is not None and found.organization is not None
        assert found.organization.region_id == "320106" and found.organization.is_active is True
        assert found.organization.kind == "district_bureau"
    assert found.organization.created_at is not None  # deferred fields still load
