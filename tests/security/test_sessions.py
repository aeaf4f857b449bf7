"""Issue 3, sessions: idle and absolute time-outs (the row deleted, audited), server-side logout,
and disabling a user kills their sessions and tokens at once."""

from __future__ import annotations

import time

import pytest
from django.contrib.sessions.models import Session
from django.test import Client

from zhujian.accounts import services, sessions
from zhujian.accounts.models import UserSession
from zhujian.core.errors import PermissionDenied
from zhujian.registry.tests.support import assert_error_shape, audit_mark, audit_since, bearer
from zhujian.testing import login_with_mfa

pytestmark = pytest.mark.django_db

PASSWORD = "Test-pass-123"


def _logged_in_client(username: str) -> Client:
    client = Client()
    response = client.post("/accounts/login/", {"username": username, "password": PASSWORD})
    assert response.status_code == 302
    return client


def _shift(client: Client, **seconds_ago: int) -> str:
    session = client.session
    now = int(time.time())
    if "login" in seconds_ago:
        session[sessions.LOGIN_AT] = now - seconds_ago["login"]
    if "seen" in seconds_ago:
        session[sessions.SEEN_AT] = now - seconds_ago["seen"]
    session.save()
    return session.session_key


@pytest.mark.parametrize(
    ("shift", "reason"),
    [({"seen": 15 * 60 + 1}, "idle"), ({"login": 8 * 3600 + 1, "seen": 10}, "absolute")],
)
def test_time_outs_end_the_session_server_side(market_officer, shift, reason):
    client = _logged_in_client("market1")
    assert client.get("/").status_code == 200
    key = _shift(client, **shift)
    mark = audit_mark()
    response = client.get("/registry/projects/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    assert not Session.objects.filter(session_key=key).exists()
    assert not UserSession.objects.filter(session_key=key).exists()
    assert [(e.action, e.detail, e.actor_id) for e in audit_since(mark)] == [
        ("accounts.session.expire", {"reason": reason}, market_officer.pk)
    ]
    assert client.get("/api/v1/me").status_code == 401


def test_activity_within_the_idle_limit_keeps_the_session(settings, market_officer):
    settings.ZHUJIAN_SESSION_IDLE_MINUTES = 5
    client = _logged_in_client("market1")
    _shift(client, seen=4 * 60, login=7 * 3600)
    assert client.get("/registry/projects/").status_code == 200
    assert int(time.time()) - client.session[sessions.SEEN_AT] < 5  # activity recorded
    _shift(client, seen=5 * 60 + 1)
    assert client.get("/registry/projects/").status_code == 302  # the configured limit applies


def test_logout_deletes_the_session_row(market_officer):
    client = _logged_in_client("market1")
    key = client.session.session_key
    assert Session.objects.filter(session_key=key).exists()
    assert UserSession.objects.filter(session_key=key, user=market_officer).exists()
    client.post("/accounts/logout/")
    assert not Session.objects.filter(session_key=key).exists()
    assert not UserSession.objects.filter(session_key=key).exists()
    client.cookies["sessionid"] = key  # replaying the old cookie gets nothing
    assert client.get("/registry/projects/").status_code == 302


def test_disabling_a_user_kills_their_sessions_and_tokens_at_once(city, market_officer):
    admin = city.user("sys1", "bureau", "system_admin")
    browser, laptop = _logged_in_client("market1"), Client()
    login_with_mfa(laptop, market_officer)
    laptop.get("/")
    _, raw = services.mint_personal_token(user=market_officer, name="脚本", mfa_verified=True)
    assert Client().get("/api/v1/me", **bearer(raw)).status_code == 200
    keys = set(UserSession.objects.filter(user=market_officer).values_list("session_key", flat=True))
    assert keys == {browser.session.session_key, laptop.session.session_key}

    mark = audit_mark()
    services.set_user_active(user=market_officer, active=False, actor=admin)
    assert not Session.objects.filter(session_key__in=keys).exists()
    assert not UserSession.objects.filter(user=market_officer).exists()
    for client in (browser, laptop):
        assert client.get("/registry/projects/").status_code == 302
    assert_error_shape(Client().get("/api/v1/me", **bearer(raw)), 401)
    [event] = audit_since(mark)
    assert (event.action, event.actor_id, event.object_id, event.detail) == (
        "accounts.user.disable",
        admin.pk,
        str(market_officer.pk),
        {"sessions": 2},
    )
    market_officer.refresh_from_db()
    assert market_officer.is_active is False

    services.set_user_active(user=market_officer, active=True, actor=admin)
    assert Client().get("/api/v1/me", **bearer(raw)).status_code == 200  # the token was not revoked
    assert audit_since(mark)[-1].action == "accounts.user.enable"


def test_only_the_system_administrator_disables_users(city, market_officer):
    other = city.user("market2", "建筑市场监管处", "market_officer")
    client = _logged_in_client("market1")
    mark = audit_mark()
    with pytest.raises(PermissionDenied):
        services.set_user_active(user=market_officer, active=False, actor=other)
    market_officer.refresh_from_db()
    assert market_officer.is_active
    assert client.get("/registry/projects/").status_code == 200
    assert [(e.action, e.outcome) for e in audit_since(mark)] == [("access.denied", "denied")]
