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

from zhujian.accounts import passwords, services
from zhujian.accounts.backends import AUDITED_ATTR, LOCKED_ATTR
from zhujian.accounts.models import ApiToken
from zhujian.audit.access import get_visible
from zhujian.core.errors import DomainError
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
            target = request.POST.get("next") or request.GET.get("next") or ""
            if not url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
                target = ""
            return redirect(target or "shell:home")
        if not getattr(request, AUDITED_ATTR, False):  # the backend audits what it saw
            services.record_login(user=None, username=username, success=False)
    return render(request, "registration/login.html", {"form": form, "next": request.GET.get("next", "")})


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        services.record_logout(user=request.user)  # type: ignore[arg-type]
    auth_logout(request)
    return redirect("accounts:login")


class TokenForm(forms.Form):
    name = forms.CharField(label="令牌名称", max_length=100)


@login_required
def tokens_view(request: HttpRequest) -> HttpResponse:
    form = TokenForm(request.POST or None)
    raw_token = None
    if request.method == "POST" and form.is_valid():
        try:
            _, raw_token = services.mint_personal_token(
                user=request.user,  # type: ignore[arg-type]
                name=form.cleaned_data["name"],
            )
            form = TokenForm()
        except DomainError as exc:
            apply_domain_error(form, exc)
    tokens = ApiToken.objects.visible_to(request.user)
    return render(request, "accounts/tokens.html", {"form": form, "tokens": tokens, "raw_token": raw_token})


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
