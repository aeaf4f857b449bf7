"""Issue 3, 三员分立: each console for its own role only (403 and one audited denial for anyone
else, nothing changed), no user ever holds two 三员 roles or a 三员 role beside a business role,
三员 roles never get business permissions, and every console action and page view is audited."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from zhujian.accounts.models import ApiToken, Organization, Role, User
from zhujian.audit.models import AuditEvent
from zhujian.registry.tests.support import actions_since, audit_mark, domain_snapshot

pytestmark = pytest.mark.django_db

CONSOLES = {
    "system": "/accounts/console/system/",
    "security": "/accounts/console/security/",
    "audit": "/audit/",
}


@pytest.fixture
def admins(city):
    return {
        "system": city.user("sysadmin", "bureau", "system_admin"),
        "security": city.user("secadmin", "bureau", "security_admin"),
        "audit": city.user("auditadmin", "bureau", "audit_admin"),
    }


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize("console", CONSOLES)
def test_each_console_is_for_its_role_only(admins, market_officer, console):
    for name, user in {**admins, "business": market_officer}.items():
        mark = audit_mark()
        response = _client(user).get(CONSOLES[console])
        if name == console:
            assert response.status_code == 200
            expected = "audit.trail.view" if console == "audit" else f"accounts.console.{console}"
            assert (expected, "success") in actions_since(mark)
        else:
            assert response.status_code == 403, (name, console)
            assert actions_since(mark) == [("access.denied", "denied")]


def test_menu_links_only_to_the_holders_console(admins, market_officer):
    links = {"system": "系统管理员控制台", "security": "安全管理员控制台", "audit": "审计管理员控制台"}
    for name, user in {**admins, "business": market_officer}.items():
        html = _client(user).get("/").content.decode()
        for console, label in links.items():
            assert (label in html) == (console == name), (name, console)


def test_separated_admins_see_no_business_data(admins, make_project, make_enterprise):
    project = make_project(name="保密测试项目")
    enterprise = make_enterprise(name="保密测试企业有限公司")
    for user in admins.values():
        client = _client(user)
        for url in ("/registry/projects/", "/registry/enterprises/", "/registry/persons/"):
            response = client.get(url)
            assert response.status_code in (200, 403, 404)
            assert "保密测试" not in response.content.decode(), (user.username, url)
        assert client.get(f"/registry/projects/{project.pk}/").status_code in (403, 404)
        assert client.get(f"/registry/enterprises/{enterprise.pk}/").status_code in (403, 404)


def test_system_admin_creates_user_with_business_roles_audited(admins, city):
    client = _client(admins["system"])
    org = city.orgs["建筑市场监管处"]
    mark = audit_mark()
    response = client.post(
        "/accounts/console/system/users/new/",
        {
            "username": "new1",
            "full_name": "新用户",
            "organization": org.pk,
            "password": "Test-pass-123",
            "roles": ["inspector", "approval_reviewer"],
        },
    )
    assert response.status_code == 302
    user = User.objects.get(username="new1")
    assert {r.code for r in user.roles.all()} == {"inspector", "approval_reviewer"}
    assert user.organization == org
    assert ("accounts.user.create", "success") in actions_since(mark)


def test_console_never_offers_two_separated_roles_and_refuses_mixing(admins, market_officer):
    client = _client(admins["system"])
    page = client.get(f"/accounts/console/system/users/edit/?user={market_officer.pk}").content.decode()
    # One select for the 三员 role: at most one can be chosen; business checkboxes exclude them.
    assert page.count('name="separated_role"') == 1
    assert 'name="roles" value="audit_admin"' not in page
    before = domain_snapshot()
    mark = audit_mark()
    response = client.post(
        "/accounts/console/system/users/edit/",
        {
            "user": market_officer.pk,
            "organization": market_officer.organization_id,
            "separated_role": "security_admin",
            "roles": ["market_officer"],
        },
    )
    assert response.status_code == 200 and "三员角色不得与业务角色兼任" in response.content.decode()
    # A forged request naming two 三员 roles in the business list is not a valid choice either.
    response = client.post(
        "/accounts/console/system/users/edit/",
        {
            "user": market_officer.pk,
            "organization": market_officer.organization_id,
            "roles": ["security_admin", "audit_admin"],
        },
    )
    assert response.status_code == 200
    assert domain_snapshot() == before
    assert actions_since(mark) == []
    assert {r.code for r in market_officer.roles.all()} == {"market_officer"}


def test_service_refuses_a_second_separated_role(admins):
    from zhujian.accounts import console_services
    from zhujian.core.errors import ValidationError

    with pytest.raises(ValidationError):
        console_services.assign_roles(
            user=admins["security"], role_codes=["security_admin", "audit_admin"], actor=admins["system"]
        )
    with pytest.raises(ValidationError):
        console_services.assign_roles(
            user=admins["security"], role_codes=["security_admin", "inspector"], actor=admins["system"]
        )
    assert [r.code for r in admins["security"].roles.all()] == ["security_admin"]


def test_system_admin_cannot_change_own_roles_or_disable_self(admins):
    client = _client(admins["system"])
    client.post("/accounts/console/system/users/active/", {"user": admins["system"].pk, "active": "0"})
    admins["system"].refresh_from_db()
    assert admins["system"].is_active


def test_disable_user_is_audited(admins, market_officer):
    mark = audit_mark()
    response = _client(admins["system"]).post(
        "/accounts/console/system/users/active/", {"user": market_officer.pk, "active": "0"}
    )
    assert response.status_code == 302
    market_officer.refresh_from_db()
    assert not market_officer.is_active
    assert ("accounts.user.disable", "success") in actions_since(mark)


def test_organisation_create_and_machine_token_issue_and_revoke(admins, city):
    client = _client(admins["system"])
    mark = audit_mark()
    response = client.post(
        "/accounts/console/system/organizations/",
        {"name": "某检测中心", "kind": "enterprise", "region_code": "320106"},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    org = Organization.objects.get(name="某检测中心")
    response = client.post(
        "/accounts/console/system/tokens/", {"organization": org.pk, "name": "检测上报", "roles": ["lab"]}
    )
    assert response.status_code == 200
    token = ApiToken.objects.get(kind=ApiToken.Kind.MACHINE, user__organization=org)
    assert token.prefix in response.content.decode()
    client.post("/accounts/console/system/tokens/revoke/", {"token": token.pk})
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert [a for a in actions_since(mark) if not a[0].startswith("accounts.console")] == [
        ("accounts.organization.create", "success"),
        ("accounts.token.issue_machine", "success"),
        ("accounts.token.revoke", "success"),
    ]


def test_security_admin_edits_role_permissions_within_bounds(admins):
    client = _client(admins["security"])
    role = Role.objects.get(code="inspector")
    page = client.get("/accounts/console/security/role/?role=inspector").content.decode()
    assert (
        'value="accounts.change_user"' not in page and 'value="accounts.' not in page
    )  # admin-only permissions are not offered
    mark = audit_mark()
    response = client.post(
        "/accounts/console/security/role/",
        {"role": "inspector", "permissions": ["registry.view_project", "registry.view_enterprise"]},
    )
    assert response.status_code == 302
    assert {p.codename for p in role.permissions.all()} == {"view_project", "view_enterprise"}
    events = AuditEvent.objects.filter(id__gt=mark, action="accounts.role.permissions")
    assert events.count() == 1 and "registry.view_project" not in json.dumps(events[0].detail["added"])


def test_separated_role_never_gets_business_permissions(admins):
    from zhujian.accounts import console_services
    from zhujian.core.errors import ValidationError

    role = Role.objects.get(code="audit_admin")
    before = set(role.permissions.all())
    mark = audit_mark()
    response = _client(admins["security"]).post(
        "/accounts/console/security/role/",
        {"role": "audit_admin", "permissions": ["audit.view_auditevent", "registry.view_project"]},
    )
    assert response.status_code == 200
    with pytest.raises(ValidationError):
        console_services.set_role_permissions(
            role=role, permission_codes=["accounts.change_user"], actor=admins["security"]
        )
    assert set(role.permissions.all()) == before
    assert ("accounts.role.permissions", "failed") in actions_since(mark)


def test_security_console_shows_policy_read_only(admins):
    html = _client(admins["security"]).get("/accounts/console/security/").content.decode()
    assert "锁定时长（分钟）" in html and "审计日志留存（天）" in html
    assert "解除锁定</button>" not in html


def test_unlock_from_the_system_console_is_audited(admins, market_officer):
    from django.utils import timezone

    from zhujian.accounts.models import LoginLock

    now = timezone.now()
    LoginLock.objects.create(
        kind="username", key="market1", locked_at=now, locked_until=now + timezone.timedelta(minutes=30)
    )
    mark = audit_mark()
    _client(admins["system"]).post("/accounts/console/system/locks/", {"kind": "username", "key": "market1"})
    assert not LoginLock.objects.exists()
    assert ("accounts.unlock", "success") in actions_since(mark)


def test_audit_trail_filters_verify_and_export(admins, market_officer):
    client = _client(admins["audit"])
    response = client.get("/audit/", {"actor": "market1", "verify": "1"})
    html = response.content.decode()
    assert response.status_code == 200 and "审计链完整" in html
    response = client.get("/audit/export/", {"action": "accounts.user"})
    lines = [json.loads(line) for line in b"".join(response.streaming_content).decode().splitlines()]
    assert lines and all(line["action"].startswith("accounts.user") for line in lines)
    assert {"id", "prev_hash", "chain_hash"} <= set(lines[0])
    actions = {e.action for e in AuditEvent.objects.filter(actor=admins["audit"])}
    assert {"audit.trail.view", "audit.trail.verify", "audit.trail.export"} <= actions
    # The audit administrator reads; there is nothing to write and no other console.
    assert client.post("/audit/").status_code == 405
