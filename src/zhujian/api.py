"""The JSON API under /api/v1/: one NinjaAPI, each app's router, the error shape of DESIGN.md."""

from __future__ import annotations

import json
import logging
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI, Swagger
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.parser import Parser

from zhujian import __version__
from zhujian.accounts.api import router as accounts_router
from zhujian.accounts.api_auth import API_AUTH
from zhujian.audit import services as audit
from zhujian.core.api import validation_fields
from zhujian.core.errors import DomainError
from zhujian.notify.api import router as notify_router
from zhujian.reference.api import router as reference_router
from zhujian.registry.api import router as registry_router

logger = logging.getLogger(__name__)
MAX_JSON_DEPTH = 32


class StrictJSONParser(Parser):
    """JSON bodies only: valid UTF-8, not nested deeper than any schema of ours needs."""

    def parse_body(self, request: HttpRequest) -> Any:
        text = request.body.decode("utf-8")  # invalid UTF-8 raises; ninja answers 400
        data = json.loads(text)
        _check_depth(data, MAX_JSON_DEPTH)
        return data


def _check_depth(value: Any, budget: int) -> None:
    if budget <= 0:
        raise ValueError("JSON nested too deeply")
    if isinstance(value, dict):
        for item in value.values():
            _check_depth(item, budget - 1)
    elif isinstance(value, list):
        for item in value:
            _check_depth(item, budget - 1)


class LoginSwagger(Swagger):
    """The interactive docs page only after login; the OpenAPI document stays public (it is
    committed anyway), which ninja's ``docs_decorator`` would not allow. Swagger UI is served from
    ninja's bundled static files ("ninja" in INSTALLED_APPS), never from a CDN."""

    def render_page(self, request: HttpRequest, api: NinjaAPI, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        return super().render_page(request, api, **kwargs)


api = NinjaAPI(
    title="住建监管平台 API",
    version="v1",
    description=f'zhujian {__version__}. 错误统一为 {{"error": {{"code", "message", "fields"}}}}。',
    urls_namespace="api",
    auth=API_AUTH,
    parser=StrictJSONParser(),
    docs=LoginSwagger(),
    docs_url="/docs",
)


def _error(
    request: HttpRequest, status: int, code: str, message: str, fields: dict[str, list[str]] | None = None
) -> HttpResponse:
    return api.create_response(
        request, {"error": {"code": code, "message": message, "fields": fields or {}}}, status=status
    )


@api.exception_handler(DomainError)
def on_domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
    audit.flush_pending()  # denials recorded inside the rolled-back transaction
    return api.create_response(request, exc.payload(), status=exc.status)


@api.exception_handler(NinjaValidationError)
def on_validation_error(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
    fields = validation_fields(exc.errors)
    return _error(request, 422, "validation_error", "输入有误，请检查标注的字段", fields)


@api.exception_handler(AuthenticationError)
def on_auth_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return _error(request, 401, "not_authenticated", "未登录或令牌无效")


@api.exception_handler(HttpError)
def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    if exc.status_code == 400:
        message = "请求体不是有效的 JSON（须为 UTF-8 编码，嵌套不超过 32 层）"
        return _error(request, 400, "malformed_body", message)
    if exc.status_code == 403:
        return _error(request, 403, "permission_denied", "没有执行此操作的权限（浏览器请求须带 CSRF 令牌）")
    return _error(request, exc.status_code, "http_error", str(exc))


@api.exception_handler(Http404)
def on_not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return _error(request, 404, "not_found", "对象不存在或无权访问")


@api.exception_handler(Exception)
def on_unexpected(request: HttpRequest, exc: Exception) -> HttpResponse:
    logger.exception("unhandled API error")
    audit.flush_pending()
    return _error(request, 500, "internal_error", "服务器内部错误，已记录，请稍后重试")


@api.get("/ping", auth=None, summary="探活（无需登录）", tags=["系统"])
def ping(request: HttpRequest) -> dict[str, str]:
    return {"status": "ok"}


api.add_router("", accounts_router)
api.add_router("", reference_router)
api.add_router("", registry_router)
api.add_router("", notify_router)
