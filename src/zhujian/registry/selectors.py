"""Reads of the registry, always scoped to the asking user."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from zhujian.audit.access import get_visible
from zhujian.core import codes, crypto, fts
from zhujian.core.errors import DomainError
from zhujian.registry.filters import EnterpriseFilter, PersonFilter, ProjectFilter
from zhujian.registry.models import (
    Attachment,
    Certificate,
    Enterprise,
    Participant,
    Person,
    Project,
    Qualification,
    SafetyLicense,
)
from zhujian.registry.services import CITY_CODE, ID_INDEX_PURPOSE


def projects(user: Any, filters: ProjectFilter) -> QuerySet[Project]:
    qs: QuerySet[Project] = Project.objects.visible_to(user)
    if filters.region:
        qs = qs.filter(region_id=filters.region)
    if filters.stage:
        qs = qs.filter(stage=filters.stage)
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.kind:
        qs = qs.filter(kind=filters.kind)
    if filters.key_project is not None:
        qs = qs.filter(is_key_project=filters.key_project)
    if filters.q:
        qs = fts.matching(qs, filters.q)
    return (
        qs.order_by(filters.ordering, "-id")
        if filters.ordering not in ("-id", "id")
        else qs.order_by(filters.ordering)
    )


def project(user: Any, pk: int) -> Project:
    return get_visible(Project, user, pk, select_related=("region",))


def participants_of(user: Any, project_obj: Project) -> QuerySet[Participant]:
    return (
        Participant.objects.visible_to(user)
        .filter(project=project_obj)
        .select_related("organization__enterprise", "key_person")
        .order_by("role", "id")
    )


def participant(user: Any, pk: int) -> Participant:
    return get_visible(Participant, user, pk, select_related=("project", "organization"))


def enterprises(user: Any, filters: EnterpriseFilter) -> QuerySet[Enterprise]:
    qs: QuerySet[Enterprise] = Enterprise.objects.visible_to(user)
    if filters.role:
        qs = qs.filter(roles__contains=f",{filters.role},")
    if filters.q:
        qs = fts.matching(qs, filters.q)
    return qs.order_by(filters.ordering)


def enterprise(user: Any, pk: int) -> Enterprise:
    return get_visible(Enterprise, user, pk, select_related=("organization",))


def qualifications_of(user: Any, ent: Enterprise) -> QuerySet[Qualification]:
    return Qualification.objects.visible_to(user).filter(enterprise=ent)


def safety_licenses_of(user: Any, ent: Enterprise) -> QuerySet[SafetyLicense]:
    return SafetyLicense.objects.visible_to(user).filter(enterprise=ent)


def qualification(user: Any, pk: int) -> Qualification:
    return get_visible(Qualification, user, pk)


def persons(user: Any, filters: PersonFilter) -> QuerySet[Person]:
    qs: QuerySet[Person] = Person.objects.visible_to(user).select_related("employer")
    if filters.id_number:
        try:
            normalised = codes.validate_id_number(filters.id_number)
        except DomainError:
            return qs.none()
        qs = qs.filter(id_number_index=crypto.blind_index(normalised, purpose=ID_INDEX_PURPOSE))
    if filters.employer:
        qs = qs.filter(employer_id=filters.employer)
    if filters.q:
        qs = fts.matching(qs, filters.q)
    return qs.order_by("-id")


def person(user: Any, pk: int) -> Person:
    return get_visible(Person, user, pk, select_related=("employer",))


def certificates_of(user: Any, person_obj: Person) -> QuerySet[Certificate]:
    return Certificate.objects.visible_to(user).filter(person=person_obj).select_related("registered_with")


def certificate(user: Any, pk: int) -> Certificate:
    return get_visible(Certificate, user, pk)


def attachment(user: Any, pk: int) -> Attachment:
    """A scan, visible exactly when its qualification or certificate is (404 + denial otherwise)."""
    return get_visible(Attachment, user, pk)


def scans_by_parent(user: Any, field: str, parents: Any) -> dict[int, list[Attachment]]:
    """The visible scans of these qualifications or certificates, newest first, by parent id."""
    found: dict[int, list[Attachment]] = {}
    rows = Attachment.objects.visible_to(user).filter(**{f"{field}__in": list(parents)}).order_by("-id")
    for row in rows:
        found.setdefault(getattr(row, f"{field}_id"), []).append(row)
    return found


def projects_of_enterprise(user: Any, ent: Enterprise) -> QuerySet[Project]:
    return (
        Project.objects.visible_to(user).filter(participants__organization_id=ent.organization_id).distinct()
    )


def enterprise_by_uscc(user: Any, uscc: str) -> Enterprise | None:
    try:
        normalised = codes.validate_uscc(uscc)
    except DomainError:
        return None
    return Enterprise.objects.visible_to(user).select_related("organization").filter(uscc=normalised).first()


def person_by_id_number(user: Any, id_number: str) -> Person | None:
    try:
        normalised = codes.validate_id_number(id_number)
    except DomainError:
        return None
    index = crypto.blind_index(normalised, purpose=ID_INDEX_PURPOSE)
    return Person.objects.visible_to(user).filter(id_number_index=index).first()


def district_choices(user: Any) -> list[tuple[str, str]]:
    """Districts a user may register projects in: their own for district staff, all for the city."""
    from zhujian.accounts.scope import ScopeKind, scope_of
    from zhujian.reference.selectors import districts_of

    districts = districts_of(CITY_CODE)
    scope = scope_of(user)
    if scope.kind == ScopeKind.DISTRICT:
        districts = districts.filter(code=scope.region_code)
    elif scope.kind != ScopeKind.ALL:
        districts = districts.none()
    return [(r.code, r.name) for r in districts]
