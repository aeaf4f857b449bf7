"""The working-day calendar page (工作日历): the overrides staff add when a year's holidays are
published, and the years the calendar does not know yet."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from zhujian.core.errors import PermissionDenied
from zhujian.core.web import submit
from zhujian.reference import services, workdays
from zhujian.reference.models import WorkdayOverride

CHANGE = "reference.change_workdayoverride"


class OverrideForm(forms.Form):
    day = forms.DateField(label="日期", widget=forms.DateInput(attrs={"type": "date"}))
    is_workday = forms.TypedChoiceField(
        label="调整为",
        choices=[("0", "休息日（法定节假日）"), ("1", "工作日（调休上班）")],
        coerce=lambda value: value == "1",
    )
    note = forms.CharField(
        label="依据/说明", max_length=200, help_text="如：国务院办公厅关于2027年部分节假日安排的通知"
    )


def _require(request: HttpRequest) -> None:
    if not request.user.has_perm(CHANGE):
        raise PermissionDenied()


@login_required
def calendar_view(request: HttpRequest) -> HttpResponse:
    _require(request)
    form = OverrideForm(request.POST or None)
    if request.method == "POST":
        ok, override = submit(
            form,
            lambda data: services.set_workday_override(
                day=data["day"], is_workday=data["is_workday"], note=data["note"], user=request.user
            ),
        )
        if ok and override is not None:
            messages.success(
                request, f"{override.date:%Y-%m-%d} 已调整为{'工作日' if override.is_workday else '休息日'}"
            )
            return redirect("reference:calendar")
    year = timezone.localdate().year
    return render(
        request,
        "reference/calendar.html",
        {
            "form": form,
            "overrides": WorkdayOverride.objects.order_by("-date")[:200],
            "gaps": workdays.calendar_gaps(range(year, year + 2)),
            "today": timezone.localdate(),
            "next_workdays": [workdays.add_workdays(timezone.localdate(), n) for n in (1, 5, 20)],
        },
    )


@login_required
@require_POST
def delete_override(request: HttpRequest) -> HttpResponse:
    _require(request)
    try:
        day = dt.date.fromisoformat(request.POST.get("day", ""))
    except ValueError:
        messages.error(request, "日期格式应为 YYYY-MM-DD")
        return redirect("reference:calendar")
    services.delete_workday_override(day=day, user=request.user)
    messages.success(request, f"已删除 {day:%Y-%m-%d} 的调整")
    return redirect("reference:calendar")
