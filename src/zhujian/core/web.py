"""Helpers for the server-rendered UI: filters from the query string, pagination, form errors."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django import forms
from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.views import defaults
from pydantic import BaseModel
from pydantic import ValidationError as PydanticValidationError

from zhujian.core.api import validation_fields
from zhujian.core.errors import DomainError, NotFound, PermissionDenied

S = TypeVar("S", bound=BaseModel)
T = TypeVar("T")
UI_PAGE_SIZE = 50


def parse_filters(schema: type[S], request: HttpRequest) -> tuple[S, dict[str, list[str]]]:
    """The list's filter schema from the query string; bad values are dropped and reported."""
    raw = {key: value for key, value in request.GET.items() if value != "" and key in schema.model_fields}
    try:
        return schema.model_validate(raw), {}
    except PydanticValidationError as exc:
        errors = validation_fields(exc.errors())  # type: ignore[arg-type]
        clean = {k: v for k, v in raw.items() if k not in errors}
        return schema.model_validate(clean), errors


def paginate(request: HttpRequest, queryset: QuerySet[Any], per_page: int = UI_PAGE_SIZE) -> tuple[Page, str]:
    """The requested page (out-of-range numbers clamp) and the query string without ``page``."""
    page = Paginator(queryset, per_page).get_page(request.GET.get("page"))
    params = request.GET.copy()
    params.pop("page", None)
    return page, params.urlencode()


def apply_domain_error(form: forms.BaseForm, exc: DomainError) -> None:
    """Show a service's field errors on the form; unknown fields become form-level errors."""
    if not exc.fields:
        form.add_error(None, exc.message)
        return
    for field, messages in exc.fields.items():
        name = field if field in form.fields else None
        for message in messages:
            form.add_error(name, message if name else f"{field}：{message}")


def submit(form: forms.BaseForm, call: Callable[[dict[str, Any]], T]) -> tuple[bool, T | None]:
    """Validate the form and call the service with its data; a domain error lands on the form.

    Returns ``(True, result)`` on success and ``(False, None)`` when the form or the service said no.
    """
    if not form.is_valid():
        return False, None
    try:
        return True, call(form.cleaned_data)
    except DomainError as exc:
        apply_domain_error(form, exc)
        return False, None


class DomainErrorMiddleware:
    """A domain error escaping a view becomes the right page, never a 500."""

    def __init__(self, get_response: Any) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if request.path.startswith("/api/"):
            return None
        if isinstance(exception, NotFound):
            from django.http import Http404

            return defaults.page_not_found(request, Http404(exception.message))
        if isinstance(exception, PermissionDenied):
            from django.core.exceptions import PermissionDenied as DjangoPermissionDenied

            return defaults.permission_denied(request, DjangoPermissionDenied(exception.message))
        if isinstance(exception, DomainError):
            return HttpResponse(
                exception.message, status=exception.status, content_type="text/plain; charset=utf-8"
            )
        return None
