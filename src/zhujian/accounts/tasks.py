"""Background jobs of accounts."""

from __future__ import annotations

from datetime import timedelta

from django.contrib.sessions.models import Session
from django.db import transaction
from django.utils import timezone
from django_tasks import task

from zhujian.accounts import services
from zhujian.audit import services as audit
from zhujian.core.jobs import periodic


@periodic(every=timedelta(hours=1))
@task()
def clear_expired_sessions() -> int:
    """Delete expired session rows (what `clearsessions` does) and their index rows."""
    with transaction.atomic():
        expired, _ = Session.objects.filter(expire_date__lt=timezone.now()).delete()
        pruned = services.prune_session_index()
        if expired or pruned:
            audit.record(action="accounts.sessions.clear", count=expired, detail={"index_rows": pruned})
    return expired
