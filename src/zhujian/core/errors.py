"""Domain errors and the API error shape of DESIGN.md: ``{"error": {"code", "message", "fields"}}``.

Services raise these; the API and the UI turn them into a 4xx answer with the Chinese message.
``code`` is a stable snake_case English identifier, ``message`` is Chinese, ``fields`` maps a field
path to a list of Chinese messages.
"""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    status: int = 422
    code: str = "domain_error"
    default_message: str = "请求无法处理"

    def __init__(
        self,
        message: str | None = None,
        *,
        code: str | None = None,
        fields: dict[str, list[str]] | None = None,
    ) -> None:
        self.message = message or self.default_message
        if code:
            self.code = code
        self.fields: dict[str, list[str]] = fields or {}
        super().__init__(self.message)

    def payload(self) -> dict[str, Any]:
        return {"error": {"code": self.code, "message": self.message, "fields": self.fields}}

    def renamed(self, mapping: dict[str, str]) -> DomainError:
        """The same error with field paths renamed to what the caller submitted (a form or schema
        names a related object by its code or id, the service by the object)."""
        fields = {mapping.get(name, name): messages for name, messages in self.fields.items()}
        return type(self)(self.message, code=self.code, fields=fields)


class ValidationError(DomainError):
    status = 422
    code = "validation_error"
    default_message = "输入有误"


class NotFound(DomainError):
    """Missing and out-of-scope look the same (DESIGN.md, Scoped reads)."""

    status = 404
    code = "not_found"
    default_message = "对象不存在或无权访问"


class PermissionDenied(DomainError):
    status = 403
    code = "permission_denied"
    default_message = "没有执行此操作的权限"


class Conflict(DomainError):
    status = 409
    code = "conflict"
    default_message = "数据已被修改或存在冲突，请刷新后重试"


class NotAuthenticated(DomainError):
    status = 401
    code = "not_authenticated"
    default_message = "请先登录"
