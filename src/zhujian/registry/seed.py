"""Seed the registry of the demo city: enterprises with qualifications, people with certificates,
projects across the districts and stages, participants on every project.

Rows go in with ``bulk_create`` (a seed is bulk work: one audit record per kind with a count and
a digest, DESIGN.md), but every code is valid and every derived field (search tokens, masked
numbers, blind indexes) is computed by the same helpers the services use.
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from zhujian.accounts.models import Organization
from zhujian.audit import services as audit
from zhujian.core import codes, crypto, masking, search
from zhujian.registry import seed_data as data
from zhujian.registry.models import (
    Certificate,
    Enterprise,
    Participant,
    Person,
    Project,
    Qualification,
    SafetyLicense,
)
from zhujian.registry.services import ID_INDEX_PURPOSE, PHONE_INDEX_PURPOSE

USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
BATCH = 2000
STAGE_WEIGHTS = {
    Project.Stage.LAND_PLANNING: 8,
    Project.Stage.CONSTRUCTION_PLANNING: 10,
    Project.Stage.CONSTRUCTION_PERMIT: 10,
    Project.Stage.UNDER_CONSTRUCTION: 45,
    Project.Stage.COMPLETION_ACCEPTANCE: 7,
    Project.Stage.COMPLETED: 12,
    Project.Stage.ARCHIVED: 8,
}
KIND_WEIGHTS = {
    Project.Kind.BUILDING: 70,
    Project.Kind.MUNICIPAL: 20,
    Project.Kind.RAIL: 3,
    Project.Kind.LANDSCAPE: 4,
    Project.Kind.DECORATION: 3,
}
STARTED = {
    Project.Stage.UNDER_CONSTRUCTION,
    Project.Stage.COMPLETION_ACCEPTANCE,
    Project.Stage.COMPLETED,
    Project.Stage.ARCHIVED,
}
FINISHED = {Project.Stage.COMPLETED, Project.Stage.ARCHIVED}


def _pick(rng: random.Random, weights: dict[Any, int]) -> Any:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _org_code_check(body: str) -> str:
    """GB 11714 check character of an 8-character organisation code body."""
    weights = (3, 7, 9, 10, 5, 8, 4, 2)
    total = sum(int(ch, 36) * w for ch, w in zip(body, weights, strict=True))
    value = 11 - total % 11
    return "X" if value == 10 else "0" if value == 11 else str(value)


def make_uscc(rng: random.Random, region: str) -> str:
    body = "".join(rng.choice(USCC_ALPHABET[:-1]) for _ in range(8))  # org codes avoid a final Y
    first17 = "91" + region + body + _org_code_check(body)
    return first17 + codes.uscc_check_char(first17)


def make_id_number(rng: random.Random, *, male: bool) -> str:
    region = (
        rng.choice(list(data.DISTRICT_CENTRES))
        if rng.random() < 0.7
        else rng.choice(["320200", "320300", "320400", "320500", "340100", "370100", "410100"])
    )
    birth = date(1962, 1, 1) + timedelta(days=rng.randrange(0, 365 * 36))
    sequence = rng.randrange(0, 500) * 2 + (1 if male else 0)
    first17 = f"{region}{birth:%Y%m%d}{sequence:03d}"
    return first17 + codes.id_check_char(first17)


def make_phone(rng: random.Random) -> str:
    return "1" + rng.choice("3589") + "".join(str(rng.randrange(10)) for _ in range(9))


@dataclass
class SeedState:
    """What a seed run created, so later steps (and later modules' seeds) can refer to it."""

    rng: random.Random
    enterprises_by_role: dict[str, list[Enterprise]] = field(default_factory=dict)
    people_by_org: dict[int, list[Person]] = field(default_factory=dict)
    project_ids: list[int] = field(default_factory=list)
    serial: int = 0


def _unique_names(rng: random.Random, role: str, count: int, taken: set[str]) -> Iterable[str]:
    made = 0
    while made < count:
        trade = rng.choice(data.TRADE_FIRST) + rng.choice(data.TRADE_SECOND)
        prefix = rng.choice(["南京", "江苏", "南京市", "江苏省"])
        name = prefix + trade + rng.choice(data.ENTERPRISE_SUFFIXES[role])
        if name in taken:
            continue
        taken.add(name)
        made += 1
        yield name


def seed_enterprises(state: SeedState, count: int) -> list[Enterprise]:
    rng = state.rng
    taken = set(Enterprise.objects.values_list("name", flat=True))
    used_uscc = set(Enterprise.objects.values_list("uscc", flat=True))
    total_weight = sum(data.ENTERPRISE_ROLE_WEIGHTS.values())
    created: list[Enterprise] = []
    for role, weight in data.ENTERPRISE_ROLE_WEIGHTS.items():
        n = max(1, round(count * weight / total_weight))
        names = list(_unique_names(rng, role, n, taken))
        regions = [rng.choice(list(data.DISTRICT_CENTRES)) for _ in names]
        orgs = Organization.objects.bulk_create(
            [
                Organization(name=name, kind=Organization.Kind.ENTERPRISE, region_id=region)
                for name, region in zip(names, regions, strict=True)
            ],
            batch_size=BATCH,
        )
        ents = []
        for org in orgs:
            uscc = make_uscc(rng, org.region_id)
            while uscc in used_uscc:
                uscc = make_uscc(rng, org.region_id)
            used_uscc.add(uscc)
            roles = {role} | ({"designer"} if role == "surveyor" and rng.random() < 0.3 else set())
            ent = Enterprise(
                organization=org,
                uscc=uscc,
                name=org.name,
                roles="," + ",".join(sorted(roles)) + ",",
                legal_representative=rng.choice(data.SURNAMES) + "".join(rng.choices(data.GIVEN, k=2)),
                address=f"南京市{_district_name(org.region_id)}{rng.choice(data.PLACES[org.region_id])}"
                f"{rng.randrange(1, 300)}号",
                registered_capital=Decimal(rng.choice([500, 1000, 2000, 5000, 10000, 30000, 100000])) * 10000,
                established_on=date(1990, 1, 1) + timedelta(days=rng.randrange(0, 365 * 33)),
            )
            ent.search_tokens = search.index_tokens(ent.name, ent.uscc, ent.legal_representative, ent.address)
            ents.append(ent)
        ents = Enterprise.objects.bulk_create(ents, batch_size=BATCH)
        state.enterprises_by_role.setdefault(role, []).extend(ents)
        created.extend(ents)
    _seed_qualifications(state, created)
    return created


def _district_name(code: str) -> str:
    from zhujian.accounts.seed import DISTRICTS

    return DISTRICTS.get(code, "")


QUALIFICATIONS: dict[str, list[tuple[str, str, list[str]]]] = {
    "contractor": [
        ("general", "建筑工程", ["特级", "一级", "二级", "三级"]),
        ("general", "市政公用工程", ["一级", "二级", "三级"]),
        ("specialty", "地基基础工程", ["一级", "二级"]),
        ("specialty", "钢结构工程", ["一级", "二级"]),
    ],
    "supervisor": [
        ("supervision", "房屋建筑工程", ["甲级", "乙级"]),
        ("supervision", "市政公用工程", ["甲级", "乙级"]),
    ],
    "designer": [("design", "建筑行业（建筑工程）", ["甲级", "乙级"])],
    "surveyor": [("survey", "岩土工程", ["甲级", "乙级"])],
    "lab": [("testing", "建设工程质量检测", ["综合类", "专项类"])],
    "labour": [("labour", "施工劳务", ["不分等级"])],
}


def _validity(rng: random.Random) -> tuple[date, date]:
    issued = date(2020, 1, 1) + timedelta(days=rng.randrange(0, 365 * 5))
    until = issued + timedelta(days=365 * 5)
    if rng.random() < 0.05:  # a known share of lapsed certificates for the modules to find
        until = date(2025, 1, 1) + timedelta(days=rng.randrange(0, 300))
    return issued, until


def _seed_qualifications(state: SeedState, enterprises: list[Enterprise]) -> None:
    rng = state.rng
    quals: list[Qualification] = []
    licenses: list[SafetyLicense] = []
    for ent in enterprises:
        for role in ent.role_codes:
            options = QUALIFICATIONS.get(role, [])
            for category, specialty, grades in rng.sample(options, k=min(len(options), rng.randint(1, 2))):
                state.serial += 1
                issued, until = _validity(rng)
                prefix = {
                    "general": "D",
                    "specialty": "D",
                    "supervision": "E",
                    "design": "A",
                    "survey": "B",
                    "testing": "T",
                    "labour": "D",
                }[category]
                quals.append(
                    Qualification(
                        enterprise=ent,
                        category=category,
                        specialty=specialty,
                        grade=rng.choice(grades),
                        certificate_no=f"{prefix}{232000000 + state.serial:09d}",
                        issued_by="江苏省住房和城乡建设厅",
                        valid_from=issued,
                        valid_until=until,
                    )
                )
            if role == "contractor":
                issued, until = _validity(rng)
                state.serial += 1
                licenses.append(
                    SafetyLicense(
                        enterprise=ent,
                        number=f"(苏)JZ安许证字〔{issued.year}〕{state.serial:06d}",
                        issued_by="江苏省住房和城乡建设厅",
                        valid_from=issued,
                        valid_until=until,
                    )
                )
    Qualification.objects.bulk_create(quals, batch_size=BATCH)
    SafetyLicense.objects.bulk_create(licenses, batch_size=BATCH)


PEOPLE_PER_ROLE = {
    "contractor": 6,
    "supervisor": 4,
    "designer": 2,
    "surveyor": 2,
    "lab": 2,
    "builder": 2,
    "labour": 1,
}
CERTIFICATES_BY_ROLE = {
    "contractor": [
        (Certificate.Kind.CONSTRUCTOR, ["一级", "二级"], "建筑工程"),
        (Certificate.Kind.SAFETY_B, [""], ""),
        (Certificate.Kind.SAFETY_C, [""], ""),
    ],
    "supervisor": [(Certificate.Kind.SUPERVISOR, [""], "房屋建筑工程")],
}


def seed_people(state: SeedState, enterprises: list[Enterprise]) -> list[Person]:
    rng = state.rng
    used_index = set(Person.objects.values_list("id_number_index", flat=True))
    people: list[Person] = []
    for ent in enterprises:
        role = ent.role_codes[0]
        for _ in range(PEOPLE_PER_ROLE.get(role, 1)):
            male = rng.random() < 0.8
            id_number = make_id_number(rng, male=male)
            index = crypto.blind_index(id_number, purpose=ID_INDEX_PURPOSE)
            if index in used_index:
                continue
            used_index.add(index)
            phone = make_phone(rng)
            name = rng.choice(data.SURNAMES) + "".join(rng.choices(data.GIVEN, k=rng.choice([1, 2])))
            people.append(
                Person(
                    name=name,
                    gender=Person.Gender.MALE if male else Person.Gender.FEMALE,
                    id_number_cipher=crypto.encrypt_field(id_number),
                    id_number_index=index,
                    id_number_masked=masking.mask_id_number(id_number),
                    phone_cipher=crypto.encrypt_field(phone),
                    phone_index=crypto.blind_index(phone, purpose=PHONE_INDEX_PURPOSE),
                    phone_masked=masking.mask_phone(phone),
                    employer_id=ent.organization_id,
                    search_tokens=search.index_tokens(name),
                )
            )
    people = Person.objects.bulk_create(people, batch_size=BATCH)
    role_of_org = {ent.organization_id: ent.role_codes[0] for ent in enterprises}
    certs: list[Certificate] = []
    for person in people:
        assert person.employer_id is not None
        state.people_by_org.setdefault(person.employer_id, []).append(person)
        for kind, grades, specialty in CERTIFICATES_BY_ROLE.get(role_of_org[person.employer_id], [])[:1]:
            state.serial += 1
            _, until = _validity(rng)
            certs.append(
                Certificate(
                    person=person,
                    kind=kind,
                    grade=rng.choice(grades),
                    specialty=specialty,
                    number=f"苏{132000000 + state.serial:09d}",
                    registered_with_id=person.employer_id,
                    valid_until=until,
                )
            )
    # Contractors' second and third people are safety officers (C 证).
    for org_id, staff in state.people_by_org.items():
        if role_of_org.get(org_id) == "contractor":
            for person in staff[3:5]:
                state.serial += 1
                certs.append(
                    Certificate(
                        person=person,
                        kind=Certificate.Kind.SAFETY_C,
                        number=f"苏建安C（{2022}）{state.serial:07d}",
                        registered_with_id=org_id,
                        valid_until=_validity(rng)[1],
                    )
                )
    Certificate.objects.bulk_create(certs, batch_size=BATCH)
    return people


def _project_name(rng: random.Random, kind: str, place: str) -> str:
    if kind == Project.Kind.BUILDING:
        plot = rng.choice(["G", "NO.", "宁地"]) + str(rng.randrange(1, 99))
        return f"{place}{plot}地块{rng.choice(data.BUILDING_KINDS)}项目"
    if kind == Project.Kind.MUNICIPAL:
        return f"{place}{rng.choice(data.MUNICIPAL_KINDS)}"
    if kind == Project.Kind.RAIL:
        return f"南京地铁{rng.randrange(1, 15)}号线{place}站土建工程"
    if kind == Project.Kind.LANDSCAPE:
        return f"{place}{rng.choice(['公园', '滨江风光带', '街心绿地'])}景观提升工程"
    return f"{place}{rng.choice(['市民中心', '图书馆', '医院住院楼', '学校教学楼'])}装饰装修工程"


def _project(state: SeedState, today: date) -> Project:
    rng = state.rng
    region = _pick(rng, data.DISTRICT_WEIGHTS)
    kind = _pick(rng, KIND_WEIGHTS)
    stage = _pick(rng, STAGE_WEIGHTS)
    state.serial += 1
    issued = today - timedelta(days=rng.randrange(60, 365 * 5))
    code = f"{issued:%y%m}-{region}-04-01-{(state.serial * 7919) % 1_000_000:06d}"
    planned_start = issued + timedelta(days=rng.randrange(90, 400))
    planned_completion = planned_start + timedelta(days=rng.randrange(300, 1200))
    actual_start: date | None = None
    actual_completion: date | None = None
    if stage in STARTED:
        planned_start = min(planned_start, today - timedelta(days=30))
        actual_start = min(planned_start + timedelta(days=rng.randrange(-20, 90)), today - timedelta(days=10))
        if stage in FINISHED:
            actual_completion = min(
                actual_start + timedelta(days=rng.randrange(300, 1300)), today - timedelta(days=1)
            )
    status = Project.Status.NORMAL
    roll = rng.random()
    if stage == Project.Stage.UNDER_CONSTRUCTION and roll < 0.08:
        status = Project.Status.SUSPENDED
    elif stage in {Project.Stage.LAND_PLANNING, Project.Stage.CONSTRUCTION_PLANNING} and roll < 0.05:
        status = Project.Status.TERMINATED
    cx, cy = data.DISTRICT_CENTRES[region]
    building = kind == Project.Kind.BUILDING
    place = rng.choice(data.PLACES[region])
    project = Project(
        code=code,
        name=_project_name(rng, kind, place),
        kind=kind,
        nature=_pick(rng, {Project.Nature.NEW: 85, Project.Nature.REBUILD: 10, Project.Nature.EXTEND: 5}),
        region_id=region,
        address=f"南京市{_district_name(region)}{place}",
        longitude=Decimal(f"{cx + rng.uniform(-0.05, 0.05):.6f}"),
        latitude=Decimal(f"{cy + rng.uniform(-0.04, 0.04):.6f}"),
        investment=Decimal(int(rng.lognormvariate(19.5, 1.0)) // 10000 * 10000),
        floor_area=Decimal(f"{rng.uniform(3000, 250000):.2f}") if building else None,
        height=Decimal(f"{rng.uniform(12, 180):.2f}") if building else None,
        stage=stage,
        status=status,
        planned_start=planned_start,
        planned_completion=planned_completion,
        actual_start=actual_start,
        actual_completion=actual_completion,
        is_key_project=rng.random() < 0.06,
    )
    project.search_tokens = search.index_tokens(
        project.name, project.code, project.address, _district_name(region)
    )
    return project


PARTICIPANT_ROLES = [
    ("builder", Participant.Role.BUILDER, Participant.KeyRole.PROJECT_LEADER, 0),
    ("contractor", Participant.Role.CONTRACTOR, Participant.KeyRole.PROJECT_MANAGER, 0),
    ("supervisor", Participant.Role.SUPERVISOR, Participant.KeyRole.CHIEF_SUPERVISOR, 0),
    ("designer", Participant.Role.DESIGNER, Participant.KeyRole.DESIGN_LEADER, 0),
    ("surveyor", Participant.Role.SURVEYOR, Participant.KeyRole.SURVEY_LEADER, 0),
    ("lab", Participant.Role.LAB, Participant.KeyRole.LAB_LEADER, 0),
]


def seed_projects(state: SeedState, count: int, *, today: date | None = None) -> int:
    """``count`` projects with participants; commits in batches so that 100,000 fit in memory."""
    today = today or timezone.localdate()
    rng = state.rng
    state.serial = max(state.serial, Project.objects.count() + 1)
    made = 0
    while made < count:
        n = min(BATCH, count - made)
        with transaction.atomic():
            projects = Project.objects.bulk_create([_project(state, today) for _ in range(n)])
            participants: list[Participant] = []
            for project in projects:
                for role, p_role, key_role, _ in PARTICIPANT_ROLES:
                    pool = state.enterprises_by_role.get(role) or []
                    if not pool or (role == "lab" and rng.random() < 0.5):
                        continue
                    ent = rng.choice(pool)
                    people = state.people_by_org.get(ent.organization_id) or []
                    key_person = (
                        (rng.choice(people[:3]) if role == "contractor" else people[0]) if people else None
                    )
                    participants.append(
                        Participant(
                            project=project,
                            organization_id=ent.organization_id,
                            role=p_role,
                            key_person=key_person,
                            key_person_role=key_role if key_person else "",
                        )
                    )
            Participant.objects.bulk_create(participants, batch_size=BATCH)
        state.project_ids.extend(p.pk for p in projects)
        made += n
    return made


def load_state(rng: random.Random) -> SeedState:
    """Rebuild the lookup tables of an earlier seed, so that a later run can add projects."""
    state = SeedState(rng=rng)
    for ent in Enterprise.objects.only("id", "organization_id", "roles", "name"):
        state.enterprises_by_role.setdefault(ent.role_codes[0], []).append(ent)
    for person in Person.objects.only("id", "employer_id").order_by("id"):
        if person.employer_id:
            state.people_by_org.setdefault(person.employer_id, []).append(person)
    return state


def seed_registry(*, projects: int, enterprises: int, seed: int = 20261126) -> SeedState:
    rng = random.Random(seed)
    if Enterprise.objects.exists():
        state = load_state(rng)
    else:
        state = SeedState(rng=rng)
        with transaction.atomic():
            ents = seed_enterprises(state, enterprises)
            people = seed_people(state, ents)
        audit.record_bulk(
            action="registry.seed.enterprises",
            count=len(ents),
            payload_digest=crypto.sm3_hex(",".join(e.uscc for e in ents)),
            detail={"people": len(people)},
        )
    made = seed_projects(state, projects)
    audit.record_bulk(
        action="registry.seed.projects",
        count=made,
        payload_digest=crypto.sm3_hex(",".join(map(str, state.project_ids[-made:]))),
    )
    return state
