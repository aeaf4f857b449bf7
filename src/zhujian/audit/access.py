"""Scoped object look-ups that audit a denial: another district's object and a missing one give
the same 404, and asking for the former leaves one denial record (DESIGN.md, Scoped reads)."""

from __future__ import annotations

from typing import Any, TypeVar

from django.db.models import Model

from zhujian.audit import services as audit
from zhujian.core.errors import NotFound, PermissionDenied

M = TypeVar("M", bound=Model)


def get_visible(model: type[M], user: Any, pk: Any, *, select_related: tuple[str, ...] = ()) -> M:
    manager: Any = model._default_manager
    obj = manager.visible_to(user).select_related(*select_related).filter(pk=pk).first()
    if obj is not None:
        return obj
    if manager.filter(pk=pk).exists():
        audit.record(
            action="access.denied",
            actor=user,
            outcome="denied",
            object_type=model._meta.label_lower,
            object_id=str(pk),
        )
    raise NotFound()


def require_permission(actor: Any, permission: str, *, message: str | None = None, **detail: Any) -> None:
    """Refuse, and audit the refusal, unless ``actor`` holds ``permission`` (DESIGN.md, Audit).

    Inside a transaction the denial record is queued and written after the rollback.
    """
    if actor is not None and actor.has_perm(permission):
        return
    audit.record(
        action="access.denied", actor=actor, outcome="denied", detail={"permission": permission, **detail}
    )
    raise PermissionDenied(message)
