"""The 工作日历 page: only calendar keepers reach it; an override changes the arithmetic."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from zhujian.audit.models import AuditEvent
from zhujian.reference import workdays
from zhujian.reference.models import WorkdayOverride


@pytest.fixture
def keeper(city):
    return city.user("calendar_keeper", "bureau", "system_admin")


@pytest.mark.django_db
def test_a_keeper_adds_and_removes_an_override(keeper) -> None:
    client = Client()
    client.force_login(keeper)
    assert client.get("/reference/calendar/").status_code == 200
    day = dt.date(2030, 1, 2)  # a Wednesday in a year the package does not know
    assert workdays.is_workday(day)
    response = client.post(
        "/reference/calendar/", {"day": "2030-01-02", "is_workday": "0", "note": "测试通知"}
    )
    assert response.status_code == 302
    assert not workdays.is_workday(day)
    assert AuditEvent.objects.filter(action__startswith="reference.workday_override").count() == 1
    client.post("/reference/calendar/delete/", {"day": "2030-01-02"})
    assert not WorkdayOverride.objects.exists() and workdays.is_workday(day)


@pytest.mark.django_db
def test_a_missing_note_is_named_and_nothing_is_written(keeper) -> None:
    client = Client()
    client.force_login(keeper)
    response = client.post("/reference/calendar/", {"day": "2030-01-02", "is_workday": "0", "note": ""})
    assert response.status_code == 200 and "依据/说明" in response.content.decode()
    assert not WorkdayOverride.objects.exists()


@pytest.mark.django_db
def test_other_staff_are_refused(city) -> None:
    client = Client()
    client.force_login(city.user("plain_reviewer", "行政审批处", "approval_reviewer"))
    assert client.get("/reference/calendar/").status_code == 403
    client.post("/reference/calendar/", {"day": "2030-01-02", "is_workday": "0", "note": "x"})
    assert not WorkdayOverride.objects.exists()
