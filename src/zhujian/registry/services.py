"""Every write to the registry (DESIGN.md, One write path).

Each function owns its transaction, validates (Chinese messages naming the field), checks the
actor's permission and scope, audits, and keeps the search tokens in step.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from zhujian.accounts.models import Organization
from zhujian.accounts.scope import ScopeKind, scope_of
from zhujian.audit import services as audit
from zhujian.audit.access import require_permission
from zhujian.core import codes, crypto, masking, search, uploads
from zhujian.core.errors import DomainError, PermissionDenied, ValidationError
from zhujian.reference.models import Region
from zhujian.registry.models import (
    Attachment,
    Certificate,
    Enterprise,
    EnterpriseRole,
    Participant,
    Person,
    Project,
    Qualification,
    SafetyLicense,
)

CITY_CODE = "320100"
ID_INDEX_PURPOSE = "person.id_number"
PHONE_INDEX_PURPOSE = "person.phone"


class Errors:
    """Collects field errors so that one answer lists every problem of a form."""

    def __init__(self) -> None:
        self.fields: dict[str, list[str]] = {}

    def add(self, field: str, message: str) -> None:
        self.fields.setdefault(field, []).append(message)

    def check(self, field: str, fn: Any, value: Any) -> Any:
        try:
            return fn(value)
        except DomainError as exc:
            self.add(field, exc.message)
            return None

    def raise_if_any(self, message: str = "输入有误，请检查标注的字段") -> None:
        if self.fields:
            raise ValidationError(message, fields=self.fields)


def _require_perm(actor: Any, perm: str) -> None:
    require_permission(actor, perm)


def _text(
    errors: Errors, field: str, value: Any, label: str, *, required: bool = True, max_length: int = 200
) -> str:
    text = ("" if value is None else str(value)).strip()
    if required and not text:
        errors.add(field, f"请填写{label}")
    elif len(text) > max_length:
        errors.add(field, f"{label}不能超过 {max_length} 个字符")
    return text


def _decimal(errors: Errors, field: str, value: Any, label: str, *, max_value: Decimal) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        errors.add(field, f"{label}必须是数字")
        return None
    # ``max_value`` is exclusive and fits the column (max_digits): a value that does not fit fails
    # on PostgreSQL and, on SQLite, is written but makes the row unreadable.
    if not number.is_finite() or number < 0 or number >= max_value:
        errors.add(field, f"{label}须在 0 到 {max_value:f} 之间")
        return None
    number = number.quantize(Decimal("0.01"))
    if number >= max_value:  # rounding to cents carried it up to the bound (99.999 → 100.00)
        errors.add(field, f"{label}须在 0 到 {max_value:f} 之间")
        return None
    return number


def _choice(errors: Errors, field: str, value: Any, choices: Any, label: str) -> str:
    if value not in choices.values:
        errors.add(field, f"{label}无效")
    return str(value)


def _region(errors: Errors, field: str, code: Any, on: date | None = None) -> Region | None:
    region = Region.objects.filter(code=str(code or "")).first()
    if region is None:
        errors.add(field, "行政区划不存在")
        return None
    if not region.is_valid_on(on or timezone.localdate()):
        errors.add(field, "行政区划已撤销")
    return region


# ---------------------------------------------------------------- enterprises


def _enterprise_tokens(ent: Enterprise) -> str:
    return search.index_tokens(ent.name, ent.uscc, ent.legal_representative, ent.address)


def _roles_value(errors: Errors, roles: Any) -> str:
    codes_list = [str(r) for r in (roles or [])]
    bad = [r for r in codes_list if r not in EnterpriseRole.values]
    if bad:
        errors.add("roles", "企业类型无效：" + "、".join(bad))
    if not codes_list:
        errors.add("roles", "请至少选择一种企业类型")
    return "," + ",".join(sorted(set(codes_list))) + ","


def create_enterprise(
    *,
    actor: Any,
    uscc: str,
    name: str,
    roles: list[str],
    region_code: str = CITY_CODE,
    legal_representative: str = "",
    address: str = "",
    registered_capital: Any = None,
    established_on: date | None = None,
) -> Enterprise:
    _require_perm(actor, "registry.add_enterprise")
    errors = Errors()
    uscc_value = errors.check("uscc", codes.validate_uscc, uscc)
    name_value = _text(errors, "name", name, "企业名称")
    roles_value = _roles_value(errors, roles)
    region = _region(errors, "region_code", region_code)
    capital = _decimal(
        errors, "registered_capital", registered_capital, "注册资本", max_value=Decimal("1e13")
    )
    legal = _text(
        errors, "legal_representative", legal_representative, "法定代表人", required=False, max_length=64
    )
    address_value = _text(errors, "address", address, "注册地址", required=False, max_length=300)
    if uscc_value and Enterprise.objects.filter(uscc=uscc_value).exists():
        errors.add("uscc", "该统一社会信用代码已登记")
    if (
        name_value
        and region
        and Organization.objects.filter(
            kind=Organization.Kind.ENTERPRISE, region=region, name=name_value
        ).exists()
    ):
        errors.add("name", "已有同名企业登记")
    errors.raise_if_any()
    assert region is not None
    try:
        with transaction.atomic():
            org = Organization.objects.create(
                name=name_value, kind=Organization.Kind.ENTERPRISE, region=region
            )
            ent = Enterprise(
                organization=org,
                uscc=uscc_value,
                name=name_value,
                roles=roles_value,
                legal_representative=legal,
                address=address_value,
                registered_capital=capital,
                established_on=established_on,
            )
            ent.search_tokens = _enterprise_tokens(ent)
            ent.save()
            audit.record(action="registry.enterprise.create", actor=actor, obj=ent)
    except IntegrityError as exc:  # a concurrent create of the same code or name
        raise ValidationError(
            "企业已登记", code="duplicate", fields={"uscc": ["该统一社会信用代码或企业名称已登记"]}
        ) from exc
    return ent


ENTERPRISE_EDITABLE = {
    "name",
    "roles",
    "legal_representative",
    "address",
    "registered_capital",
    "established_on",
}


def update_enterprise(*, actor: Any, enterprise: Enterprise, changes: Mapping[str, Any]) -> Enterprise:
    _require_perm(actor, "registry.change_enterprise")
    _refuse_unknown(changes, ENTERPRISE_EDITABLE)
    errors = Errors()
    if "name" in changes:
        enterprise.name = _text(errors, "name", changes["name"], "企业名称")
    if "roles" in changes:
        enterprise.roles = _roles_value(errors, changes["roles"])
    if "legal_representative" in changes:
        enterprise.legal_representative = _text(
            errors,
            "legal_representative",
            changes["legal_representative"],
            "法定代表人",
            required=False,
            max_length=64,
        )
    if "address" in changes:
        enterprise.address = _text(
            errors, "address", changes["address"], "注册地址", required=False, max_length=300
        )
    if "registered_capital" in changes:
        enterprise.registered_capital = _decimal(
            errors, "registered_capital", changes["registered_capital"], "注册资本", max_value=Decimal("1e13")
        )
    if "established_on" in changes:
        enterprise.established_on = changes["established_on"]
    errors.raise_if_any()
    try:
        with transaction.atomic():
            enterprise.search_tokens = _enterprise_tokens(enterprise)
            enterprise.save()
            if "name" in changes:
                Organization.objects.filter(pk=enterprise.organization_id).update(name=enterprise.name)
            audit.record(
                action="registry.enterprise.update",
                actor=actor,
                obj=enterprise,
                detail={"fields": sorted(changes)},
            )
    except IntegrityError as exc:  # the organisation's name is unique within its kind and region
        raise ValidationError(
            "企业名称已被其他企业使用", code="duplicate", fields={"name": ["已有同名企业登记"]}
        ) from exc
    return enterprise


def _refuse_unknown(changes: Mapping[str, Any], allowed: set[str]) -> None:
    """Mass assignment guard: fields outside the editable set are refused, not ignored."""
    unknown = sorted(set(changes) - allowed)
    if unknown:
        raise ValidationError(
            "不允许修改这些字段",
            code="field_not_editable",
            fields={name: ["该字段不允许在此修改"] for name in unknown},
        )


def _date_range(errors: Errors, start: date | None, end: date | None, field: str) -> None:
    if end is None:
        errors.add(field, "请填写有效期")
    elif start and end < start:
        errors.add(field, "有效期不能早于发证日期")


def add_qualification(
    *,
    actor: Any,
    enterprise: Enterprise,
    category: str,
    specialty: str,
    grade: str,
    certificate_no: str,
    valid_until: date | None,
    valid_from: date | None = None,
    issued_by: str = "",
) -> Qualification:
    _require_perm(actor, "registry.add_qualification")
    errors = Errors()
    _choice(errors, "category", category, Qualification.Category, "资质类别")
    specialty = _text(errors, "specialty", specialty, "资质专业", max_length=64)
    grade = _text(errors, "grade", grade, "资质等级", max_length=16)
    number = _text(errors, "certificate_no", certificate_no, "证书编号", max_length=40)
    _date_range(errors, valid_from, valid_until, "valid_until")
    if number and Qualification.objects.filter(certificate_no=number).exists():
        errors.add("certificate_no", "证书编号已存在")
    errors.raise_if_any()
    assert valid_until is not None
    with transaction.atomic():
        qual = Qualification.objects.create(
            enterprise=enterprise,
            category=category,
            specialty=specialty,
            grade=grade,
            certificate_no=number,
            valid_from=valid_from,
            valid_until=valid_until,
            issued_by=issued_by.strip()[:100],
        )
        audit.record(action="registry.qualification.create", actor=actor, obj=qual)
    return qual


def add_safety_license(
    *,
    actor: Any,
    enterprise: Enterprise,
    number: str,
    valid_until: date | None,
    valid_from: date | None = None,
    issued_by: str = "",
) -> SafetyLicense:
    _require_perm(actor, "registry.add_safetylicense")
    errors = Errors()
    number = _text(errors, "number", number, "许可证编号", max_length=40)
    _date_range(errors, valid_from, valid_until, "valid_until")
    if number and SafetyLicense.objects.filter(number=number).exists():
        errors.add("number", "许可证编号已存在")
    errors.raise_if_any()
    assert valid_until is not None
    with transaction.atomic():
        lic = SafetyLicense.objects.create(
            enterprise=enterprise,
            number=number,
            valid_from=valid_from,
            valid_until=valid_until,
            issued_by=issued_by.strip()[:100],
        )
        audit.record(action="registry.safety_license.create", actor=actor, obj=lic)
    return lic


# ---------------------------------------------------------------- persons


def _validate_phone(value: str) -> str:
    digits = (value or "").strip().replace(" ", "").replace("-", "")
    if len(digits) != 11 or not digits.isdigit() or not digits.startswith("1"):
        raise ValidationError("手机号应为 1 开头的 11 位数字", code="invalid_phone")
    return digits


def _apply_phone(person: Person, phone: str) -> None:
    if phone:
        person.phone_cipher = crypto.encrypt_field(phone)
        person.phone_index = crypto.blind_index(phone, purpose=PHONE_INDEX_PURPOSE)
        person.phone_masked = masking.mask_phone(phone)
    else:
        person.phone_cipher = person.phone_index = person.phone_masked = ""


def create_person(
    *,
    actor: Any,
    name: str,
    id_number: str,
    phone: str = "",
    employer: Organization | None = None,
) -> Person:
    _require_perm(actor, "registry.add_person")
    errors = Errors()
    name = _text(errors, "name", name, "姓名", max_length=64)
    id_value = errors.check("id_number", codes.validate_id_number, id_number)
    phone_value = errors.check("phone", _validate_phone, phone) if phone else ""
    index = crypto.blind_index(id_value, purpose=ID_INDEX_PURPOSE) if id_value else ""
    if index and Person.objects.filter(id_number_index=index).exists():
        errors.add("id_number", "该身份证号已登记")
    errors.raise_if_any()
    assert id_value is not None
    person = Person(
        name=name,
        employer=employer,
        gender=Person.Gender.MALE if codes.id_number_is_male(id_value) else Person.Gender.FEMALE,
        id_number_cipher=crypto.encrypt_field(id_value),
        id_number_index=index,
        id_number_masked=masking.mask_id_number(id_value),
    )
    _apply_phone(person, phone_value or "")
    person.search_tokens = search.index_tokens(name)
    try:
        with transaction.atomic():
            person.save()
            audit.record(
                action="registry.person.create",
                actor=actor,
                obj=person,
                detail={"id_number": person.id_number_masked},
            )
    except IntegrityError as exc:
        raise ValidationError(
            "该身份证号已登记", code="duplicate", fields={"id_number": ["该身份证号已登记"]}
        ) from exc
    return person


PERSON_EDITABLE = {"name", "phone", "employer"}


def update_person(*, actor: Any, person: Person, changes: Mapping[str, Any]) -> Person:
    _require_perm(actor, "registry.change_person")
    _refuse_unknown(changes, PERSON_EDITABLE)
    errors = Errors()
    if "name" in changes:
        person.name = _text(errors, "name", changes["name"], "姓名", max_length=64)
    if "phone" in changes:
        phone = errors.check("phone", _validate_phone, changes["phone"]) if changes["phone"] else ""
        _apply_phone(person, phone or "")
    if "employer" in changes:
        person.employer = changes["employer"]
    errors.raise_if_any()
    with transaction.atomic():
        person.search_tokens = search.index_tokens(person.name)
        person.save()
        audit.record(
            action="registry.person.update", actor=actor, obj=person, detail={"fields": sorted(changes)}
        )
    return person


def link_person_to_user(*, person: Person, user: Any, actor: Any = None) -> Person:
    """Link a registry person to their account (DESIGN.md, Principals): notifications about the
    person's projects then reach the user, and the account shows the person's name."""
    if person.user_id not in (None, user.pk):
        raise ValidationError(
            "该人员已关联其他账号", code="already_linked", fields={"user": ["该人员已关联其他账号"]}
        )
    with transaction.atomic():
        person.user = user
        person.save(update_fields=["user", "updated_at"])
        if user.full_name != person.name:
            user.full_name = person.name
            user.save(update_fields=["full_name"])
        audit.record(action="registry.person.link_user", actor=actor, obj=person, detail={"user": user.pk})
    return person


def reveal_person(*, actor: Any, person: Person) -> dict[str, str]:
    """The plaintext ID and phone numbers, for a holder of the permission; every view is audited."""
    if not actor.has_perm("registry.view_person_plaintext"):
        audit.record(action="registry.person.reveal", actor=actor, obj=person, outcome="denied")
        raise PermissionDenied("无权查看明文个人信息")
    audit.record(action="registry.person.reveal", actor=actor, obj=person)
    return {
        "id_number": crypto.decrypt_field(person.id_number_cipher),
        "phone": crypto.decrypt_field(person.phone_cipher) if person.phone_cipher else "",
    }


def add_certificate(
    *,
    actor: Any,
    person: Person,
    kind: str,
    number: str,
    valid_until: date | None,
    grade: str = "",
    specialty: str = "",
    registered_with: Organization | None = None,
) -> Certificate:
    _require_perm(actor, "registry.add_certificate")
    errors = Errors()
    _choice(errors, "kind", kind, Certificate.Kind, "证书类别")
    number = _text(errors, "number", number, "证书编号", max_length=40)
    if valid_until is None:
        errors.add("valid_until", "请填写有效期")
    if number and Certificate.objects.filter(number=number).exists():
        errors.add("number", "证书编号已存在")
    errors.raise_if_any()
    assert valid_until is not None
    with transaction.atomic():
        cert = Certificate.objects.create(
            person=person,
            kind=kind,
            number=number,
            valid_until=valid_until,
            grade=grade.strip()[:16],
            specialty=specialty.strip()[:64],
            registered_with=registered_with or person.employer,
        )
        audit.record(action="registry.certificate.create", actor=actor, obj=cert)
    return cert


# ---------------------------------------------------------------- projects


def _project_tokens(project: Project) -> str:
    region_name = project.region.name if project.region_id else ""
    return search.index_tokens(project.name, project.code, project.address, region_name)


def _check_region_in_scope(errors: Errors, actor: Any, region: Region | None) -> None:
    scope = scope_of(actor)
    if region is None:
        return
    if scope.kind == ScopeKind.DISTRICT and region.code != scope.region_code:
        errors.add("region_code", "只能登记本区的项目")
    elif scope.kind not in {ScopeKind.ALL, ScopeKind.DISTRICT}:
        errors.add("region_code", "无权在该区划登记项目")
    elif region.level != "county" or not region.code.startswith(CITY_CODE[:4]):
        errors.add("region_code", "项目所在区须为本市的区（县）")


PROJECT_FIELDS = {
    "name",
    "kind",
    "nature",
    "address",
    "longitude",
    "latitude",
    "investment",
    "floor_area",
    "height",
    "planned_start",
    "planned_completion",
    "actual_start",
    "actual_completion",
    "is_key_project",
}


def _apply_project_fields(errors: Errors, project: Project, data: Mapping[str, Any]) -> None:
    if "name" in data:
        project.name = _text(errors, "name", data["name"], "项目名称")
    if "kind" in data:
        project.kind = _choice(errors, "kind", data["kind"], Project.Kind, "工程类别")
    if "nature" in data:
        project.nature = _choice(errors, "nature", data["nature"], Project.Nature, "建设性质")
    if "address" in data:
        project.address = _text(
            errors, "address", data["address"], "建设地址", required=False, max_length=300
        )
    # 1e13 元 (十万亿) is beyond any project and keeps every value within the 15 significant digits
    # that SQLite's REAL storage of a decimal reads back exactly.
    for field, label, limit in (
        ("investment", "总投资", Decimal("1e13")),
        ("floor_area", "建筑面积", Decimal("1e9")),
        ("height", "建筑高度", Decimal("1000")),
    ):
        if field in data:
            setattr(project, field, _decimal(errors, field, data[field], label, max_value=limit))
    for field, label, low, high in (("longitude", "经度", -180, 180), ("latitude", "纬度", -90, 90)):
        if field in data:
            value = data[field]
            if value in (None, ""):
                setattr(project, field, None)
                continue
            try:
                number = Decimal(str(value))
            except (InvalidOperation, ValueError):
                errors.add(field, f"{label}必须是数字")
                continue
            # NaN cannot be compared (InvalidOperation); huge values cannot be quantised.
            if not number.is_finite() or not low <= number <= high:
                errors.add(field, f"{label}须在 {low} 到 {high} 之间")
                continue
            setattr(project, field, number.quantize(Decimal("0.000001")))
    for field in ("planned_start", "planned_completion", "actual_start", "actual_completion"):
        if field in data:
            setattr(project, field, data[field] or None)
    if "is_key_project" in data:
        project.is_key_project = bool(data["is_key_project"])
    if (
        project.planned_start
        and project.planned_completion
        and project.planned_completion < project.planned_start
    ):
        errors.add("planned_completion", "计划竣工日期不能早于计划开工日期")
    if (
        project.actual_start
        and project.actual_completion
        and project.actual_completion < project.actual_start
    ):
        errors.add("actual_completion", "实际竣工日期不能早于实际开工日期")


def create_project(*, actor: Any, code: str, name: str, region_code: str, **fields: Any) -> Project:
    _require_perm(actor, "registry.add_project")
    _refuse_unknown(fields, PROJECT_FIELDS)
    errors = Errors()
    code_value = errors.check("code", codes.validate_project_code, code)
    region = _region(errors, "region_code", region_code)
    _check_region_in_scope(errors, actor, region)
    if code_value and Project.objects.filter(code=code_value).exists():
        errors.add("code", "该项目代码已登记")
    project = Project(code=code_value or "", region=region) if region else Project(code=code_value or "")
    _apply_project_fields(errors, project, {"name": name, **fields})
    errors.raise_if_any()
    warnings = _code_region_warnings(code_value or "")
    try:
        with transaction.atomic():
            project.search_tokens = _project_tokens(project)
            project.save()
            audit.record(
                action="registry.project.create",
                actor=actor,
                obj=project,
                detail={"warnings": warnings} if warnings else None,
            )
    except IntegrityError as exc:
        raise ValidationError(
            "该项目代码已登记", code="duplicate", fields={"code": ["该项目代码已登记"]}
        ) from exc
    project.warnings = warnings  # type: ignore[attr-defined]
    return project


def _code_region_warnings(code: str) -> list[str]:
    """An unknown region inside a 项目代码 is accepted with a warning (reference/codes.md)."""
    if not code:
        return []
    region_part = codes.project_code_region(code)
    if Region.objects.filter(code=region_part).exists():
        return []
    return [f"项目代码中的行政区划 {region_part} 不在区划表中，请核实"]


def update_project(*, actor: Any, project: Project, changes: Mapping[str, Any]) -> Project:
    """Edit descriptive fields. Stage and status move only through their own services."""
    _require_perm(actor, "registry.change_project")
    _refuse_unknown(changes, PROJECT_FIELDS)
    errors = Errors()
    _apply_project_fields(errors, project, changes)
    errors.raise_if_any()
    with transaction.atomic():
        project.search_tokens = _project_tokens(project)
        project.save()
        audit.record(
            action="registry.project.update", actor=actor, obj=project, detail={"fields": sorted(changes)}
        )
    return project


def add_participant(
    *,
    actor: Any,
    project: Project,
    organization: Organization,
    role: str,
    key_person: Person | None = None,
    key_person_role: str = "",
) -> Participant:
    _require_perm(actor, "registry.add_participant")
    errors = Errors()
    _choice(errors, "role", role, Participant.Role, "参建角色")
    if organization.kind != Organization.Kind.ENTERPRISE:
        errors.add("organization", "参建单位必须是企业")
    if key_person_role:
        _choice(errors, "key_person_role", key_person_role, Participant.KeyRole, "岗位")
    if key_person is not None and key_person.employer_id != organization.pk:
        errors.add("key_person", "关键岗位人员须为该单位人员")
    if Participant.objects.filter(project=project, organization=organization, role=role).exists():
        errors.add("organization", "该单位已以此角色参建本项目")
    errors.raise_if_any()
    try:
        with transaction.atomic():
            participant = Participant.objects.create(
                project=project,
                organization=organization,
                role=role,
                key_person=key_person,
                key_person_role=key_person_role,
            )
            audit.record(
                action="registry.participant.create",
                actor=actor,
                obj=participant,
                detail={"project": project.pk},
            )
    except IntegrityError as exc:
        raise ValidationError(
            "该单位已以此角色参建本项目",
            code="duplicate",
            fields={"organization": ["该单位已以此角色参建本项目"]},
        ) from exc
    return participant


# ---------------------------------------------------------------- scanned files (扫描件)


def _attach_scan(*, actor: Any, file: Any, parent_field: str, parent: Any, area: str) -> Attachment:
    stored = uploads.store_upload(
        file=file,
        allowed_kinds=uploads.SCAN_KINDS,
        max_bytes=uploads.SCAN_MAX_BYTES,
        actor=actor,
        field="file",
        label="扫描件",
        area=area,
    )
    try:
        with transaction.atomic():
            attachment = Attachment.objects.create(
                **{parent_field: parent}, uploaded_by=actor, **stored.model_fields()
            )
            audit.record(
                action=f"registry.{parent_field}.attach_scan",
                actor=actor,
                obj=parent,
                detail={
                    "attachment_id": attachment.pk,
                    "size": stored.size,
                    "sm3": stored.sm3,
                    "content_type": stored.content_type,
                },
            )
    except BaseException:
        uploads.delete_stored(stored.storage_name)
        raise
    return attachment


def attach_qualification_scan(*, actor: Any, qualification: Qualification, file: Any) -> Attachment:
    """Attach a scan (PDF/PNG/JPEG/TIFF by content) to a qualification; audited."""
    _require_perm(actor, "registry.add_qualification")
    return _attach_scan(
        actor=actor, file=file, parent_field="qualification", parent=qualification, area="qualifications"
    )


def attach_certificate_scan(*, actor: Any, certificate: Certificate, file: Any) -> Attachment:
    """Attach a scan (PDF/PNG/JPEG/TIFF by content) to a person's certificate; audited."""
    _require_perm(actor, "registry.add_certificate")
    return _attach_scan(
        actor=actor, file=file, parent_field="certificate", parent=certificate, area="certificates"
    )


def record_scan_download(*, actor: Any, attachment: Attachment) -> None:
    audit.record(
        action="registry.attachment.download",
        actor=actor,
        obj=attachment,
        detail={"sm3": attachment.sm3},
    )
