"""Organisations of the demo city (南京市) and one demo user per role."""

from __future__ import annotations

from dataclasses import dataclass

from zhujian.accounts.models import Organization, User
from zhujian.accounts.services import create_user, sync_roles, system_principal

CITY = "320100"
DISTRICTS = {
    "320102": "玄武区",
    "320104": "秦淮区",
    "320105": "建邺区",
    "320106": "鼓楼区",
    "320111": "浦口区",
    "320113": "栖霞区",
    "320114": "雨花台区",
    "320115": "江宁区",
    "320116": "六合区",
    "320117": "溧水区",
    "320118": "高淳区",
}
BUREAU_DEPARTMENTS = ["行政审批处", "建设工程质量安全监督站", "建筑市场监管处", "城建档案馆"]
# department_kind codes are what approvals route review items by.
OUTSIDE_DEPARTMENTS = [
    ("fgw", "发展和改革委员会"),
    ("ghzy", "规划和自然资源局"),
    ("sthj", "生态环境局"),
    ("rf", "人民防空办公室"),
    ("cz", "财政局"),
]
DEMO_PASSWORD = "Zhujian@2026"


@dataclass(frozen=True)
class DemoUser:
    username: str
    full_name: str
    org_key: str
    roles: tuple[str, ...]
    note: str


def seed_organizations() -> dict[str, Organization]:
    """The bureau, its departments, the district bureaus and the outside departments (idempotent)."""
    orgs: dict[str, Organization] = {}
    bureau, _ = Organization.objects.get_or_create(
        kind=Organization.Kind.BUREAU,
        region_id=CITY,
        name="南京市住房和城乡建设局",
        defaults={"department_kind": "zj"},
    )
    orgs["bureau"] = bureau
    for name in BUREAU_DEPARTMENTS:
        orgs[name], _ = Organization.objects.get_or_create(
            kind=Organization.Kind.BUREAU_DEPARTMENT,
            region_id=CITY,
            name=f"南京市住房和城乡建设局{name}",
            defaults={"parent": bureau, "department_kind": "zj"},
        )
    for code, district in DISTRICTS.items():
        orgs[f"district:{code}"], _ = Organization.objects.get_or_create(
            kind=Organization.Kind.DISTRICT_BUREAU,
            region_id=code,
            name=f"南京市{district}住房和城乡建设局",
            defaults={"department_kind": "zj"},
        )
    for kind, name in OUTSIDE_DEPARTMENTS:
        orgs[f"dept:{kind}"], _ = Organization.objects.get_or_create(
            kind=Organization.Kind.OUTSIDE_DEPARTMENT,
            region_id=CITY,
            name=f"南京市{name}",
            defaults={"department_kind": kind},
        )
    return orgs


STAFF_USERS = [
    DemoUser("sysadmin", "周系统", "bureau", ("system_admin",), "系统管理员（三员）"),
    DemoUser("secadmin", "吴安全", "bureau", ("security_admin",), "安全管理员（三员）"),
    DemoUser("auditadmin", "郑审计", "bureau", ("audit_admin",), "审计管理员（三员）"),
    DemoUser("leader", "王局长", "bureau", ("bureau_leader",), "局领导：全市只读"),
    DemoUser("reviewer", "李审批", "行政审批处", ("approval_reviewer",), "审批科审查人员"),
    DemoUser("market", "赵市场", "建筑市场监管处", ("market_officer",), "建筑市场监管：维护主体库"),
    DemoUser("inspector", "钱监督", "建设工程质量安全监督站", ("inspector",), "质量安全监督员"),
    DemoUser("gulou", "孙鼓楼", "district:320106", ("district_staff",), "鼓楼区住建局：仅本区"),
    DemoUser("gulou_leader", "冯区长", "district:320106", ("district_leader",), "鼓楼区住建局领导"),
    DemoUser("jiangning", "陈江宁", "district:320115", ("district_staff",), "江宁区住建局：仅本区"),
    DemoUser("fgw", "褚发改", "dept:fgw", ("department_reviewer",), "发改委审查人员（联审）"),
]


def seed_staff_users(orgs: dict[str, Organization]) -> list[DemoUser]:
    sync_roles()
    system_principal()
    for spec in STAFF_USERS:
        if not User.objects.filter(username=spec.username).exists():
            create_user(
                username=spec.username,
                full_name=spec.full_name,
                organization=orgs[spec.org_key],
                password=DEMO_PASSWORD,
                role_codes=spec.roles,
            )
    return STAFF_USERS
