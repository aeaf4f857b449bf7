"""The hourly session clean-up removes expired sessions and their index rows, nothing else."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.utils import timezone

from zhujian.accounts.models import UserSession
from zhujian.accounts.tasks import clear_expired_sessions


@pytest.mark.django_db
def test_expired_sessions_and_their_index_rows_go(market_officer) -> None:
    live, old = SessionStore(), SessionStore()
    live.create()
    old.create()
    an_hour_ago = timezone.now() - timedelta(hours=1)
    Session.objects.filter(session_key=old.session_key).update(expire_date=an_hour_ago)
    for key in (live.session_key, old.session_key):
        assert key is not None
        UserSession.objects.create(user=market_officer, session_key=key)
    clear_expired_sessions.call()
    assert list(Session.objects.values_list("session_key", flat=True)) == [live.session_key]
    assert list(UserSession.objects.values_list("session_key", flat=True)) == [live.session_key]
