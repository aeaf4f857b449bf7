"""Roles and scope: 三员分立, permissions through RoleBackend, scope from the organisation."""

from __future__ import annotations

import pytest

from zhujian.accounts import services
from zhujian.accounts.models import Organization, User
from zhujian.accounts.roles import ROLE_BY_CODE, SEPARATED_ADMIN_CODES
from zhujian.accounts.scope import Scope, ScopeKind, scope_of
from zhujian.core.errors import ValidationError
from zhujian.registry.tests.support import audit_mark, audit_since, domain_snapshot

pytestmark = pytest.mark.django_db

PAIRS = [
    ("system_admin", "security_admin"),
    ("system_admin", "audit_admin"),
    ("security_admin", "audit_admin"),
]


def test_the_three_administrators_are_exactly_the_separated_roles():
    assert {"system_admin", "security_admin", "audit_admin"} == SEPARATED_ADMIN_CODES


@pytest.mark.parametrize("pair", PAIRS)
def test_no_user_is_created_holding_two_separated_admin_roles(city, pair):
    before, mark = domain_snapshot(), audit_mark()
    with pytest.raises(ValidationError) as caught:
        services.create_user(
            username="two_hats",
            full_name="兼任",
            organization=city.orgs["bureau"],
            password="Test-pass-123",
            role_codes=list(pair),
        )
    assert caught.value.code == "separated_admin" and caught.value.fields == {"roles": ["三员角色互斥"]}
    assert not User.objects.filter(username="two_hats").exists()
    assert domain_snapshot() == before
    assert audit_since(mark) == []


def test_all_three_at_once_is_refused_too(city):
    with pytest.raises(ValidationError):
        services.create_user(
            username="three_hats",
            full_name="三兼",
            organization=city.orgs["bureau"],
            password=None,
            role_codes=sorted(SEPARATED_ADMIN_CODES),
        )
    assert not User.objects.filter(username="three_hats").exists()


@pytest.mark.parametrize("pair", PAIRS)
def test_an_administrator_cannot_be_given_a_second_separated_role(city, pair):
    admin = city.user(f"admin_{pair[0]}", "bureau", pair[0])
    security = city.user("sec_actor", "bureau", "security_admin") if pair[0] != "security_admin" else admin
    before, mark = domain_snapshot(), audit_mark()
    with pytest.raises(ValidationError) as caught:
        services.set_user_roles(user=admin, role_codes=list(pair), actor=security)
    assert caught.value.code == "separated_admin"
    admin.refresh_from_db()
    assert [r.code for r in admin.roles.all()] == [pair[0]]
    assert domain_snapshot() == before and audit_since(mark) == []


def test_role_changes_are_audited_and_unknown_roles_refused(city):
    user = city.user("role_change", "bureau", "inspector")
    mark = audit_mark()
    services.set_user_roles(user=user, role_codes=["bureau_leader"], actor=None)
    assert [(e.action, e.object_id, e.detail) for e in audit_since(mark)] == [
        ("accounts.user.roles", str(user.pk), {"roles": ["bureau_leader"]})
    ]
    before = domain_snapshot()
    with pytest.raises(ValidationError) as caught:
        services.set_user_roles(user=user, role_codes=["bureau_leader", "emperor"], actor=None)
    assert "emperor" in caught.value.message
    assert domain_snapshot() == before
    assert [r.code for r in User.objects.get(pk=user.pk).roles.all()] == ["bureau_leader"]


def test_create_user_audits_once_with_the_roles(city):
    mark = audit_mark()
    user = services.create_user(
        username="new_staff",
        full_name="新同事",
        organization=city.orgs["bureau"],
        password="Test-pass-123",
        role_codes=["inspector", "bureau_leader"],
    )
    assert user.check_password("Test-pass-123") and user.kind == User.Kind.PERSON
    assert [(e.action, e.object_id, e.detail) for e in audit_since(mark)] == [
        ("accounts.user.create", str(user.pk), {"roles": ["bureau_leader", "inspector"]})
    ]
    assert "Test-pass-123" not in str(audit_since(mark)[0].detail)


def test_duplicate_username_is_refused(city):
    city.user("dup_user", "bureau")
    before = domain_snapshot()
    with pytest.raises(ValidationError) as caught:
        city.user("dup_user", "bureau")
    assert caught.value.fields == {"username": ["用户名已存在"]}
    assert domain_snapshot() == before


# ---------------------------------------------------------------- RoleBackend


