"""The roles of DESIGN.md as data: code, Chinese name, and the Django permissions each carries.

Permissions are named "app_label.codename". A permission that does not exist yet (its app is not
built) is skipped by ``services.sync_roles`` so that roles can be declared ahead of modules.
"""

from __future__ import annotations

from dataclasses import dataclass, field

REGISTRY_VIEW = [
    "registry.view_project",
    "registry.view_participant",
    "registry.view_enterprise",
    "registry.view_qualification",
    "registry.view_safetylicense",
    "registry.view_person",
    "registry.view_certificate",
    "reference.view_region",
]
REGISTRY_EDIT = [
    "registry.add_project",
    "registry.change_project",
    "registry.add_participant",
    "registry.change_participant",
    "registry.add_enterprise",
    "registry.change_enterprise",
    "registry.add_qualification",
    "registry.change_qualification",
    "registry.add_safetylicense",
    "registry.change_safetylicense",
    "registry.add_person",
    "registry.change_person",
    "registry.add_certificate",
    "registry.change_certificate",
]
PROJECT_EDIT = [
    "registry.add_project",
    "registry.change_project",
    "registry.add_participant",
    "registry.change_participant",
]
EXPORT = ["registry.export_registry"]


@dataclass(frozen=True)
class RoleSpec:
    code: str
    name: str
    description: str
    permissions: list[str] = field(default_factory=list)
    separated_admin: bool = False


ROLES: list[RoleSpec] = [
    # 三员分立 (GB/T 22239 level 3): three administrators, no overlap, no business data.
    RoleSpec(
        "system_admin",
        "系统管理员",
        "管理用户、机构与系统令牌",
        [
            "accounts.view_user",
            "accounts.add_user",
            "accounts.change_user",
            "accounts.view_organization",
            "accounts.add_organization",
            "accounts.change_organization",
            "accounts.issue_machine_token",
            # reference data the bureau keeps: the working-day calendar and retired region codes
            "reference.view_workdayoverride",
            "reference.add_workdayoverride",
            "reference.change_workdayoverride",
            "reference.delete_workdayoverride",
            "reference.add_region",
            "reference.change_region",
        ],
        separated_admin=True,
    ),
    RoleSpec(
        "security_admin",
        "安全管理员",
        "管理角色、权限与安全策略",
        ["accounts.view_role", "accounts.change_role", "accounts.view_user"],
        separated_admin=True,
    ),
    RoleSpec(
        "audit_admin", "审计管理员", "只读查看审计日志", ["audit.view_auditevent"], separated_admin=True
    ),
    RoleSpec(
        "bureau_leader",
        "局领导",
        "全市数据只读、驾驶舱",
        [*REGISTRY_VIEW, *EXPORT, "registry.view_person_plaintext"],
    ),
    RoleSpec("approval_reviewer", "审批科审查人员", "受理与审查审批事项", [*REGISTRY_VIEW]),
    RoleSpec(
        "market_officer",
        "建筑市场监管人员",
        "维护企业、人员、项目主体库",
        [*REGISTRY_VIEW, *REGISTRY_EDIT, *EXPORT, "registry.view_person_plaintext"],
    ),
    RoleSpec("inspector", "质量安全监督员", "现场检查、整改、告警处置", [*REGISTRY_VIEW]),
    RoleSpec(
        "district_staff", "区住建局工作人员", "本区项目的登记与监管", [*REGISTRY_VIEW, *PROJECT_EDIT, *EXPORT]
    ),
    RoleSpec("district_leader", "区住建局领导", "本区数据只读", [*REGISTRY_VIEW, *EXPORT]),
    RoleSpec(
        "department_reviewer",
        "部门审查人员",
        "联审中审查本部门事项",
        ["registry.view_project", "registry.view_participant", "registry.view_enterprise"],
    ),
    RoleSpec(
        "applicant",
        "建设单位申报人",
        "在线申报、上传材料",
        [
            "registry.view_project",
            "registry.view_participant",
            "registry.view_enterprise",
            "registry.view_qualification",
            "registry.view_person",
            "registry.view_certificate",
        ],
    ),
    RoleSpec(
        "project_manager",
        "项目经理",
        "施工单位：日志、整改回复、工资",
        [
            "registry.view_project",
            "registry.view_participant",
            "registry.view_enterprise",
            "registry.view_person",
            "registry.view_certificate",
        ],
    ),
    RoleSpec(
        "safety_officer",
        "安全员",
        "施工单位：告警与整改",
        ["registry.view_project", "registry.view_participant"],
    ),
    RoleSpec(
        "supervising_engineer",
        "监理工程师",
        "监理单位：巡查与验收",
        ["registry.view_project", "registry.view_participant"],
    ),
    RoleSpec(
        "lab", "检测机构（系统接入）", "第三方检测机构以系统令牌上报检测报告", ["registry.view_project"]
    ),
]

ROLE_BY_CODE = {spec.code: spec for spec in ROLES}
SEPARATED_ADMIN_CODES = frozenset(spec.code for spec in ROLES if spec.separated_admin)
