"""The registry's write path (registry.services): validation with Chinese field messages, scope and
permission checks, encryption of personal data, and exactly one audit record per write.

Every failing call is checked for what it leaves behind: no domain row changes and no success
audit record.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from zhujian.accounts.models import Organization
from zhujian.audit.models import AuditEvent
from zhujian.core import codes, crypto
from zhujian.core.errors import PermissionDenied, ValidationError
from zhujian.registry import services
from zhujian.registry.models import (
    Certificate,
    Enterprise,
    Participant,
    Person,
    Project,
    Qualification,
    SafetyLicense,
)
from zhujian.registry.tests.support import audit_mark, audit_since, domain_snapshot, has_chinese
from zhujian.testing import project_code, valid_id_number, valid_uscc

pytestmark = pytest.mark.django_db


@pytest.fixture
def officer(market_officer):
    """建筑市场监管处: may write everything in the registry and see plaintext."""
    return market_officer


def _rejected(call: Callable[[], Any], *fields: str, code: str | None = None) -> ValidationError:
    """Run a call that must fail validation: the error names ``fields`` in Chinese, the domain
    tables are unchanged and no success is audited."""
    before, mark = domain_snapshot(), audit_mark()
    with pytest.raises(ValidationError) as caught:
        call()
    error = caught.value
    assert has_chinese(error.message)
    for field in fields:
        assert field in error.fields, (field, error.fields)
        assert all(has_chinese(m) for m in error.fields[field])
    if code is not None:
        assert error.code == code
    assert domain_snapshot() == before, "a refused write changed domain rows"
    assert [e for e in audit_since(mark) if e.outcome == "success"] == []
    return error


def _one_audit(mark: int, action: str, obj: Any, actor: Any) -> AuditEvent:
    events = audit_since(mark)
    assert [(e.action, e.outcome) for e in events] == [(action, "success")]
    event = events[0]
    assert event.actor_id == actor.pk
    assert event.object_type == obj._meta.label_lower and event.object_id == str(obj.pk)
    return event


def _id_number_ending_in_x() -> str:
    for seq in range(1, 1000):
        first17 = f"32010619850101{seq:03d}"
        if codes.id_check_char(first17) == "X":
            return first17 + "X"
    raise AssertionError("no X check digit found")


# ---------------------------------------------------------------- enterprises


def test_create_enterprise_normalises_code_and_audits_once(officer):
    uscc = valid_uscc(11)
    messy = " ".join([uscc[:6], uscc[6:]]).lower()  # pasted with a space, typed lower-case
    mark = audit_mark()
    ent = services.create_enterprise(
        actor=officer,
        uscc=messy,
        name=" 南京示范建设有限公司 ",
        roles=["contractor", "builder", "contractor"],
        legal_representative="张三",
        registered_capital="50000000",
    )
    ent.refresh_from_db()
    assert ent.uscc == uscc
    assert ent.name == ent.organization.name == "南京示范建设有限公司"
    assert ent.organization.kind == Organization.Kind.ENTERPRISE
    assert ent.role_codes == ["builder", "contractor"]
    assert str(ent.registered_capital) == "50000000.00"
    _one_audit(mark, "registry.enterprise.create", ent, officer)


@pytest.mark.parametrize("bad", ["", "91320106MA1X", "91320106MA1XXXXXXI", "913201067XXXXXXXX0"])
def test_create_enterprise_bad_uscc_writes_nothing(officer, bad):
    _rejected(
        lambda: services.create_enterprise(actor=officer, uscc=bad, name="某公司", roles=["builder"]),
        "uscc",
        code="validation_error",
    )


def test_create_enterprise_lists_every_problem_in_one_answer(officer):
    error = _rejected(
        lambda: services.create_enterprise(
            actor=officer,
            uscc="123",
            name="  ",
            roles=["pirate"],
            registered_capital="-1",
            region_code="999999",
        ),
        "uscc",
        "name",
        "roles",
        "registered_capital",
        "region_code",
    )
    assert error.fields["roles"] == ["企业类型无效：pirate"]


def test_duplicate_enterprise_is_refused(officer, make_enterprise):
    ent = make_enterprise()
    error = _rejected(
        lambda: services.create_enterprise(
            actor=officer, uscc=ent.uscc.lower(), name="另一家公司", roles=["builder"]
        ),
        "uscc",
    )
    assert error.fields["uscc"] == ["该统一社会信用代码已登记"]
    assert Enterprise.objects.filter(uscc=ent.uscc).count() == 1


def test_update_enterprise_keeps_organisation_name_in_step(officer, make_enterprise):
    ent = make_enterprise()
    mark = audit_mark()
    services.update_enterprise(
        actor=officer,
        enterprise=ent,
        changes={"name": "更名后建设有限公司", "address": "南京市鼓楼区中山路1号"},
    )
    ent.refresh_from_db()
    ent.organization.refresh_from_db()
    assert ent.name == ent.organization.name == "更名后建设有限公司"
    event = _one_audit(mark, "registry.enterprise.update", ent, officer)
    assert event.detail == {"fields": ["address", "name"]}


@pytest.mark.parametrize(
    "changes,field",
    [
        ({"uscc": valid_uscc(3)}, "uscc"),
        ({"organization": 1}, "organization"),
        ({"name": "新名", "search_tokens": "x"}, "search_tokens"),
    ],
)
def test_update_enterprise_refuses_mass_assignment(officer, make_enterprise, changes, field):
    ent = make_enterprise()
    _rejected(
        lambda: services.update_enterprise(actor=officer, enterprise=ent, changes=changes),
        field,
        code="field_not_editable",
    )
    ent.refresh_from_db()
    assert ent.name != "新名"


def test_update_enterprise_invalid_value_changes_nothing(officer, make_enterprise):
    ent = make_enterprise()
    _rejected(
        lambda: services.update_enterprise(
            actor=officer, enterprise=Enterprise.objects.get(pk=ent.pk), changes={"name": "", "roles": []}
        ),
        "name",
        "roles",
    )


def test_renaming_to_another_enterprises_name_is_refused_not_a_crash(officer, make_enterprise):
    taken = make_enterprise(name="南京第一建设有限公司")
    ent = make_enterprise(name="南京第二建设有限公司")
    fresh = Enterprise.objects.get(pk=ent.pk)
    error = _rejected(
        lambda: services.update_enterprise(actor=officer, enterprise=fresh, changes={"name": taken.name}),
        "name",
    )
    assert error.code == "duplicate"
    ent.refresh_from_db()
    assert ent.name == ent.organization.name == "南京第二建设有限公司"


# ---------------------------------------------------------------- persons


def test_person_id_number_is_encrypted_masked_and_indexed(officer):
    id_number = valid_id_number(5, male=False)
    mark = audit_mark()
    person = services.create_person(actor=officer, name="李四", id_number=id_number, phone="138 1234 5678")
    stored = Person.objects.get(pk=person.pk)
    assert id_number not in stored.id_number_cipher and id_number[-8:] not in stored.id_number_cipher
    assert "13812345678" not in stored.phone_cipher
    assert stored.id_number_masked == id_number[:3] + "*" * 11 + id_number[-4:]
    assert stored.phone_masked == "138****5678"
    assert stored.gender == Person.Gender.FEMALE
    assert stored.id_number_index == crypto.blind_index(id_number, purpose=services.ID_INDEX_PURPOSE)
    assert id_number not in stored.id_number_index
    assert crypto.decrypt_field(stored.id_number_cipher) == id_number
    event = _one_audit(mark, "registry.person.create", person, officer)
    assert id_number not in str(event.detail) and id_number not in event.object_repr
    assert event.detail == {"id_number": stored.id_number_masked}
    # Neither plaintext is in any column of the row.
    row = Person.objects.filter(pk=person.pk).values().get()
    assert not [k for k, v in row.items() if id_number in str(v) or "13812345678" in str(v)]


def test_same_id_number_encrypts_differently_but_indexes_the_same(officer):
    id_number = valid_id_number(6)
    first = services.create_person(actor=officer, name="甲", id_number=id_number)
    assert crypto.encrypt_field(id_number) != first.id_number_cipher  # random nonce per encryption
    # A duplicate is found through the blind index even when typed differently (x, full width).
    x_number = _id_number_ending_in_x()
    services.create_person(actor=officer, name="乙", id_number=x_number)
    full_width = x_number[:-1].translate(str.maketrans("0123456789", "０１２３４５６７８９")) + "x"
    for again in (id_number, x_number.lower(), full_width):
        error = _rejected(
            lambda again=again: services.create_person(actor=officer, name="丙", id_number=again), "id_number"
        )
        assert error.fields["id_number"] == ["该身份证号已登记"]
    assert Person.objects.count() == 2


@pytest.mark.parametrize(
    "bad,field",
    [
        ("32010619850101001", "id_number"),  # 17 digits
        ("320106198501010010", "id_number"),  # wrong check digit (8 is right)
        ("320106199002300011", "id_number"),  # 30 February
        ("990106198501010011", "id_number"),  # no such province
    ],
)
def test_create_person_bad_id_number_writes_nothing(officer, bad, field):
    _rejected(lambda: services.create_person(actor=officer, name="王五", id_number=bad), field)


def test_create_person_bad_phone_and_empty_name(officer):
    _rejected(
        lambda: services.create_person(
            actor=officer, name="", id_number=valid_id_number(), phone="2381234567"
        ),
        "phone",
        "name",
    )


def test_reveal_needs_permission_and_every_attempt_is_audited(city, officer):
    id_number = valid_id_number(7)
    person = services.create_person(actor=officer, name="赵六", id_number=id_number, phone="13912345678")
    mark = audit_mark()
    assert services.reveal_person(actor=officer, person=person) == {
        "id_number": id_number,
        "phone": "13912345678",
    }
    event = _one_audit(mark, "registry.person.reveal", person, officer)
    assert id_number not in str(event.detail)

    staff = city.user("gulou_reveal", "district:320106", "district_staff")
    assert not staff.has_perm("registry.view_person_plaintext")
    before, mark = domain_snapshot(), audit_mark()
    with pytest.raises(PermissionDenied) as caught:
        services.reveal_person(actor=staff, person=person)
    assert has_chinese(caught.value.message)
    assert domain_snapshot() == before
    events = audit_since(mark)
    assert [(e.action, e.outcome, e.actor_id) for e in events] == [
        ("registry.person.reveal", "denied", staff.pk)
    ]


def test_update_person_reencrypts_phone_and_refuses_id_number(officer, make_person):
    person = make_person(phone="13800000000")
    old_cipher = person.phone_cipher
    mark = audit_mark()
    services.update_person(actor=officer, person=person, changes={"phone": "13911112222"})
    person.refresh_from_db()
    assert person.phone_cipher != old_cipher and "13911112222" not in person.phone_cipher
    assert person.phone_masked == "139****2222"
    assert crypto.decrypt_field(person.phone_cipher) == "13911112222"
    _one_audit(mark, "registry.person.update", person, officer)
    _rejected(
        lambda: services.update_person(
            actor=officer, person=person, changes={"id_number": valid_id_number()}
        ),
        "id_number",
        code="field_not_editable",
    )
    _rejected(
        lambda: services.update_person(
            actor=officer, person=Person.objects.get(pk=person.pk), changes={"phone": "12"}
        ),
        "phone",
    )


# ---------------------------------------------------------------- projects


def test_create_project_audits_once_and_indexes(officer):
    mark = audit_mark()
    code = project_code("320106")
    project = services.create_project(
        actor=officer,
        code=code,
        name="鼓楼区某小学改扩建工程",
        region_code="320106",
        investment="12000000",
        planned_start=date(2025, 3, 1),
        planned_completion=date(2026, 6, 30),
    )
    project.refresh_from_db()
    assert project.code == code and project.region_id == "320106"
    assert project.stage == Project.Stage.LAND_PLANNING and project.status == Project.Status.NORMAL
    assert "小学" in project.search_tokens.split()
    event = _one_audit(mark, "registry.project.create", project, officer)
    assert event.detail == {}


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "2405-320106-04-01",
        "2405_320106_04_01_000001",
        "1905-320106-04-01-000001",
        "2405-32O106-04-01-000001",
        "9912-320106-04-01-000001",
    ],
)
def test_create_project_bad_code_writes_nothing(officer, bad):
    _rejected(
        lambda: services.create_project(actor=officer, code=bad, name="项目", region_code="320106"), "code"
    )


@pytest.mark.parametrize(
    "region,message",
    [
        ("320100", "项目所在区须为本市的区（县）"),  # the city itself
        ("320200", "项目所在区须为本市的区（县）"),  # 无锡市
        ("320205", "项目所在区须为本市的区（县）"),  # a district of 无锡
        ("999999", "行政区划不存在"),
    ],
)
def test_project_region_must_be_a_district_of_nanjing(officer, region, message):
    error = _rejected(
        lambda: services.create_project(
            actor=officer, code=project_code("320106"), name="项目", region_code=region
        ),
        "region_code",
    )
    assert error.fields["region_code"] == [message]


def test_district_staff_register_projects_only_in_their_district(city):
    staff = city.user("gulou_staff", "district:320106", "district_staff")
    error = _rejected(
        lambda: services.create_project(
            actor=staff, code=project_code("320102"), name="玄武项目", region_code="320102"
        ),
        "region_code",
    )
    assert error.fields["region_code"] == ["只能登记本区的项目"]
    mark = audit_mark()
    project = services.create_project(
        actor=staff, code=project_code("320106"), name="鼓楼项目", region_code="320106"
    )
    _one_audit(mark, "registry.project.create", project, staff)


def test_unknown_region_inside_project_code_is_accepted_with_a_warning(officer):
    mark = audit_mark()
    project = services.create_project(
        actor=officer, code="2405-329999-04-01-000777", name="区划待核实项目", region_code="320106"
    )
    assert project.warnings == ["项目代码中的行政区划 329999 不在区划表中，请核实"]
    assert Project.objects.filter(code="2405-329999-04-01-000777").exists()
    event = _one_audit(mark, "registry.project.create", project, officer)
    assert event.detail == {"warnings": project.warnings}


def test_duplicate_project_code_is_refused(officer, make_project):
    project = make_project()
    error = _rejected(
        lambda: services.create_project(
            actor=officer, code=project.code.replace("-", "－"), name="重复", region_code="320106"
        ),
        "code",
    )
    assert error.fields["code"] == ["该项目代码已登记"]


@pytest.mark.parametrize(
    "field,value",
    [
        ("stage", Project.Stage.UNDER_CONSTRUCTION),
        ("status", Project.Status.TERMINATED),
        ("search_tokens", "x"),
        ("id", 999),
        ("created_at", "2020-01-01"),
    ],
)
def test_create_project_refuses_mass_assignment(officer, field, value):
    _rejected(
        lambda: services.create_project(
            actor=officer, code=project_code(), name="项目", region_code="320106", **{field: value}
        ),
        field,
        code="field_not_editable",
    )


@pytest.mark.parametrize(
    "changes",
    [
        {"stage": Project.Stage.COMPLETED},
        {"status": Project.Status.SUSPENDED},
        {"region_code": "320102"},
        {"region": "320102"},
        {"code": "2405-320106-04-01-999999"},
        {"name": "改名", "stage": Project.Stage.ARCHIVED},
    ],
)
def test_update_project_refuses_stage_status_region_and_code(officer, make_project, changes):
    project = make_project()
    error = _rejected(
        lambda: services.update_project(actor=officer, project=project, changes=changes),
        code="field_not_editable",
    )
    assert set(error.fields) == set(changes) - {"name"}
    project.refresh_from_db()
    assert project.stage == Project.Stage.LAND_PLANNING and project.status == Project.Status.NORMAL
    assert project.region_id == "320106" and project.name != "改名"


@pytest.mark.parametrize(
    "changes,field",
    [
        ({"planned_start": date(2025, 5, 1), "planned_completion": date(2025, 4, 30)}, "planned_completion"),
        ({"actual_start": date(2025, 5, 1), "actual_completion": date(2024, 1, 1)}, "actual_completion"),
        ({"investment": "-5"}, "investment"),
        ({"investment": "abc"}, "investment"),
        ({"investment": "NaN"}, "investment"),
        ({"height": "1e9"}, "height"),
        ({"longitude": "200"}, "longitude"),
        ({"latitude": "北纬"}, "latitude"),
        ({"longitude": "NaN"}, "longitude"),
        ({"latitude": "sNaN"}, "latitude"),
        ({"investment": "1e14"}, "investment"),
        ({"investment": "99999999999999.999"}, "investment"),
        ({"kind": "castle"}, "kind"),
        ({"name": ""}, "name"),
        ({"name": "长" * 201}, "name"),
    ],
)
def test_update_project_invalid_values_change_nothing(officer, make_project, changes, field):
    project = make_project()
    _rejected(
        lambda: services.update_project(
            actor=officer, project=Project.objects.get(pk=project.pk), changes=changes
        ),
        field,
    )


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    field=st.sampled_from(["investment", "floor_area", "height", "longitude", "latitude"]),
    value=st.one_of(
        st.decimals(allow_nan=True, allow_infinity=True),
        st.sampled_from(
            [
                "1e14",
                "99999999999999.99",
                "1e13",
                "9999999999999.995",
                "9999999999999.99",
                "1e9",
                "999999999.99",
                "999.999",
                "1000",
                "180.0000001",
                "-90",
                "NaN",
                "-Infinity",
                "sNaN",
                "1e-30",
                "-0",
            ]
        ),
    ),
)
def test_any_number_is_refused_or_stored_so_the_row_reads_back(officer, make_project, field, value):
    """A number the columns cannot hold must be refused: on SQLite it would be written and then
    make the row unreadable; on PostgreSQL the write itself would fail."""
    project = make_project()
    try:
        services.update_project(actor=officer, project=project, changes={field: value})
    except ValidationError as exc:
        assert list(exc.fields) == [field] and has_chinese(exc.fields[field][0])
        return
    stored = getattr(Project.objects.get(pk=project.pk), field)  # reading the row back must work
    places = Decimal("0.000001") if field in ("longitude", "latitude") else Decimal("0.01")
    assert stored == Decimal(str(value)).quantize(places)


def test_update_project_audits_the_changed_fields(officer, make_project):
    project = make_project(name="旧名称")
    mark = audit_mark()
    services.update_project(
        actor=officer,
        project=project,
        changes={"name": "新名称工程", "is_key_project": True, "latitude": "32.05"},
    )
    project.refresh_from_db()
    assert project.name == "新名称工程" and project.is_key_project and str(project.latitude) == "32.050000"
    assert "新名" in project.search_tokens.split()
    event = _one_audit(mark, "registry.project.update", project, officer)
    assert event.detail == {"fields": ["is_key_project", "latitude", "name"]}


# ---------------------------------------------------------------- participants


def test_add_participant_with_key_person(officer, make_project, make_enterprise, make_person):
    project, ent = make_project(), make_enterprise()
    manager = make_person(employer=ent.organization)
    mark = audit_mark()
    participant = services.add_participant(
        actor=officer,
        project=project,
        organization=ent.organization,
        role="contractor",
        key_person=manager,
        key_person_role="project_manager",
    )
    rows = Participant.objects.filter(project=project, organization=ent.organization, key_person=manager)
    assert rows.count() == 1
    event = _one_audit(mark, "registry.participant.create", participant, officer)
    assert event.detail == {"project": project.pk}


def test_participant_must_be_an_enterprise(city, officer, make_project):
    project = make_project()
    error = _rejected(
        lambda: services.add_participant(
            actor=officer, project=project, organization=city.orgs["bureau"], role="builder"
        ),
        "organization",
    )
    assert error.fields["organization"] == ["参建单位必须是企业"]


def test_key_person_must_belong_to_the_organisation(officer, make_project, make_enterprise, make_person):
    project, ent, other = make_project(), make_enterprise(), make_enterprise()
    outsider = make_person(employer=other.organization)
    unemployed = make_person()
    for person in (outsider, unemployed):
        _rejected(
            lambda person=person: services.add_participant(
                actor=officer,
                project=project,
                organization=ent.organization,
                role="contractor",
                key_person=person,
                key_person_role="project_manager",
            ),
            "key_person",
        )


def test_duplicate_participant_and_bad_roles_are_refused(officer, make_project, make_enterprise):
    project, ent = make_project(), make_enterprise()
    services.add_participant(actor=officer, project=project, organization=ent.organization, role="contractor")
    _rejected(
        lambda: services.add_participant(
            actor=officer, project=project, organization=ent.organization, role="contractor"
        ),
        "organization",
    )
    _rejected(
        lambda: services.add_participant(
            actor=officer,
            project=project,
            organization=ent.organization,
            role="owner",
            key_person_role="boss",
        ),
        "role",
        "key_person_role",
    )
    # The same unit in another role is a different participation.
    services.add_participant(actor=officer, project=project, organization=ent.organization, role="designer")
    assert Participant.objects.filter(project=project).count() == 2


# ---------------------------------------------------------------- qualifications, licences, certificates


def test_qualification_and_licence_numbers_are_unique_and_dates_ordered(officer, make_enterprise):
    ent, other = make_enterprise(), make_enterprise()
    mark = audit_mark()
    qual = services.add_qualification(
        actor=officer,
        enterprise=ent,
        category="general",
        specialty="建筑工程",
        grade="一级",
        certificate_no="D132000001",
        valid_from=date(2021, 1, 1),
        valid_until=date(2026, 1, 1),
    )
    _one_audit(mark, "registry.qualification.create", qual, officer)
    _rejected(
        lambda: services.add_qualification(
            actor=officer,
            enterprise=other,
            category="general",
            specialty="市政",
            grade="二级",
            certificate_no="D132000001",
            valid_until=date(2027, 1, 1),
        ),
        "certificate_no",
    )
    _rejected(
        lambda: services.add_qualification(
            actor=officer,
            enterprise=ent,
            category="general",
            specialty="市政",
            grade="二级",
            certificate_no="D132000002",
            valid_from=date(2024, 1, 2),
            valid_until=date(2024, 1, 1),
        ),
        "valid_until",
    )
    _rejected(
        lambda: services.add_qualification(
            actor=officer,
            enterprise=ent,
            category="wizardry",
            specialty="",
            grade="",
            certificate_no="",
            valid_until=None,
        ),
        "category",
        "specialty",
        "grade",
        "certificate_no",
        "valid_until",
    )
    assert Qualification.objects.count() == 1

    mark = audit_mark()
    lic = services.add_safety_license(
        actor=officer, enterprise=ent, number="(苏)JZ安许证字[2021]000001", valid_until=date(2027, 1, 1)
    )
    _one_audit(mark, "registry.safety_license.create", lic, officer)
    _rejected(
        lambda: services.add_safety_license(
            actor=officer,
            enterprise=other,
            number=" (苏)JZ安许证字[2021]000001 ",
            valid_until=date(2027, 1, 1),
        ),
        "number",
    )
    _rejected(
        lambda: services.add_safety_license(
            actor=officer,
            enterprise=ent,
            number="X-2",
            valid_from=date(2027, 1, 2),
            valid_until=date(2027, 1, 1),
        ),
        "valid_until",
    )
    assert SafetyLicense.objects.count() == 1


def test_certificate_number_unique_and_registered_with_employer(officer, make_enterprise, make_person):
    ent = make_enterprise()
    person = make_person(employer=ent.organization)
    mark = audit_mark()
    cert = services.add_certificate(
        actor=officer,
        person=person,
        kind="constructor",
        number="苏132000001",
        grade="一级",
        valid_until=date(2028, 1, 1),
    )
    assert cert.registered_with_id == ent.organization_id
    _one_audit(mark, "registry.certificate.create", cert, officer)
    other = make_person()
    _rejected(
        lambda: services.add_certificate(
            actor=officer,
            person=other,
            kind="constructor",
            number="苏132000001",
            valid_until=date(2028, 1, 1),
        ),
        "number",
    )
    _rejected(
        lambda: services.add_certificate(
            actor=officer, person=other, kind="astronaut", number="", valid_until=None
        ),
        "kind",
        "number",
        "valid_until",
    )
    assert Certificate.objects.count() == 1


# ---------------------------------------------------------------- permissions

WRITES: dict[str, Callable[[Any, dict[str, Any]], Any]] = {
    "create_enterprise": lambda actor, w: services.create_enterprise(
        actor=actor, uscc=valid_uscc(99), name="无权企业", roles=["builder"]
    ),
    "update_enterprise": lambda actor, w: services.update_enterprise(
        actor=actor, enterprise=w["enterprise"], changes={"address": "新地址"}
    ),
    "add_qualification": lambda actor, w: services.add_qualification(
        actor=actor,
        enterprise=w["enterprise"],
        category="general",
        specialty="建筑工程",
        grade="一级",
        certificate_no="Q-NO-PERM",
        valid_until=date(2030, 1, 1),
    ),
    "add_safety_license": lambda actor, w: services.add_safety_license(
        actor=actor, enterprise=w["enterprise"], number="L-NO-PERM", valid_until=date(2030, 1, 1)
    ),
    "create_person": lambda actor, w: services.create_person(
        actor=actor, name="无权", id_number=valid_id_number(98)
    ),
    "update_person": lambda actor, w: services.update_person(
        actor=actor, person=w["person"], changes={"name": "改名"}
    ),
    "add_certificate": lambda actor, w: services.add_certificate(
        actor=actor, person=w["person"], kind="constructor", number="C-NO-PERM", valid_until=date(2030, 1, 1)
    ),
    "create_project": lambda actor, w: services.create_project(
        actor=actor, code=project_code(), name="无权项目", region_code="320106"
    ),
    "update_project": lambda actor, w: services.update_project(
        actor=actor, project=w["project"], changes={"name": "改名"}
    ),
    "add_participant": lambda actor, w: services.add_participant(
        actor=actor, project=w["project"], organization=w["enterprise"].organization, role="contractor"
    ),
}


@pytest.mark.parametrize("write", sorted(WRITES))
def test_write_without_permission_is_refused_unchanged_and_audited(
    city, make_enterprise, make_person, make_project, write
):
    world = {"enterprise": make_enterprise(), "person": make_person(), "project": make_project()}
    leader = city.user("gulou_leader_t", "district:320106", "district_leader")  # read-only role
    before, mark = domain_snapshot(), audit_mark()
    with pytest.raises(PermissionDenied):
        WRITES[write](leader, world)
    assert domain_snapshot() == before
    events = audit_since(mark)
    assert [(e.action, e.outcome, e.actor_id) for e in events] == [("access.denied", "denied", leader.pk)]


@pytest.mark.django_db
def test_link_person_to_user_is_audited_and_exclusive(city, make_person, market_officer) -> None:
    from zhujian.audit.models import AuditEvent
    from zhujian.registry.services import link_person_to_user

    person = make_person(name="周工")
    first = city.user("pm_first", "bureau", "inspector")
    second = city.user("pm_second", "bureau", "inspector")
    link_person_to_user(person=person, user=first, actor=market_officer)
    first.refresh_from_db()
    assert person.user_id == first.pk and first.full_name == "周工"
    assert (
        AuditEvent.objects.filter(action="registry.person.link_user", object_id=str(person.pk)).count() == 1
    )
    with pytest.raises(ValidationError):
        link_person_to_user(person=person, user=second, actor=market_officer)
    person.refresh_from_db()
    assert person.user_id == first.pk