def test_role_backend_grants_the_roles_permissions(city):
    officer = city.user("perm_officer", "建筑市场监管处", "market_officer")
    assert officer.get_all_permissions() == set(ROLE_BY_CODE["market_officer"].permissions)
    leader = city.user("perm_leader", "district:320106", "district_leader")
    assert leader.has_perm("registry.view_project") and not leader.has_perm("registry.add_project")
    nobody = city.user("perm_nobody", "bureau")
    assert nobody.get_all_permissions() == set()
    # Two roles give the union; a role change shows on the next load of the user.
    services.set_user_roles(user=nobody, role_codes=["audit_admin", "inspector"], actor=None)
    nobody = User.objects.get(pk=nobody.pk)
    assert nobody.get_all_permissions() == {"audit.view_auditevent", *ROLE_BY_CODE["inspector"].permissions}
    # An inactive user holds no permission.
    User.objects.filter(pk=officer.pk).update(is_active=False)
    assert not User.objects.get(pk=officer.pk).has_perm("registry.add_project")


def test_separated_admins_hold_no_business_permissions(city):
    for code in sorted(SEPARATED_ADMIN_CODES):
        admin = city.user(f"sep_{code}", "bureau", code)
        perms = admin.get_all_permissions()
        assert perms and not any(p.startswith("registry.") for p in perms), (code, perms)
    assert city.user("sys_perm", "bureau", "system_admin").has_perm("accounts.issue_machine_token")
    assert not city.user("sec_perm", "bureau", "security_admin").has_perm("accounts.issue_machine_token")


# ---------------------------------------------------------------- scope_of


@pytest.mark.parametrize(
    "org_key,kind,region",
    [
        ("bureau", ScopeKind.ALL, "320100"),
        ("建筑市场监管处", ScopeKind.ALL, "320100"),
        ("district:320106", ScopeKind.DISTRICT, "320106"),
        ("district:320115", ScopeKind.DISTRICT, "320115"),
        ("dept:fgw", ScopeKind.DEPARTMENT, "320100"),
    ],
)
def test_scope_of_staff_organisations(city, org_key, kind, region):
    user = city.user(f"scope_{kind}_{region}", org_key)
    org = city.orgs[org_key]
    assert scope_of(user) == Scope(kind, region, org.pk)
    assert scope_of(user).is_staff


def test_scope_of_an_enterprise_user(city, make_enterprise):
    ent = make_enterprise()
    user = services.create_user(
        username="ent_user",
        full_name="企业用户",
        organization=ent.organization,
        password=None,
        role_codes=["applicant"],
    )
    scope = scope_of(user)
    assert scope == Scope(ScopeKind.ENTERPRISE, ent.organization.region_id, ent.organization_id)
    assert not scope.is_staff


def test_scope_of_principals_without_a_usable_organisation(city):
    from django.contrib.auth.models import AnonymousUser

    assert scope_of(services.system_principal()).kind == ScopeKind.ALL
    assert scope_of(None).kind == ScopeKind.NONE
    assert scope_of(AnonymousUser()).kind == ScopeKind.NONE
    orphan = services.create_user(username="orphan", full_name="无单位", organization=None, password=None)
    assert scope_of(orphan).kind == ScopeKind.NONE
    inactive = city.user("inactive_scope", "bureau")
    inactive.is_active = False
    assert scope_of(inactive).kind == ScopeKind.NONE
    closed = services.create_organization(
        name="已撤销的区局", kind=Organization.Kind.DISTRICT_BUREAU, region_code="320104"
    )
    Organization.objects.filter(pk=closed.pk).update(is_active=False)
    staff = services.create_user(
        username="closed_org", full_name="旧区局", organization=closed, password=None
    )
    assert scope_of(User.objects.get(pk=staff.pk)).kind == ScopeKind.NONE
    assert not scope_of(User.objects.get(pk=staff.pk)).is_staff


def test_every_organisation_kind_has_a_scope(city):
    seen = {Organization.objects.get(pk=o.pk).kind for o in city.orgs.values()} | {"enterprise"}
    assert seen == set(Organization.Kind.values)


@pytest.mark.django_db
def test_role_sync_keeps_the_security_administrators_changes(city) -> None:
    from django.contrib.auth.models import Permission

    from zhujian.accounts import roles
    from zhujian.accounts.models import Role
    from zhujian.accounts.services import sync_roles

    role = Role.objects.get(code="inspector")
    export = Permission.objects.get(content_type__app_label="registry", codename="export_registry")
    view_person = Permission.objects.get(content_type__app_label="registry", codename="view_person")
    role.permissions.add(export)  # granted by the security administrator
    role.permissions.remove(view_person)  # withdrawn by the security administrator
    sync_roles()
    assert role.permissions.filter(pk=export.pk).exists()
    assert not role.permissions.filter(pk=view_person.pk).exists()
    # roles.py changes later: what it adds arrives, the administrator's choices stay.
    spec = roles.ROLE_BY_CODE["inspector"]
    spec.permissions.append("registry.add_project")
    try:
        sync_roles()
    finally:
        spec.permissions.remove("registry.add_project")
    codes = {p.codename for p in role.permissions.all()}
    assert "add_project" in codes and "export_registry" in codes and "view_person" not in codes
