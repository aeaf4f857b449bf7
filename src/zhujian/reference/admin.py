"""Back office for reference data. Every save and delete goes through ``reference.services``
(DESIGN.md, One write path); the forms run the services' own validation so errors land on fields.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse

from zhujian.reference import services, workdays
from zhujian.reference.models import Region, WorkdayOverride

# Service field names → admin form field names.
_REGION_FIELD = {"parent_code": "parent"}


def _add_errors(form: forms.ModelForm, errors: dict[str, list[str]]) -> None:
    for field, msgs in errors.items():
        name = _REGION_FIELD.get(field, field)
        for msg in msgs:
            form.add_error(name if name in form.fields else None, msg)


class RegionForm(forms.ModelForm):
    class Meta:
        model = Region
        fields = ["code", "name", "level", "parent", "valid_from", "valid_to"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.instance._state.adding:
            parent = data.get("parent")
            _add_errors(
                self,
                services.region_input_errors(
                    code=data.get("code") or "",
                    name=data.get("name") or "",
                    level=data.get("level") or "",
                    parent_code=parent.code if parent else None,
                    valid_from=data.get("valid_from"),
                    valid_to=data.get("valid_to"),
                ),
            )
        elif "valid_to" in data:
            _add_errors(self, services.retire_region_errors(self.instance, data["valid_to"]))
        return data

    def validate_unique(self) -> None:
        # The services report a duplicate code with their own Chinese message.
        return None


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin):
    form = RegionForm
    list_display = ["code", "name", "level", "parent", "valid_from", "valid_to", "source"]
    list_filter = ["level", "source"]
    search_fields = ["code", "name"]
    autocomplete_fields = ["parent"]
    list_select_related = ["parent"]
    list_per_page = 100

    def get_readonly_fields(self, request: HttpRequest, obj: Region | None = None) -> list[str]:
        # Codes are facts: after creation only the retirement date may change.
        if obj is None:
            return []
        return ["code", "name", "level", "parent", "valid_from", "source"]

    def has_delete_permission(self, request: HttpRequest, obj: Region | None = None) -> bool:
        return False  # retire (停用日期) instead: old records keep pointing at the code

    def save_model(self, request: HttpRequest, obj: Region, form: forms.ModelForm, change: bool) -> None:
        data = form.cleaned_data
        if change:
            saved = services.retire_region(code=obj.code, valid_to=data.get("valid_to"), user=request.user)
        else:
            parent = data.get("parent")
            saved = services.create_region(
                code=data["code"],
                name=data["name"],
                level=data["level"],
                parent_code=parent.code if parent else None,
                valid_from=data.get("valid_from"),
                valid_to=data.get("valid_to"),
                user=request.user,
            )
        obj.__dict__.update({f.attname: getattr(saved, f.attname) for f in Region._meta.concrete_fields})
        obj._state.adding = False


@admin.register(WorkdayOverride)
class WorkdayOverrideAdmin(admin.ModelAdmin):
    list_display = ["date", "weekday", "is_workday", "statutory", "note", "created_by", "updated_at"]
    list_filter = ["is_workday"]
    search_fields = ["note"]
    date_hierarchy = "date"
    fields = ["date", "is_workday", "note"]

    @admin.display(description="星期")
    def weekday(self, obj: WorkdayOverride) -> str:
        return "一二三四五六日"[obj.date.weekday()]

    @admin.display(description="法定日历")
    def statutory(self, obj: WorkdayOverride) -> str:
        base = workdays.statutory_is_workday(obj.date)
        return "未收录" if base is None else ("工作日" if base else "休息日")

    def get_readonly_fields(self, request: HttpRequest, obj: WorkdayOverride | None = None) -> list[str]:
        return ["date"] if obj is not None else []

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        warning = workdays.unknown_years_warning()
        if warning and request.method == "GET":
            messages.warning(request, warning)
        return super().changelist_view(request, extra_context)

    def save_model(
        self, request: HttpRequest, obj: WorkdayOverride, form: forms.ModelForm, change: bool
    ) -> None:
        saved = services.set_workday_override(
            day=obj.date, is_workday=obj.is_workday, note=obj.note, user=request.user
        )
        obj.pk = saved.pk
        obj._state.adding = False

    def delete_model(self, request: HttpRequest, obj: WorkdayOverride) -> None:
        services.delete_workday_override(day=obj.date, user=request.user)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[WorkdayOverride]) -> None:
        for day in queryset.values_list("date", flat=True):
            services.delete_workday_override(day=day, user=request.user)
