"""The 三员 consoles (三员分立, GB/T 22239 level 3): system, security and audit administrators.

* system administrator (``accounts.add_user``): users (create, organisation, roles, disable),
  organisations, machine tokens, login locks;
* security administrator (``accounts.change_role``): roles and their permissions, the password
  and lockout policy (read-only: it is deployment configuration), current login locks;
* audit administrator: the read-only audit trail lives in ``audit.views`` (``/audit/``).

Each console checks its own permission in the view: anyone else gets 403 and one audited denial
(the URLs are no secret, so 403 rather than 404; there is no object whose existence could leak).
Object ids travel in the query string or the form body, never in the path. Every write goes
through a service that audits it; every console page view is audited as well.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from functools import wraps
from typing import Any, cast

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from zhujian.accounts import console_services, services
from zhujian.accounts.models import ApiToken, LoginKey, LoginLock, Organization, Role, User
from zhujian.accounts.roles import SEPARATED_ADMIN_CODES
from zhujian.audit import services as audit
from zhujian.core.errors import DomainError, PermissionDenied
from zhujian.core.web import apply_domain_error, paginate, submit

SYSTEM = "accounts.add_user"
SECURITY = "accounts.change_role"


def _console(
    permission: str, name: str
) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    def decorate(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @login_required
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not request.user.has_perm(permission):
                audit.record(
                    action="access.denied",
                    outcome="denied",
                    detail={"permission": permission, "operation": f"accounts.console.{name}"},
                )
                raise PermissionDenied("无权访问此管理控制台")
            if request.method == "GET":
                console_services.record_console_view(actor=request.user, console=name, page=view.__name__)
            return view(request, *args, **kwargs)

        return wrapped

    return decorate


def _int(value: Any) -> int:
    try:
        return int(str(value))
    except (TypeError, ValueError):
        raise Http404 from None


def _user_from(request: HttpRequest, source: Any) -> User:
    user = User.objects.select_related("organization").filter(pk=_int(source.get("user"))).first()
    if user is None or user.kind == User.Kind.SYSTEM:
        raise Http404
    return user


# ---------------------------------------------------------------------------------------------
# Forms


def _org_choices() -> list[tuple[str, str]]:
    return [("", "（无）")] + [
        (str(o.pk), f"{o.name}（{o.get_kind_display()}）")
        for o in Organization.objects.filter(is_active=True)
    ]


def _business_role_choices() -> list[tuple[str, str]]:
    return [(r.code, r.name) for r in Role.objects.exclude(code__in=SEPARATED_ADMIN_CODES).order_by("code")]


def _admin_role_choices() -> list[tuple[str, str]]:
    roles = Role.objects.filter(code__in=SEPARATED_ADMIN_CODES).order_by("code")
    return [("", "（无）")] + [(r.code, r.name) for r in roles]


class RolesMixin(forms.Form):
    """Business roles (any number) or ONE 三员 role (a single select), never both."""

    separated_role = forms.ChoiceField(label="三员角色", required=False, help_text="三员角色须单独持有")
    roles = forms.MultipleChoiceField(label="业务角色", required=False, widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["separated_role"]).choices = _admin_role_choices()
        cast(forms.ChoiceField, self.fields["roles"]).choices = _business_role_choices()

    def role_codes(self) -> list[str]:
        admin = self.cleaned_data.get("separated_role") or ""
        return [admin] if admin else list(self.cleaned_data.get("roles") or [])

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("separated_role") and data.get("roles"):
            self.add_error("roles", "三员角色不得与业务角色兼任")
        return data


class OrgField(forms.ChoiceField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(label="所属机构", required=False, **kwargs)


class UserCreateForm(RolesMixin):
    username = forms.CharField(label="用户名", max_length=150)
    full_name = forms.CharField(label="姓名", max_length=64)
    email = forms.EmailField(label="电子邮箱", required=False)
    organization = OrgField()
    password = forms.CharField(
        label="初始密码", strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )

    field_order = ["username", "full_name", "email", "organization", "password", "separated_role", "roles"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["organization"]).choices = _org_choices()


class UserEditForm(RolesMixin):
    organization = OrgField()

    field_order = ["organization", "separated_role", "roles"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["organization"]).choices = _org_choices()


class OrganizationForm(forms.Form):
    name = forms.CharField(label="机构名称", max_length=200)
    kind = forms.ChoiceField(label="类别", choices=Organization.Kind.choices)
    region_code = forms.CharField(label="行政区划代码", max_length=12)
    parent = OrgField()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["parent"].label = "上级机构"
        cast(forms.ChoiceField, self.fields["parent"]).choices = _org_choices()


class MachineTokenForm(forms.Form):
    organization = forms.ChoiceField(label="接入机构")
    name = forms.CharField(label="令牌名称", max_length=100)
    roles = forms.MultipleChoiceField(
        label="系统主体角色", required=False, widget=forms.CheckboxSelectMultiple
    )
    expires_at = forms.DateField(
        label="过期日期", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["organization"]).choices = _org_choices()[1:]
        cast(forms.ChoiceField, self.fields["roles"]).choices = _business_role_choices()


def _org(value: str) -> Organization | None:
    return Organization.objects.filter(pk=_int(value)).first() if value else None


# ---------------------------------------------------------------------------------------------
# System administrator


@_console(SYSTEM, "system")
def system_users(request: HttpRequest) -> HttpResponse:
    q = str(request.GET.get("q", ""))[:100].strip()
    users = (
        User.objects.select_related("organization").prefetch_related("roles").exclude(kind=User.Kind.SYSTEM)
    )
    if q:
        users = users.filter(Q(username__icontains=q) | Q(full_name__icontains=q))
    page, querystring = paginate(request, users.order_by("username"))
    return render(
        request, "accounts/console/system_users.html", {"page": page, "querystring": querystring, "q": q}
    )


@_console(SYSTEM, "system")
def system_user_create(request: HttpRequest) -> HttpResponse:
    form = UserCreateForm(request.POST or None)
    if request.method == "POST":
        ok, user = submit(
            form,
            lambda data: console_services.create_user(
                actor=request.user,  # type: ignore[arg-type]
                username=data["username"],
                full_name=data["full_name"],
                email=data["email"],
                organization=_org(data["organization"]),
                password=data["password"],
                role_codes=form.role_codes(),
            ),
        )
        if ok and user is not None:
            messages.success(request, f"用户 {user.username} 已创建")
            return redirect("accounts:console_system")
    return render(request, "accounts/console/system_user_form.html", {"form": form, "target": None})


@_console(SYSTEM, "system")
def system_user_edit(request: HttpRequest) -> HttpResponse:
    target = _user_from(request, request.POST if request.method == "POST" else request.GET)
    current = [r.code for r in target.roles.all()]
    admin_now = [c for c in current if c in SEPARATED_ADMIN_CODES]
    initial = {
        "organization": str(target.organization_id or ""),
        "separated_role": admin_now[0] if admin_now else "",
        "roles": [c for c in current if c not in SEPARATED_ADMIN_CODES],
    }
    form = UserEditForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        actor: User = request.user  # type: ignore[assignment]
        try:
            org = _org(form.cleaned_data["organization"])
            if org != target.organization:
                console_services.set_user_organization(user=target, organization=org, actor=actor)
            codes = form.role_codes()
            if sorted(codes) != sorted(current):
                console_services.assign_roles(user=target, role_codes=codes, actor=actor)
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(request, f"用户 {target.username} 已更新")
            return redirect("accounts:console_system")
    return render(request, "accounts/console/system_user_form.html", {"form": form, "target": target})


@_console(SYSTEM, "system")
@require_POST
def system_user_active(request: HttpRequest) -> HttpResponse:
    target = _user_from(request, request.POST)
    active = request.POST.get("active") == "1"
    try:
        console_services.set_user_active(user=target, active=active, actor=request.user)  # type: ignore[arg-type]
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"用户 {target.username} 已{'启用' if active else '停用'}")
    return redirect("accounts:console_system")


@_console(SYSTEM, "system")
def system_organizations(request: HttpRequest) -> HttpResponse:
    form = OrganizationForm(request.POST or None)
    if request.method == "POST":
        ok, org = submit(
            form,
            lambda data: services.create_organization(
                name=data["name"],
                kind=data["kind"],
                region_code=data["region_code"].strip(),
                parent=_org(data["parent"]),
                actor=request.user,
            ),
        )
        if ok and org is not None:
            messages.success(request, f"机构 {org.name} 已创建")
            return redirect("accounts:console_organizations")
    page, querystring = paginate(request, Organization.objects.select_related("region", "parent"))
    return render(
        request,
        "accounts/console/system_organizations.html",
        {"form": form, "page": page, "querystring": querystring},
    )


@_console(SYSTEM, "system")
def system_tokens(request: HttpRequest) -> HttpResponse:
    form = MachineTokenForm(request.POST or None)
    raw_token = None
    if request.method == "POST":

        def issue(data: dict[str, Any]) -> str:
            org = _org(data["organization"])
            if org is None:
                raise Http404
            expires = data["expires_at"]
            _, raw = services.issue_machine_token(
                organization=org,
                name=data["name"],
                actor=request.user,  # type: ignore[arg-type]
                expires_at=timezone.make_aware(dt.datetime.combine(expires, dt.time.min))
                if expires
                else None,
                role_codes=tuple(data["roles"]),
            )
            return raw

        ok, raw_token = submit(form, issue)
        if ok:
            form = MachineTokenForm()
    tokens = ApiToken.objects.filter(kind=ApiToken.Kind.MACHINE).select_related(
        "user__organization", "created_by"
    )
    page, querystring = paginate(request, tokens)
    return render(
        request,
        "accounts/console/system_tokens.html",
        {"form": form, "page": page, "querystring": querystring, "raw_token": raw_token},
    )


@_console(SYSTEM, "system")
@require_POST
def system_token_revoke(request: HttpRequest) -> HttpResponse:
    token = ApiToken.objects.filter(kind=ApiToken.Kind.MACHINE, pk=_int(request.POST.get("token"))).first()
    if token is None:
        raise Http404
    services.revoke_token(token=token, actor=request.user)  # type: ignore[arg-type]
    messages.success(request, f"系统令牌 {token.prefix}… 已吊销")
    return redirect("accounts:console_tokens")


def _active_locks() -> Any:
    return LoginLock.objects.filter(locked_until__gt=timezone.now()).order_by("-locked_at")


@_console(SYSTEM, "system")
def system_locks(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        kind = str(request.POST.get("kind", ""))
        if kind not in LoginKey.values:
            raise Http404
        key = str(request.POST.get("key", ""))[:150]
        services.unlock_login(kind=kind, key=key, actor=request.user)  # type: ignore[arg-type]
        messages.success(request, f"已解除锁定：{key}")
        return redirect("accounts:console_locks")
    return render(request, "accounts/console/system_locks.html", {"locks": _active_locks()})


# ---------------------------------------------------------------------------------------------
# Security administrator


def _policy() -> list[tuple[str, str]]:
    profile = settings.ZHUJIAN_PASSWORD_POLICY
    rows = [
        ("密码策略", "等保（GB/T 22239）" if profile == "dengbao" else "OWASP ASVS"),
        ("密码历史（不得重复最近几次）", str(settings.ZHUJIAN_PASSWORD_HISTORY)),
    ]
    if profile == "dengbao":
        rows.append(("密码有效期（天）", str(settings.ZHUJIAN_PASSWORD_MAX_AGE_DAYS)))
    rows += [
        ("同一用户名连续失败锁定次数", str(settings.ZHUJIAN_LOCKOUT_FAILURES)),
        ("同一地址连续失败锁定次数", str(settings.ZHUJIAN_LOCKOUT_ADDRESS_FAILURES)),
        ("锁定时长（分钟）", str(settings.ZHUJIAN_LOCKOUT_MINUTES)),
        ("受信任代理", "、".join(settings.ZHUJIAN_TRUSTED_PROXIES) or "（无：只信任直连地址）"),
        ("会话最长时间（分钟）", str(settings.SESSION_COOKIE_AGE // 60)),
        ("审计日志留存（天）", str(settings.ZHUJIAN_AUDIT_RETENTION_DAYS)),
    ]
    return rows


@_console(SECURITY, "security")
def security_home(request: HttpRequest) -> HttpResponse:
    roles = Role.objects.prefetch_related("permissions").order_by("-is_separated_admin", "code")
    return render(
        request,
        "accounts/console/security_home.html",
        {"roles": roles, "policy": _policy(), "locks": _active_locks()},
    )


class RolePermissionsForm(forms.Form):
    permissions = forms.MultipleChoiceField(label="权限", required=False, widget=forms.CheckboxSelectMultiple)


@_console(SECURITY, "security")
def security_role(request: HttpRequest) -> HttpResponse:
    code = str((request.POST if request.method == "POST" else request.GET).get("role", ""))[:64]
    role = Role.objects.filter(code=code).first()
    if role is None:
        raise Http404
    offered = console_services.allowed_permissions(role)
    current = sorted(
        f"{p.content_type.app_label}.{p.codename}" for p in role.permissions.select_related("content_type")
    )
    form = RolePermissionsForm(request.POST or None, initial={"permissions": current})
    cast(forms.ChoiceField, form.fields["permissions"]).choices = [
        (f"{p.content_type.app_label}.{p.codename}", f"{p.content_type.app_label} · {p.name}")
        for p in offered
    ]
    if request.method == "POST":
        ok, _ = submit(
            form,
            lambda data: console_services.set_role_permissions(
                role=role,
                permission_codes=data["permissions"],
                actor=request.user,  # type: ignore[arg-type]
            ),
        )
        if ok:
            messages.success(request, f"角色「{role.name}」的权限已保存")
            return redirect("accounts:console_security")
    return render(request, "accounts/console/security_role.html", {"form": form, "role": role})
