"""The login page: one answer for every failure, each attempt audited, the session key rotated,
machine and system principals never log in with a password."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import authenticate
from django.contrib.sessions.backends.db import SessionStore
from django.test import Client

from zhujian.accounts import services
from zhujian.accounts.models import User
from zhujian.registry.tests.support import audit_mark, audit_since

pytestmark = pytest.mark.django_db

PASSWORD = "Test-pass-123"  # what zhujian.testing.City.user sets
FAILED = "用户名或密码错误"


def _post_login(client: Client, username: str, password: str, **extra: str):
    return client.post("/accounts/login/", {"username": username, "password": password, **extra})


def _normalised(html: str, username: str) -> str:
    html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)
    html = re.sub(r'name="csrf-token" content="[^"]+"', "", html)
    return html.replace(f'value="{username}"', 'value="…"')


def _one_failed_record(mark: int, username: str) -> None:
    events = audit_since(mark)
    assert [(e.action, e.outcome, e.actor_id, e.actor_label) for e in events] == [
        ("accounts.login", "failed", None, username or "anonymous")
    ]


def test_wrong_password_and_unknown_user_answer_the_same(city, market_officer):
    inactive = city.user("gone", "建筑市场监管处", "market_officer")
    User.objects.filter(pk=inactive.pk).update(is_active=False)
    pages = []
    for username, password in (("market1", "wrong-password"), ("nobody", PASSWORD), ("gone", PASSWORD)):
        client = Client()
        mark = audit_mark()
        response = _post_login(client, username, password)
        assert response.status_code == 200
        html = response.content.decode()
        assert FAILED in html
        assert "_auth_user_id" not in client.session
        _one_failed_record(mark, username)
        pages.append(_normalised(html, username))
    assert pages[0] == pages[1] == pages[2]


def test_login_page_renders_and_empty_form_is_not_a_server_error(city):
    response = Client().get("/accounts/login/")
    assert response.status_code == 200 and "登录" in response.content.decode()
    mark = audit_mark()
    response = _post_login(Client(), "", "")
    assert response.status_code == 200
    _one_failed_record(mark, "")


def test_successful_login_is_audited_and_rotates_the_session_key(market_officer):
    client = Client()
    session = client.session
    session["before_login"] = "x"
    session.save()
    old_key = session.session_key
    mark = audit_mark()
    response = _post_login(client, "market1", PASSWORD)
    assert response.status_code == 302 and response["Location"] == "/"
    events = audit_since(mark)
    assert [(e.action, e.outcome, e.actor_id) for e in events] == [
        ("accounts.login", "success", market_officer.pk)
    ]
    new_key = client.cookies["sessionid"].value
    assert new_key != old_key
    assert not SessionStore().exists(old_key)
    assert client.session["_auth_user_id"] == str(market_officer.pk)
    assert client.get("/registry/projects/").status_code == 200


@pytest.mark.parametrize(
    "target,expected",
    [
        ("/registry/projects/", "/registry/projects/"),
        ("https://evil.example/", "/"),
        ("//evil.example/x", "/"),
    ],
)
def test_login_redirects_only_to_our_own_pages(market_officer, target, expected):
    response = _post_login(Client(), "market1", PASSWORD, next=target)
    assert response.status_code == 302 and response["Location"] == expected


def test_logout_is_audited_and_ends_the_session(market_officer):
    client = Client()
    _post_login(client, "market1", PASSWORD)
    mark = audit_mark()
    response = client.post("/accounts/logout/")
    assert response.status_code == 302
    assert [(e.action, e.actor_id) for e in audit_since(mark)] == [("accounts.logout", market_officer.pk)]
    assert client.get("/registry/projects/").status_code == 302


def test_machine_and_system_principals_cannot_log_in_with_a_password(city):
    system = services.system_principal()
    machine = city.user("machine-like", "bureau")
    for principal, kind in ((system, User.Kind.SYSTEM), (machine, User.Kind.MACHINE)):
        # Even if a password were set on such a principal, the backend refuses it.
        principal.kind = kind
        principal.set_password(PASSWORD)
        principal.save()
        assert authenticate(username=principal.username, password=PASSWORD) is None
        client = Client()
        mark = audit_mark()
        response = _post_login(client, principal.username, PASSWORD)
        assert response.status_code == 200 and FAILED in response.content.decode()
        assert "_auth_user_id" not in client.session
        _one_failed_record(mark, principal.username)
    person = city.user("a_person", "bureau")
    assert authenticate(username="a_person", password=PASSWORD) == person
