"""Read-only back-office view of the audit trail: nothing is added, changed or deleted here."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from zhujian.audit.models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = (
        "id",
        "occurred_at",
        "actor_label",
        "action",
        "outcome",
        "object_type",
        "object_id",
        "object_repr",
        "channel",
        "ip",
    )
    list_filter = ("outcome", "channel")
    search_fields = ("=action", "=object_type", "=object_id", "=actor_label", "=request_id", "=ip")
    ordering = ("-id",)
    # The actor is shown by label and raw id: the user may have been deleted since (no FK constraint).
    readonly_fields = [f.name for f in AuditEvent._meta.concrete_fields if f.name != "actor"] + ["actor_id"]
    exclude = ("actor",)
    show_full_result_count = False  # a COUNT(*) over the whole trail on every page is too slow
    actions = None

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
