"""The registry's HTML pages: lists with filters and search, detail pages, create/edit forms.

Thin like the API: parse, call one selector or service, render.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_POST

from zhujian.core import uploads
from zhujian.core.errors import DomainError, PermissionDenied
from zhujian.core.web import apply_domain_error, paginate, parse_filters, submit
from zhujian.registry import exports, forms, selectors, services
from zhujian.registry.filters import EnterpriseFilter, PersonFilter, ProjectFilter
from zhujian.registry.models import Certificate, EnterpriseRole, Participant, Project, Qualification


def _require(request: HttpRequest, perm: str) -> None:
    if not request.user.has_perm(perm):
        raise PermissionDenied()


# ---------------------------------------------------------------- projects


@login_required
def project_list(request: HttpRequest) -> HttpResponse:
    filters, filter_errors = parse_filters(ProjectFilter, request)
    queryset = selectors.projects(request.user, filters).select_related("region")
    page, querystring = paginate(request, queryset)
    return render(
        request,
        "registry/project_list.html",
        {
            "page": page,
            "querystring": querystring,
            "filters": filters,
            "filter_errors": filter_errors,
            "regions": selectors.district_choices(request.user) or [],
            "stages": Project.Stage.choices,
            "statuses": Project.Status.choices,
            "kinds": Project.Kind.choices,
        },
    )


@login_required
def project_detail(request: HttpRequest, project_id: int) -> HttpResponse:
    project = selectors.project(request.user, project_id)
    return render(
        request,
        "registry/project_detail.html",
        {
            "project": project,
            "participants": selectors.participants_of(request.user, project),
            "participant_form": forms.ParticipantForm(),
            "can_edit": request.user.has_perm("registry.change_project"),
        },
    )


@login_required
def project_create(request: HttpRequest) -> HttpResponse:
    _require(request, "registry.add_project")
    form = forms.ProjectForm(request.POST or None, regions=selectors.district_choices(request.user))
    if request.method == "POST" and form.is_valid():
        data = form.service_fields()
        try:
            project = services.create_project(
                actor=request.user,
                code=data.pop("code"),
                name=data.pop("name"),
                region_code=data.pop("region_code"),
                **data,
            )
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            for warning in getattr(project, "warnings", []):
                messages.warning(request, warning)
            messages.success(request, f"项目「{project.name}」已登记")
            return redirect("registry:project_detail", project_id=project.pk)
    return render(
        request, "registry/form.html", {"form": form, "title": "登记项目", "back": "registry:project_list"}
    )


@login_required
def project_edit(request: HttpRequest, project_id: int) -> HttpResponse:
    project = selectors.project(request.user, project_id)  # scope first: out of scope is 404, not 403
    _require(request, "registry.change_project")
    initial = {f: getattr(project, f) for f in services.PROJECT_FIELDS}
    if project.investment is not None:
        initial["investment"] = project.investment / forms.WAN
    form = forms.ProjectForm(request.POST or None, initial=initial, regions=[], editing=True)
    if request.method == "POST":
        ok, _ = submit(
            form,
            lambda _: services.update_project(
                actor=request.user, project=project, changes=form.service_fields()
            ),
        )
        if ok:
            messages.success(request, "项目信息已保存")
            return redirect("registry:project_detail", project_id=project.pk)
    return render(
        request,
        "registry/form.html",
        {"form": form, "title": f"修改项目：{project.name}", "back": "registry:project_list"},
    )


@login_required
@require_POST
def participant_add(request: HttpRequest, project_id: int) -> HttpResponse:
    project = selectors.project(request.user, project_id)
    form = forms.ParticipantForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        ent = selectors.enterprise_by_uscc(request.user, data["organization_uscc"])
        key_person = (
            selectors.person_by_id_number(request.user, data["key_person_id_number"])
            if data["key_person_id_number"]
            else None
        )
        if ent is None:
            form.add_error("organization_uscc", "未找到该信用代码的企业")
        elif data["key_person_id_number"] and key_person is None:
            form.add_error("key_person_id_number", "未找到该身份证号的人员")
        else:
            try:
                services.add_participant(
                    actor=request.user,
                    project=project,
                    organization=ent.organization,
                    role=data["role"],
                    key_person=key_person,
                    key_person_role=data["key_person_role"],
                )
            except DomainError as exc:
                apply_domain_error(
                    form,
                    exc.renamed({"organization": "organization_uscc", "key_person": "key_person_id_number"}),
                )
            else:
                messages.success(request, "参建单位已添加")
                return redirect("registry:project_detail", project_id=project.pk)
    return render(
        request,
        "registry/project_detail.html",
        {
            "project": project,
            "participants": selectors.participants_of(request.user, project),
            "participant_form": form,
            "can_edit": request.user.has_perm("registry.change_project"),
        },
        status=422,
    )


# ---------------------------------------------------------------- enterprises


@login_required
def enterprise_list(request: HttpRequest) -> HttpResponse:
    filters, filter_errors = parse_filters(EnterpriseFilter, request)
    page, querystring = paginate(request, selectors.enterprises(request.user, filters))
    return render(
        request,
        "registry/enterprise_list.html",
        {
            "page": page,
            "querystring": querystring,
            "filters": filters,
            "filter_errors": filter_errors,
            "roles": EnterpriseRole.choices,
        },
    )


def _with_scans(request: HttpRequest, field: str, rows: Any) -> list[Any]:
    rows = list(rows)
    scans = selectors.scans_by_parent(request.user, field, rows)
    for row in rows:
        row.scan_list = scans.get(row.pk, [])
    return rows


def _enterprise_context(request: HttpRequest, ent: Any, **extra: Any) -> dict[str, Any]:
    return {
        "enterprise": ent,
        "qualifications": _with_scans(
            request, "qualification", selectors.qualifications_of(request.user, ent)
        ),
        "licenses": selectors.safety_licenses_of(request.user, ent),
        "projects": selectors.projects_of_enterprise(request.user, ent).select_related("region")[:20],
        "qualification_form": extra.get("qualification_form") or forms.QualificationForm(),
        "license_form": extra.get("license_form") or forms.SafetyLicenseForm(),
        "can_edit": request.user.has_perm("registry.change_enterprise"),
        "categories": Qualification.Category.choices,
    }


@login_required
def enterprise_detail(request: HttpRequest, enterprise_id: int) -> HttpResponse:
    ent = selectors.enterprise(request.user, enterprise_id)
    return render(request, "registry/enterprise_detail.html", _enterprise_context(request, ent))


@login_required
def enterprise_create(request: HttpRequest) -> HttpResponse:
    _require(request, "registry.add_enterprise")
    form = forms.EnterpriseForm(request.POST or None)
    if request.method == "POST":
        ok, ent = submit(
            form, lambda _: services.create_enterprise(actor=request.user, **form.service_fields())
        )
        if ok and ent is not None:
            messages.success(request, f"企业「{ent.name}」已登记")
            return redirect("registry:enterprise_detail", enterprise_id=ent.pk)
    return render(
        request, "registry/form.html", {"form": form, "title": "登记企业", "back": "registry:enterprise_list"}
    )


@login_required
def enterprise_edit(request: HttpRequest, enterprise_id: int) -> HttpResponse:
    ent = selectors.enterprise(request.user, enterprise_id)  # scope first: out of scope is 404, not 403
    _require(request, "registry.change_enterprise")
    initial = {f: getattr(ent, f) for f in ("name", "legal_representative", "address", "established_on")}
    initial["roles"] = ent.role_codes
    if ent.registered_capital is not None:
        initial["registered_capital"] = ent.registered_capital / forms.WAN
    form = forms.EnterpriseForm(request.POST or None, initial=initial, editing=True)
    if request.method == "POST":
        ok, _ = submit(
            form,
            lambda _: services.update_enterprise(
                actor=request.user, enterprise=ent, changes=form.service_fields()
            ),
        )
        if ok:
            messages.success(request, "企业信息已保存")
            return redirect("registry:enterprise_detail", enterprise_id=ent.pk)
    return render(
        request,
        "registry/form.html",
        {"form": form, "title": f"修改企业：{ent.name}", "back": "registry:enterprise_list"},
    )


@login_required
@require_POST
def qualification_add(request: HttpRequest, enterprise_id: int) -> HttpResponse:
    ent = selectors.enterprise(request.user, enterprise_id)
    form = forms.QualificationForm(request.POST)
    ok, _ = submit(form, lambda data: services.add_qualification(actor=request.user, enterprise=ent, **data))
    if ok:
        messages.success(request, "资质已添加")
        return redirect("registry:enterprise_detail", enterprise_id=ent.pk)
    return render(
        request,
        "registry/enterprise_detail.html",
        _enterprise_context(request, ent, qualification_form=form),
        status=422,
    )


@login_required
@require_POST
def license_add(request: HttpRequest, enterprise_id: int) -> HttpResponse:
    ent = selectors.enterprise(request.user, enterprise_id)
    form = forms.SafetyLicenseForm(request.POST)
    ok, _ = submit(form, lambda data: services.add_safety_license(actor=request.user, enterprise=ent, **data))
    if ok:
        messages.success(request, "安全生产许可证已添加")
        return redirect("registry:enterprise_detail", enterprise_id=ent.pk)
    return render(
        request,
        "registry/enterprise_detail.html",
        _enterprise_context(request, ent, license_form=form),
        status=422,
    )


# ---------------------------------------------------------------- persons


@login_required
def person_list(request: HttpRequest) -> HttpResponse:
    filters, filter_errors = parse_filters(PersonFilter, request)
    page, querystring = paginate(request, selectors.persons(request.user, filters))
    return render(
        request,
        "registry/person_list.html",
        {
            "page": page,
            "querystring": querystring,
            "filters": filters,
            "filter_errors": filter_errors,
        },
    )


def _person_context(request: HttpRequest, person: Any, **extra: Any) -> dict[str, Any]:
    return {
        "person": person,
        "certificates": _with_scans(request, "certificate", selectors.certificates_of(request.user, person)),
        "certificate_form": extra.get("certificate_form") or forms.CertificateForm(),
        "can_edit": request.user.has_perm("registry.change_person"),
        "can_reveal": request.user.has_perm("registry.view_person_plaintext"),
        "revealed": extra.get("revealed"),
        "certificate_kinds": Certificate.Kind.choices,
        "participations": Participant.objects.visible_to(request.user)
        .filter(key_person=person)
        .select_related("project", "organization")[:20],
    }


@login_required
def person_detail(request: HttpRequest, person_id: int) -> HttpResponse:
    person = selectors.person(request.user, person_id)
    return render(request, "registry/person_detail.html", _person_context(request, person))


@login_required
@require_POST
def person_reveal(request: HttpRequest, person_id: int) -> HttpResponse:
    person = selectors.person(request.user, person_id)
    revealed = services.reveal_person(actor=request.user, person=person)
    return render(request, "registry/person_detail.html", _person_context(request, person, revealed=revealed))


def _employer_from(request: HttpRequest, form: Any) -> tuple[bool, Any]:
    uscc = form.cleaned_data.get("employer_uscc")
    if not uscc:
        return True, None
    ent = selectors.enterprise_by_uscc(request.user, uscc)
    if ent is None:
        form.add_error("employer_uscc", "未找到该信用代码的企业")
        return False, None
    return True, ent.organization


@login_required
def person_create(request: HttpRequest) -> HttpResponse:
    _require(request, "registry.add_person")
    form = forms.PersonForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        ok, employer = _employer_from(request, form)
        if ok:
            try:
                person = services.create_person(
                    actor=request.user,
                    name=form.cleaned_data["name"],
                    id_number=form.cleaned_data["id_number"],
                    phone=form.cleaned_data["phone"],
                    employer=employer,
                )
            except DomainError as exc:
                apply_domain_error(form, exc)
            else:
                messages.success(request, f"人员「{person.name}」已登记")
                return redirect("registry:person_detail", person_id=person.pk)
    return render(
        request, "registry/form.html", {"form": form, "title": "登记人员", "back": "registry:person_list"}
    )


@login_required
def person_edit(request: HttpRequest, person_id: int) -> HttpResponse:
    person = selectors.person(request.user, person_id)  # scope first: out of scope is 404, not 403
    _require(request, "registry.change_person")
    initial = {
        "name": person.name,
        "employer_uscc": getattr(getattr(person.employer, "enterprise", None), "uscc", ""),
    }
    form = forms.PersonForm(request.POST or None, initial=initial, editing=True)
    if request.method == "POST" and form.is_valid():
        ok, employer = _employer_from(request, form)
        if ok:
            changes: dict[str, Any] = {"name": form.cleaned_data["name"], "employer": employer}
            if form.cleaned_data["phone"]:
                changes["phone"] = form.cleaned_data["phone"]
            try:
                services.update_person(actor=request.user, person=person, changes=changes)
            except DomainError as exc:
                apply_domain_error(form, exc)
            else:
                messages.success(request, "人员信息已保存")
                return redirect("registry:person_detail", person_id=person.pk)
    return render(
        request,
        "registry/form.html",
        {"form": form, "title": f"修改人员：{person.name}", "back": "registry:person_list"},
    )


@login_required
@require_POST
def certificate_add(request: HttpRequest, person_id: int) -> HttpResponse:
    person = selectors.person(request.user, person_id)
    form = forms.CertificateForm(request.POST)
    ok, _ = submit(form, lambda data: services.add_certificate(actor=request.user, person=person, **data))
    if ok:
        messages.success(request, "证书已添加")
        return redirect("registry:person_detail", person_id=person.pk)
    return render(
        request,
        "registry/person_detail.html",
        _person_context(request, person, certificate_form=form),
        status=422,
    )


# ---------------------------------------------------------------- scanned files (扫描件)


def _upload_refused(request: HttpRequest, exc: DomainError) -> None:
    for messages_of_field in exc.fields.values() or [[exc.message]]:
        for message in messages_of_field:
            messages.error(request, message)
    if not exc.fields:
        messages.error(request, exc.message)


@login_required
@require_POST
def qualification_scan(request: HttpRequest, qualification_id: int) -> HttpResponse:
    qual = selectors.qualification(request.user, qualification_id)  # scope first: 404 + denial
    ent = selectors.enterprise(request.user, qual.enterprise_id)
    try:
        services.attach_qualification_scan(
            actor=request.user, qualification=qual, file=request.FILES.get("file")
        )
    except DomainError as exc:
        if isinstance(exc, PermissionDenied):
            raise
        _upload_refused(request, exc)
        return render(
            request, "registry/enterprise_detail.html", _enterprise_context(request, ent), status=exc.status
        )
    messages.success(request, "扫描件已上传")
    return redirect("registry:enterprise_detail", enterprise_id=ent.pk)


@login_required
@require_POST
def certificate_scan(request: HttpRequest, certificate_id: int) -> HttpResponse:
    cert = selectors.certificate(request.user, certificate_id)  # scope first: 404 + denial
    person = selectors.person(request.user, cert.person_id)
    try:
        services.attach_certificate_scan(actor=request.user, certificate=cert, file=request.FILES.get("file"))
    except DomainError as exc:
        if isinstance(exc, PermissionDenied):
            raise
        _upload_refused(request, exc)
        return render(
            request, "registry/person_detail.html", _person_context(request, person), status=exc.status
        )
    messages.success(request, "扫描件已上传")
    return redirect("registry:person_detail", person_id=person.pk)


@login_required
def attachment_download(request: HttpRequest, attachment_id: int) -> HttpResponseBase:
    attachment = selectors.attachment(request.user, attachment_id)  # scope first: 404 + denial
    services.record_scan_download(actor=request.user, attachment=attachment)
    return uploads.download_response(attachment)


# ---------------------------------------------------------------- exports


def _export_response(export: exports.Export) -> HttpResponse:
    response = HttpResponse(export.content, content_type=export.content_type)
    response["Content-Disposition"] = content_disposition_header(True, export.filename) or "attachment"
    response["Cache-Control"] = "private, no-store"
    return response


def _export(request: HttpRequest, schema: Any, fmt: str, run: Any) -> HttpResponse:
    if fmt not in exports.FORMATS:
        raise Http404()
    filters, filter_errors = parse_filters(schema, request)
    if filter_errors:  # exporting without a filter the user asked for would export more than asked
        text = "筛选条件有误：" + "；".join(f"{k}：{'、'.join(v)}" for k, v in filter_errors.items())
        return HttpResponse(text, status=422, content_type="text/plain; charset=utf-8")
    return _export_response(run(actor=request.user, filters=filters, fmt=fmt))


@login_required
def project_export(request: HttpRequest, fmt: str) -> HttpResponse:
    return _export(request, ProjectFilter, fmt, exports.export_projects)


@login_required
def enterprise_export(request: HttpRequest, fmt: str) -> HttpResponse:
    return _export(request, EnterpriseFilter, fmt, exports.export_enterprises)
