"""Login, logout, change of password and the personal API token page."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth import login as auth_login
from django.contrib.auth import logout as auth_logout
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from zhujian.accounts import mfa, passwords, services, sessions
from zhujian.accounts.backends import AUDITED_ATTR, LOCKED_ATTR
from zhujian.accounts.models import ApiToken
from zhujian.audit.access import get_visible
from zhujian.core.errors import DomainError
from zhujian.core.middleware import client_ip
from zhujian.core.web import apply_domain_error


class LoginForm(AuthenticationForm):
    error_messages = {
        # Unknown user and wrong password read the same.
        "invalid_login": "用户名或密码错误",
        "inactive": "用户名或密码错误",
    }

    def get_invalid_login_error(self) -> DjangoValidationError:
        # Locks apply to unknown usernames too, so this message says nothing about existence.
        if getattr(self.request, LOCKED_ATTR, False):
            return DjangoValidationError(services.locked_message(), code="locked")
        return super().get_invalid_login_error()


def login_view(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("shell:home")
    form = LoginForm(request, data=request.POST or None)
    if request.method == "POST":
        username = str(request.POST.get("username", ""))[:150]
        if form.is_valid():
            user = form.get_user()
            auth_login(request, user)  # rotates the session key: no fixation
            services.record_login(user=user, username=username, success=True)
            target = _safe_next(request, request.POST.get("next") or request.GET.get("next") or "")
            owed = mfa.pending(request)  # the second step, if a device is bound or MFA required
            if owed == "verify":
                request.session[NEXT_KEY] = target
                return redirect("accounts:mfa_verify")
            if owed == "enrol":
                return redirect("accounts:mfa_setup")
            return redirect(target or "shell:home")
        if not getattr(request, AUDITED_ATTR, False):  # the backend audits what it saw
            services.record_login(user=None, username=username, success=False)
    return render(request, "registration/login.html", {"form": form, "next": request.GET.get("next", "")})


NEXT_KEY = "_zj_next"


def _safe_next(request: HttpRequest, target: str) -> str:
    if not url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return ""
    return target


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        services.record_logout(user=request.user)  # type: ignore[arg-type]
    key = request.session.session_key
    auth_logout(request)  # flush: the session row is deleted (server-side logout)
    sessions.forget(key)
    return redirect("accounts:login")


class TokenForm(forms.Form):
    name = forms.CharField(label="令牌名称", max_length=100)


@login_required
def tokens_view(request: HttpRequest) -> HttpResponse:
    form = TokenForm(request.POST or None)
    raw_token = None
    verified = mfa.session_verified(request)
    if request.method == "POST" and form.is_valid():
        try:
            _, raw_token = services.mint_personal_token(
                user=request.user,  # type: ignore[arg-type]
                name=form.cleaned_data["name"],
                mfa_verified=verified,
            )
            form = TokenForm()
        except DomainError as exc:
            apply_domain_error(form, exc)
    tokens = ApiToken.objects.visible_to(request.user)
    status = 403 if request.method == "POST" and not verified else 200
    return render(
        request,
        "accounts/tokens.html",
        {"form": form, "tokens": tokens, "raw_token": raw_token, "mfa_verified": verified},
        status=status,
    )


@login_required
@require_POST
def revoke_token_view(request: HttpRequest, token_id: int) -> HttpResponse:
    token = get_visible(ApiToken, request.user, token_id)
    services.revoke_token(token=token, actor=request.user)  # type: ignore[arg-type]
    messages.success(request, f"令牌 {token.prefix}… 已吊销")
    return redirect("accounts:tokens")


class PasswordChangeForm(forms.Form):
    old_password = forms.CharField(
        label="原密码", strip=False, widget=forms.PasswordInput(render_value=False)
    )
    new_password = forms.CharField(
        label="新密码",
        strip=False,
        max_length=passwords.MAX_LENGTH,
        widget=forms.PasswordInput(render_value=False),
    )
    new_password_repeat = forms.CharField(
        label="再次输入新密码", strip=False, widget=forms.PasswordInput(render_value=False)
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["old_password"].widget.attrs["autocomplete"] = "current-password"
        for name in ("new_password", "new_password_repeat"):
            self.fields[name].widget.attrs["autocomplete"] = "new-password"
        self.fields["new_password"].help_text = passwords.PolicyValidator().get_help_text()

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        new, repeat = data.get("new_password"), data.get("new_password_repeat")
        if new and repeat and new != repeat:
            self.add_error("new_password_repeat", "两次输入的新密码不一致")
        return data


@login_required
def password_change_view(request: HttpRequest) -> HttpResponse:
    form = PasswordChangeForm(request.POST or None)
    expired = passwords.is_expired(request.user)
    if request.method == "POST" and form.is_valid():
        try:
            user = services.change_password(
                user=request.user,  # type: ignore[arg-type]
                old_password=form.cleaned_data["old_password"],
                new_password=form.cleaned_data["new_password"],
            )
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            update_session_auth_hash(request, user)  # this session stays; the others end
            messages.success(request, "密码已修改")
            return redirect("shell:home")
    return render(request, "accounts/password_change.html", {"form": form, "expired": expired})


# ---------------------------------------------------------------------------------------------
# Two factors (accounts.mfa)


class CodeForm(forms.Form):
    code = forms.CharField(label="动态口令或备用验证码", max_length=32, strip=True)

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["code"].widget.attrs.update({"autocomplete": "one-time-code", "inputmode": "text"})


@login_required
def mfa_verify_view(request: HttpRequest) -> HttpResponse:
    """The second step of login (and a step-up for a session that has not done it)."""
    if mfa.session_verified(request) or not mfa.has_device(request.user):
        return redirect("shell:home")
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            method = mfa.verify(user=request.user, code=form.cleaned_data["code"], ip=client_ip(request))  # type: ignore[arg-type]
        except DomainError as exc:
            if exc.code == "locked":
                key = request.session.session_key
                auth_logout(request)
                sessions.forget(key)
                messages.error(request, exc.message)
                return redirect("accounts:login")
            apply_domain_error(form, exc)
        else:
            target = _safe_next(request, str(request.session.pop(NEXT_KEY, "") or ""))
            mfa.mark_verified(request)  # rotates the key again: step-up
            if method == "backup":
                messages.warning(request, "已使用一个备用验证码，该验证码不能再次使用")
            return redirect(target or "shell:home")
    status = 400 if request.method == "POST" else 200
    return render(request, "accounts/mfa_verify.html", {"form": form}, status=status)


@login_required
def mfa_setup_view(request: HttpRequest) -> HttpResponse:
    """Bind an authenticator: the secret as text and an otpauth:// URI; then the backup codes once."""
    user = request.user
    if mfa.has_device(user):
        if not mfa.session_verified(request):
            return redirect("accounts:mfa_verify")
        codes = None
        if request.method == "POST" and request.POST.get("action") == "backup_codes":
            codes = mfa.regenerate_backup_codes(user=user, mfa_verified=True)  # type: ignore[arg-type]
        remaining = user.backup_codes.filter(used_at__isnull=True).count()  # type: ignore[union-attr]
        return render(
            request,
            "accounts/mfa_setup.html",
            {"enrolled": True, "backup_codes": codes, "remaining": remaining},
        )
    form = CodeForm(request.POST or None)
    secret = mfa.pending_secret(user=user)  # type: ignore[arg-type]
    if request.method == "POST" and secret and form.is_valid():
        try:
            codes = mfa.confirm_enrolment(user=user, code=form.cleaned_data["code"])  # type: ignore[arg-type]
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            mfa.mark_verified(request)  # enrolment proves the factor: step-up, key rotated
            return render(
                request,
                "accounts/mfa_setup.html",
                {"enrolled": True, "backup_codes": codes, "remaining": len(codes)},
            )
    if secret is None:
        _, secret = mfa.start_enrolment(user=user)  # type: ignore[arg-type]
    return render(
        request,
        "accounts/mfa_setup.html",
        {
            "enrolled": False,
            "form": form,
            "secret": secret,
            "secret_groups": " ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),
            "uri": mfa.provisioning_uri(secret, user.get_username()),
            "required": mfa.must_use(user),
        },
    )
