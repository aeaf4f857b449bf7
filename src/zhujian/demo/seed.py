"""Seed the demo city end to end: organisations, demo users per role, the registry.

Each module extends ``seed_city`` with its own data (DESIGN.md, Tests and benchmarks). Running it
twice is safe: the organisations and users are looked up first, and the registry is only seeded
when it is empty (``zhujian seed --projects N`` adds more on purpose).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction

from zhujian.accounts import seed as accounts_seed
from zhujian.accounts.models import ApiToken, User
from zhujian.accounts.services import create_user, issue_machine_token
from zhujian.registry import seed as registry_seed
from zhujian.registry.models import Participant, Project
from zhujian.registry.services import link_person_to_user


@dataclass(frozen=True)
class Credential:
    username: str
    password: str
    note: str


def _enterprise_user(
    username: str,
    full_name: str,
    participant: Participant | None,
    roles: tuple[str, ...],
    person_index: int = 0,
) -> None:
    if participant is None or User.objects.filter(username=username).exists():
        return
    user = create_user(
        username=username,
        full_name=full_name,
        organization=participant.organization,
        password=accounts_seed.DEMO_PASSWORD,
        role_codes=roles,
    )
    people = list(participant.organization.people.order_by("id"))
    if len(people) > person_index and people[person_index].user_id is None:
        # Link the registry person, so notifications about their projects reach the account.
        link_person_to_user(person=people[person_index], user=user)


def seed_enterprise_users() -> list[Credential]:
    def first(role: str) -> Participant | None:
        return (
            Participant.objects.filter(
                role=role, project__stage=Project.Stage.UNDER_CONSTRUCTION, project__region_id="320106"
            )
            .select_related("organization")
            .order_by("id")
            .first()
        )

    contractor = first(Participant.Role.CONTRACTOR)
    _enterprise_user("builder", "建设单位申报人", first(Participant.Role.BUILDER), ("applicant",))
    _enterprise_user("pm", "项目经理", contractor, ("project_manager",), person_index=0)
    _enterprise_user("safety", "安全员", contractor, ("safety_officer",), person_index=3)
    _enterprise_user(
        "supervisor", "监理工程师", first(Participant.Role.SUPERVISOR), ("supervising_engineer",)
    )
    return [
        Credential("builder", accounts_seed.DEMO_PASSWORD, "建设单位申报人：本单位参建项目"),
        Credential("pm", accounts_seed.DEMO_PASSWORD, "施工单位项目经理：本单位参建项目"),
        Credential("safety", accounts_seed.DEMO_PASSWORD, "施工单位安全员"),
        Credential("supervisor", accounts_seed.DEMO_PASSWORD, "监理单位监理工程师"),
    ]


def issue_lab_token() -> str | None:
    """A machine token for one testing lab, issued by the system administrator (printed once)."""
    if ApiToken.objects.filter(kind=ApiToken.Kind.MACHINE).exists():
        return None
    lab = Participant.objects.filter(role=Participant.Role.LAB).select_related("organization").first()
    admin = User.objects.filter(username="sysadmin").first()
    if lab is None or admin is None:
        return None
    _, raw = issue_machine_token(
        organization=lab.organization, name="检测报告上报接口", actor=admin, role_codes=("lab",)
    )
    return raw


def seed_city(*, projects: int = 2200, enterprises: int = 850) -> list[Credential]:
    with transaction.atomic():
        orgs = accounts_seed.seed_organizations()
        staff = accounts_seed.seed_staff_users(orgs)
    if not Project.objects.exists():
        registry_seed.seed_registry(projects=projects, enterprises=enterprises)
    enterprise_credentials = seed_enterprise_users()
    return [
        Credential(s.username, accounts_seed.DEMO_PASSWORD, s.note) for s in staff
    ] + enterprise_credentials
