"""Login, logout and the personal API token page."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth import login as auth_login
from django.contrib.auth import logout as auth_logout
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from zhujian.accounts import services
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
