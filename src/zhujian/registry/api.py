"""The registry's JSON API: schemas in, one service or selector call, schemas out."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Query, Router, Schema, Status
from ninja.renderers import JSONRenderer
from pydantic import ConfigDict, Field

from zhujian.accounts.models import Organization
from zhujian.core.api import PageParams, page_slice
from zhujian.core.errors import DomainError, ValidationError
from zhujian.reference.selectors import region_names
from zhujian.registry import selectors, services
from zhujian.registry.filters import EnterpriseFilter, PersonFilter, ProjectFilter
from zhujian.registry.models import (
    Certificate,
    Enterprise,
    EnterpriseRole,
    Participant,
    Person,
    Project,
    Qualification,
)

router = Router(tags=["主体与项目库"])

STAGE_LABELS = dict(Project.Stage.choices)
STATUS_LABELS = dict(Project.Status.choices)
KIND_LABELS = dict(Project.Kind.choices)


class StrictIn(Schema):
    # Unknown fields (stage, status, region on edit, …) are refused, not silently ignored.
    model_config = ConfigDict(extra="forbid")


# ---------------------------------------------------------------- projects


class ProjectRow(Schema):
    id: int
    code: str
    name: str
    kind: str
    kind_label: str
    region_code: str
    region_name: str
    stage: str
    stage_label: str
    status: str
    status_label: str
    planned_start: date | None
    planned_completion: date | None
    is_key_project: bool


class ProjectPage(Schema):
    items: list[ProjectRow]
    count: int
    count_capped: bool = Field(False, description="关键词检索时计数最多 1000：为真表示匹配数超过 1000")
    page: int
    page_size: int


class ProjectOut(ProjectRow):
    nature: str
    address: str
    longitude: Decimal | None
    latitude: Decimal | None
    investment: Decimal | None
    floor_area: Decimal | None
    height: Decimal | None
    actual_start: date | None
    actual_completion: date | None
    warnings: list[str] = []


class ProjectFieldsIn(StrictIn):
    name: str | None = Field(None, max_length=200)
    kind: Project.Kind | None = None
    nature: Project.Nature | None = None
    address: str | None = Field(None, max_length=300)
    longitude: Decimal | None = None
    latitude: Decimal | None = None
    investment: Decimal | None = Field(None, description="总投资（元）")
    floor_area: Decimal | None = Field(None, description="建筑面积（㎡）")
    height: Decimal | None = Field(None, description="建筑高度（m）")
    planned_start: date | None = None
    planned_completion: date | None = None
    actual_start: date | None = None
    actual_completion: date | None = None
    is_key_project: bool | None = None


class ProjectCreateIn(ProjectFieldsIn):
    code: str = Field(..., max_length=40, description="项目代码")
    name: str = Field(..., max_length=200)
    region_code: str = Field(..., max_length=6, description="所在区 GB/T 2260 代码")


_ROW_FIELDS = (
    "id",
    "code",
    "name",
    "kind",
    "region_id",
    "stage",
    "status",
    "planned_start",
    "planned_completion",
    "is_key_project",
)
# A keyword search counts at most this many matches (docs/decisions/0009-list-performance.md).
SEARCH_COUNT_CAP = 1000


_RENDERER = JSONRenderer()  # the renderer of zhujian.api's NinjaAPI (its default)
_CONTENT_TYPE = f"{JSONRenderer.media_type}; charset={JSONRenderer.charset}"


def _row(values: dict[str, Any], names: dict[str, str]) -> dict[str, Any]:
    return {
        "id": values["id"],
        "code": values["code"],
        "name": values["name"],
        "kind": values["kind"],
        "kind_label": KIND_LABELS.get(values["kind"], ""),
        "region_code": values["region_id"],
        "region_name": names.get(values["region_id"], values["region_id"]),
        "stage": values["stage"],
        "stage_label": STAGE_LABELS.get(values["stage"], ""),
        "status": values["status"],
        "status_label": STATUS_LABELS.get(values["status"], ""),
        "planned_start": values["planned_start"],
        "planned_completion": values["planned_completion"],
        "is_key_project": values["is_key_project"],
    }


def project_out(project: Project) -> dict[str, Any]:
    data = _row({f: getattr(project, f) for f in _ROW_FIELDS}, {project.region_id: project.region.name})
    data.update(
        {
            f: getattr(project, f)
            for f in (
                "nature",
                "address",
                "longitude",
                "latitude",
                "investment",
                "floor_area",
                "height",
                "actual_start",
                "actual_completion",
            )
        }
    )
    data["warnings"] = getattr(project, "warnings", [])
    return data


@router.get("/projects", response=ProjectPage, summary="项目列表")
def list_projects(request: HttpRequest, filters: Query[ProjectFilter], paging: Query[PageParams]) -> Any:
    projects = selectors.projects(request.user, filters)
    page = page_slice(
        projects.values(*_ROW_FIELDS), paging, count_cap=SEARCH_COUNT_CAP if filters.q else None
    )
    names = region_names()
    body = {
        "items": [_row(v, names) for v in page.rows],
        "count": page.total,
        "count_capped": page.total_capped,
        "page": paging.page,
        "page_size": paging.page_size,
    }
    # Rendered as Ninja renders a ProjectPage, without re-validating it field by field (that took more
    # time than the rest of the request's Python): every value comes from a typed column of .values().
    return HttpResponse(_RENDERER.render(request, body, response_status=200), content_type=_CONTENT_TYPE)


@router.post("/projects", response={201: ProjectOut}, summary="登记项目")
def create_project(request: HttpRequest, payload: ProjectCreateIn) -> Any:
    data = payload.model_dump(exclude_unset=True)
    project = services.create_project(
        actor=request.user,
        code=data.pop("code"),
        name=data.pop("name"),
        region_code=data.pop("region_code"),
        **data,
    )
    return Status(201, project_out(project))


@router.get("/projects/{int:project_id}", response=ProjectOut, summary="项目详情")
def get_project(request: HttpRequest, project_id: int) -> Any:
    return project_out(selectors.project(request.user, project_id))


@router.patch("/projects/{int:project_id}", response=ProjectOut, summary="修改项目")
def update_project(request: HttpRequest, project_id: int, payload: ProjectFieldsIn) -> Any:
    project = selectors.project(request.user, project_id)
    changes = payload.model_dump(exclude_unset=True)
    return project_out(services.update_project(actor=request.user, project=project, changes=changes))


class ParticipantOut(Schema):
    id: int
    project_id: int
    organization_id: int
    organization_name: str
    role: str
    role_label: str
    key_person_id: int | None
    key_person_name: str | None
    key_person_role: str


class ParticipantIn(StrictIn):
    organization_id: int = Field(..., ge=1)
    role: Participant.Role
    key_person_id: int | None = Field(None, ge=1)
    key_person_role: Participant.KeyRole | None = None


def participant_out(p: Participant) -> dict[str, Any]:
    return {
        "id": p.pk,
        "project_id": p.project_id,
        "organization_id": p.organization_id,
        "organization_name": p.organization.name,
        "role": p.role,
        "role_label": p.get_role_display(),
        "key_person_id": p.key_person_id,
        "key_person_name": p.key_person.name if p.key_person else None,
        "key_person_role": p.key_person_role,
    }


@router.get("/projects/{int:project_id}/participants", response=list[ParticipantOut], summary="参建单位")
def list_participants(request: HttpRequest, project_id: int) -> Any:
    project = selectors.project(request.user, project_id)
    return [participant_out(p) for p in selectors.participants_of(request.user, project)]


@router.post(
    "/projects/{int:project_id}/participants", response={201: ParticipantOut}, summary="添加参建单位"
)
def add_participant(request: HttpRequest, project_id: int, payload: ParticipantIn) -> Any:
    project = selectors.project(request.user, project_id)
    ent = Enterprise.objects.visible_to(request.user).filter(organization_id=payload.organization_id).first()
    if ent is None:
        raise ValidationError("单位不存在", fields={"organization_id": ["单位不存在或不是企业"]})
    key_person = None
    if payload.key_person_id:
        key_person = Person.objects.visible_to(request.user).filter(pk=payload.key_person_id).first()
        if key_person is None:
            raise ValidationError("人员不存在", fields={"key_person_id": ["人员不存在"]})
    try:
        participant = services.add_participant(
            actor=request.user,
            project=project,
            organization=ent.organization,
            role=payload.role,
            key_person=key_person,
            key_person_role=payload.key_person_role or "",
        )
    except DomainError as exc:
        raise exc.renamed({"organization": "organization_id", "key_person": "key_person_id"}) from exc
    return Status(201, participant_out(participant))


@router.get("/participants/{int:participant_id}", response=ParticipantOut, summary="参建单位详情")
def get_participant(request: HttpRequest, participant_id: int) -> Any:
    return participant_out(selectors.participant(request.user, participant_id))


# ---------------------------------------------------------------- enterprises


class EnterpriseOut(Schema):
    id: int
    organization_id: int
    uscc: str
    name: str
    roles: list[str]
    role_labels: list[str]
    legal_representative: str
    address: str
    registered_capital: Decimal | None
    established_on: date | None


class EnterprisePage(Schema):
    items: list[EnterpriseOut]
    count: int
    page: int
    page_size: int


class EnterpriseFieldsIn(StrictIn):
    name: str | None = Field(None, max_length=200)
    roles: list[EnterpriseRole] | None = None
    legal_representative: str | None = Field(None, max_length=64)
    address: str | None = Field(None, max_length=300)
    registered_capital: Decimal | None = None
    established_on: date | None = None


class EnterpriseCreateIn(EnterpriseFieldsIn):
    uscc: str = Field(..., max_length=30, description="统一社会信用代码")
    name: str = Field(..., max_length=200)
    roles: list[EnterpriseRole] = Field(..., min_length=1)


def enterprise_out(e: Enterprise) -> dict[str, Any]:
    return {
        "id": e.pk,
        "organization_id": e.organization_id,
        "uscc": e.uscc,
        "name": e.name,
        "roles": e.role_codes,
        "role_labels": e.role_labels,
        "legal_representative": e.legal_representative,
        "address": e.address,
        "registered_capital": e.registered_capital,
        "established_on": e.established_on,
    }


@router.get("/enterprises", response=EnterprisePage, summary="企业列表")
def list_enterprises(
    request: HttpRequest, filters: Query[EnterpriseFilter], paging: Query[PageParams]
) -> Any:
    rows, count, _ = page_slice(selectors.enterprises(request.user, filters), paging)
    return {
        "items": [enterprise_out(e) for e in rows],
        "count": count,
        "page": paging.page,
        "page_size": paging.page_size,
    }


@router.post("/enterprises", response={201: EnterpriseOut}, summary="登记企业")
def create_enterprise(request: HttpRequest, payload: EnterpriseCreateIn) -> Any:
    data = payload.model_dump(exclude_unset=True)
    ent = services.create_enterprise(actor=request.user, **data)
    return Status(201, enterprise_out(ent))


@router.get("/enterprises/{int:enterprise_id}", response=EnterpriseOut, summary="企业详情")
def get_enterprise(request: HttpRequest, enterprise_id: int) -> Any:
    return enterprise_out(selectors.enterprise(request.user, enterprise_id))


@router.patch("/enterprises/{int:enterprise_id}", response=EnterpriseOut, summary="修改企业")
def update_enterprise(request: HttpRequest, enterprise_id: int, payload: EnterpriseFieldsIn) -> Any:
    ent = selectors.enterprise(request.user, enterprise_id)
    return enterprise_out(
        services.update_enterprise(
            actor=request.user, enterprise=ent, changes=payload.model_dump(exclude_unset=True)
        )
    )


class QualificationOut(Schema):
    id: int
    enterprise_id: int
    category: str
    specialty: str
    grade: str
    certificate_no: str
    issued_by: str
    valid_from: date | None
    valid_until: date


class QualificationIn(StrictIn):
    category: Qualification.Category
    specialty: str = Field(..., max_length=64)
    grade: str = Field(..., max_length=16)
    certificate_no: str = Field(..., max_length=40)
    issued_by: str = Field("", max_length=100)
    valid_from: date | None = None
    valid_until: date


@router.get(
    "/enterprises/{int:enterprise_id}/qualifications", response=list[QualificationOut], summary="企业资质"
)
def list_qualifications(request: HttpRequest, enterprise_id: int) -> Any:
    ent = selectors.enterprise(request.user, enterprise_id)
    return list(selectors.qualifications_of(request.user, ent))


@router.post(
    "/enterprises/{int:enterprise_id}/qualifications", response={201: QualificationOut}, summary="添加资质"
)
def add_qualification(request: HttpRequest, enterprise_id: int, payload: QualificationIn) -> Any:
    ent = selectors.enterprise(request.user, enterprise_id)
    return Status(201, services.add_qualification(actor=request.user, enterprise=ent, **payload.model_dump()))


@router.get("/qualifications/{int:qualification_id}", response=QualificationOut, summary="资质详情")
def get_qualification(request: HttpRequest, qualification_id: int) -> Any:
    return selectors.qualification(request.user, qualification_id)


class SafetyLicenseOut(Schema):
    id: int
    enterprise_id: int
    number: str
    issued_by: str
    valid_from: date | None
    valid_until: date


class SafetyLicenseIn(StrictIn):
    number: str = Field(..., max_length=40)
    issued_by: str = Field("", max_length=100)
    valid_from: date | None = None
    valid_until: date


@router.get(
    "/enterprises/{int:enterprise_id}/safety-licenses",
    response=list[SafetyLicenseOut],
    summary="安全生产许可证",
)
def list_safety_licenses(request: HttpRequest, enterprise_id: int) -> Any:
    ent = selectors.enterprise(request.user, enterprise_id)
    return list(selectors.safety_licenses_of(request.user, ent))


@router.post(
    "/enterprises/{int:enterprise_id}/safety-licenses",
    response={201: SafetyLicenseOut},
    summary="添加安全生产许可证",
)
def add_safety_license(request: HttpRequest, enterprise_id: int, payload: SafetyLicenseIn) -> Any:
    ent = selectors.enterprise(request.user, enterprise_id)
    return Status(
        201, services.add_safety_license(actor=request.user, enterprise=ent, **payload.model_dump())
    )


# ---------------------------------------------------------------- persons


class PersonOut(Schema):
    id: int
    name: str
    gender: str
    id_number: str = Field(description="脱敏显示")
    phone: str = Field(description="脱敏显示")
    employer_id: int | None
    employer_name: str | None


class PersonPage(Schema):
    items: list[PersonOut]
    count: int
    page: int
    page_size: int


class PersonCreateIn(StrictIn):
    name: str = Field(..., max_length=64)
    id_number: str = Field(..., max_length=30)
    phone: str = Field("", max_length=20)
    employer_id: int | None = Field(None, ge=1)


class PersonUpdateIn(StrictIn):
    name: str | None = Field(None, max_length=64)
    phone: str | None = Field(None, max_length=20)
    employer_id: int | None = Field(None, ge=1)


class PersonRevealOut(Schema):
    id_number: str
    phone: str


def person_out(p: Person) -> dict[str, Any]:
    return {
        "id": p.pk,
        "name": p.name,
        "gender": p.gender,
        "id_number": p.id_number_masked,
        "phone": p.phone_masked,
        "employer_id": p.employer_id,
        "employer_name": p.employer.name if p.employer else None,
    }


def _employer(user: Any, organization_id: int | None) -> Organization | None:
    if organization_id is None:
        return None
    ent = (
        Enterprise.objects.visible_to(user)
        .filter(organization_id=organization_id)
        .select_related("organization")
        .first()
    )
    if ent is None:
        raise ValidationError("单位不存在", fields={"employer_id": ["单位不存在"]})
    return ent.organization


@router.get("/persons", response=PersonPage, summary="人员列表")
def list_persons(request: HttpRequest, filters: Query[PersonFilter], paging: Query[PageParams]) -> Any:
    rows, count, _ = page_slice(selectors.persons(request.user, filters), paging)
    return {
        "items": [person_out(p) for p in rows],
        "count": count,
        "page": paging.page,
        "page_size": paging.page_size,
    }


@router.post("/persons", response={201: PersonOut}, summary="登记人员")
def create_person(request: HttpRequest, payload: PersonCreateIn) -> Any:
    employer = _employer(request.user, payload.employer_id)
    person = services.create_person(
        actor=request.user,
        name=payload.name,
        id_number=payload.id_number,
        phone=payload.phone,
        employer=employer,
    )
    return Status(201, person_out(person))


@router.get("/persons/{int:person_id}", response=PersonOut, summary="人员详情")
def get_person(request: HttpRequest, person_id: int) -> Any:
    return person_out(selectors.person(request.user, person_id))


@router.patch("/persons/{int:person_id}", response=PersonOut, summary="修改人员")
def update_person(request: HttpRequest, person_id: int, payload: PersonUpdateIn) -> Any:
    person = selectors.person(request.user, person_id)
    changes = payload.model_dump(exclude_unset=True)
    if "employer_id" in changes:
        changes["employer"] = _employer(request.user, changes.pop("employer_id"))
    return person_out(services.update_person(actor=request.user, person=person, changes=changes))


@router.post("/persons/{int:person_id}/reveal", response=PersonRevealOut, summary="查看明文（留痕）")
def reveal_person(request: HttpRequest, person_id: int) -> Any:
    person = selectors.person(request.user, person_id)
    return services.reveal_person(actor=request.user, person=person)


class CertificateOut(Schema):
    id: int
    person_id: int
    kind: str
    grade: str
    specialty: str
    number: str
    registered_with_id: int | None
    valid_until: date


class CertificateIn(StrictIn):
    kind: Certificate.Kind
    number: str = Field(..., max_length=40)
    grade: str = Field("", max_length=16)
    specialty: str = Field("", max_length=64)
    valid_until: date


@router.get("/persons/{int:person_id}/certificates", response=list[CertificateOut], summary="人员证书")
def list_certificates(request: HttpRequest, person_id: int) -> Any:
    person = selectors.person(request.user, person_id)
    return list(selectors.certificates_of(request.user, person))


@router.post("/persons/{int:person_id}/certificates", response={201: CertificateOut}, summary="添加证书")
def add_certificate(request: HttpRequest, person_id: int, payload: CertificateIn) -> Any:
    person = selectors.person(request.user, person_id)
    return Status(201, services.add_certificate(actor=request.user, person=person, **payload.model_dump()))


@router.get("/certificates/{int:certificate_id}", response=CertificateOut, summary="证书详情")
def get_certificate(request: HttpRequest, certificate_id: int) -> Any:
    return selectors.certificate(request.user, certificate_id)


__all__ = ["router"]
