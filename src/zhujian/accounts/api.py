"""The caller's own account: who am I, personal API tokens."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema, Status
from pydantic import ConfigDict, Field

from zhujian.accounts import mfa, services
from zhujian.accounts.api_auth import session_auth
from zhujian.accounts.models import ApiToken
from zhujian.accounts.scope import scope_of
from zhujian.audit.access import get_visible

router = Router(tags=["账户"])


class MeOut(Schema):
    id: int
    username: str
    full_name: str
    organization: str | None
    scope: str
    region_code: str | None
    roles: list[str]


@router.get("/me", response=MeOut, summary="当前用户")
def me(request: HttpRequest) -> Any:
    user: Any = request.user
    scope = scope_of(user)
    return {
        "id": user.pk,
        "username": user.username,
        "full_name": user.full_name,
        "organization": user.organization.name if user.organization else None,
        "scope": scope.kind.value,
        "region_code": scope.region_code,
        "roles": [r.code for r in user.roles.all()],
    }


class TokenIn(Schema):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(..., min_length=1, max_length=100)
    expires_at: datetime | None = None


class TokenOut(Schema):
    id: int
    name: str
    prefix: str
    kind: str
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None
    revoked_at: datetime | None


class TokenCreatedOut(TokenOut):
    token: str = Field(description="令牌明文，仅此一次显示")


@router.get("/me/tokens", response=list[TokenOut], summary="我的 API 令牌")
def list_tokens(request: HttpRequest) -> Any:
    return list(ApiToken.objects.visible_to(request.user))


@router.post("/me/tokens", response={201: TokenCreatedOut}, auth=[session_auth], summary="创建个人令牌")
def create_token(request: HttpRequest, payload: TokenIn) -> Any:
    # Minted from a logged-in browser session that passed MFA only, never from another token.
    token, raw = services.mint_personal_token(
        user=request.user,  # type: ignore[arg-type]  # session_auth guarantees a User
        name=payload.name,
        mfa_verified=mfa.session_verified(request),
        expires_at=payload.expires_at,
    )
    return Status(201, {**TokenOut.model_validate(token).model_dump(), "token": raw})


@router.delete("/me/tokens/{int:token_id}", response=TokenOut, summary="吊销令牌")
def revoke_token(request: HttpRequest, token_id: int) -> Any:
    token = get_visible(ApiToken, request.user, token_id)
    return services.revoke_token(token=token, actor=request.user)  # type: ignore[arg-type]
