"""Periodic schedules: each due job is enqueued once per interval, as the system principal."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from django_tasks import task

from zhujian.audit import services as audit
from zhujian.audit.models import AuditEvent
from zhujian.core import jobs
from zhujian.core.models import PeriodicJobRun

RUNS: list[str] = []


@task()
def tick() -> None:
    RUNS.append("tick")
    audit.record(action="core.test.tick")


@pytest.fixture
def registered_tick():
    jobs.periodic(every=timedelta(hours=1))(tick)
    RUNS.clear()
    yield tick
    jobs._REGISTRY.pop(tick.module_path, None)


@pytest.mark.django_db
def test_due_job_is_enqueued_once_per_interval(registered_tick) -> None:
    now = timezone.now()
    with jobs.acting_as_system():
        assert registered_tick.module_path in jobs.enqueue_due(now)
        assert registered_tick.module_path not in jobs.enqueue_due(now + timedelta(minutes=59))
        assert registered_tick.module_path in jobs.enqueue_due(now + timedelta(minutes=61))
    assert RUNS == ["tick", "tick"]
    run = PeriodicJobRun.objects.get(name=registered_tick.module_path)
    assert run.last_enqueued_at == now + timedelta(minutes=61)


@pytest.mark.django_db
def test_jobs_act_as_the_system_principal(registered_tick) -> None:
    with jobs.acting_as_system():
        jobs.enqueue_due()
    event = AuditEvent.objects.filter(action="core.test.tick").get()
    assert event.actor_label == "system" and event.actor_id is not None
    assert event.channel == "job"


def test_discover_registers_the_apps_periodic_jobs() -> None:
    jobs.discover()
    assert "zhujian.notify.tasks.purge_read_notifications" in {job.name for job in jobs.registered()}
