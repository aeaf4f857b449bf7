"""Issue 3, login failure handling: lock after 5 failures per username (whatever the address),
after 20 per address (whatever the username), X-Forwarded-For only from a trusted proxy, unknown
user and wrong password identical (also while locked), every failure and lock audited, unlock
after the period, and the same lock on every password path (authenticate(), the admin)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.contrib.auth import authenticate
from django.test import Client, RequestFactory
from django.utils import timezone

from zhujian.accounts import services
from zhujian.accounts.models import LoginFailure, LoginLock
from zhujian.core.middleware import client_ip
from zhujian.registry.tests.support import audit_mark, audit_since

pytestmark = pytest.mark.django_db

PASSWORD = "Test-pass-123"
FAILED = "用户名或密码错误"
LOCKED = "账户已锁定，请 30 分钟后再试"


def _login(username: str, password: str, *, ip: str = "198.51.100.7", xff: str | None = None, client=None):
    client = client or Client()
    extra = {"REMOTE_ADDR": ip}
    if xff is not None:
        extra["HTTP_X_FORWARDED_FOR"] = xff
    response = client.post("/accounts/login/", {"username": username, "password": password}, **extra)
    return client, response


def _normalised(response, username: str) -> str:
    html = response.content.decode()
    html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)
    html = re.sub(r'name="csrf-token" content="[^"]+"', "", html)
    html = re.sub(r'nonce="[^"]+"', "", html)
    return html.replace(f'value="{username}"', 'value="…"')


def _logged_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def _events(mark: int) -> list[tuple[str, str, str]]:
    return [(e.action, e.outcome, e.actor_label) for e in audit_since(mark)]


def test_five_failures_lock_the_account_and_the_right_password_is_then_refused(market_officer):
    mark = audit_mark()
    for attempt in range(1, 5):
        _, response = _login("market1", f"wrong-{attempt}")
        assert response.status_code == 200 and FAILED in response.content.decode()
    assert not LoginLock.objects.exists()
    _, response = _login("market1", "wrong-5")
    assert response.status_code == 200 and LOCKED in response.content.decode()
    lock = LoginLock.objects.get(kind="username", key="market1")
    assert lock.failures == 5
    assert timedelta(minutes=29) < lock.locked_until - timezone.now() <= timedelta(minutes=30)

    client, response = _login("market1", PASSWORD)  # the 6th, with the right password
    assert response.status_code == 200 and LOCKED in response.content.decode()
    assert not _logged_in(client)
    assert _events(mark) == [("accounts.login", "failed", "market1")] * 5 + [
        ("accounts.lockout", "success", "market1"),
        ("accounts.login", "failed", "market1"),
    ]
    assert audit_since(mark)[-1].detail == {"reason": "locked", "lock": "username"}
    assert authenticate(username="market1", password=PASSWORD) is None  # every path shares the lock


def test_spreading_attempts_over_20_addresses_does_not_help(market_officer):
    mark = audit_mark()
    for n in range(20):
        client, response = _login(
            "market1", PASSWORD if n >= 5 else "wrong", ip=f"203.0.113.{n + 1}", xff=f"192.0.2.{n + 1}"
        )
        assert response.status_code == 200 and not _logged_in(client)
        assert (LOCKED if n >= 4 else FAILED) in response.content.decode()
    assert LoginLock.objects.filter(kind="username", key="market1").count() == 1
    assert not LoginLock.objects.filter(kind="address").exists()
    events = _events(mark)
    assert events.count(("accounts.lockout", "success", "market1")) == 1
    assert events.count(("accounts.login", "failed", "market1")) == 20
    # The username is the key whatever its case.
    _, response = _login("MARKET1", PASSWORD, ip="203.0.113.99")
    assert LOCKED in response.content.decode()


def test_one_address_failing_against_many_usernames_is_locked_and_spoofed_xff_does_not_help(market_officer):
    mark = audit_mark()
    for n in range(20):
        _, response = _login(f"guess{n}", "wrong", ip="198.51.100.50", xff=f"10.9.9.{n}")
        assert response.status_code == 200
    lock = LoginLock.objects.get(kind="address", key="198.51.100.50")
    assert lock.failures == 20
    assert not LoginLock.objects.filter(kind="username").exists()
    assert ("accounts.lockout", "success", "guess19") in _events(mark)
    # The right password of a real account from that address is refused, whatever XFF claims…
    client, response = _login("market1", PASSWORD, ip="198.51.100.50", xff="192.0.2.200")
    assert LOCKED in response.content.decode() and not _logged_in(client)
    # …and allowed from another address.
    client, response = _login("market1", PASSWORD, ip="198.51.100.51")
    assert response.status_code == 302 and _logged_in(client)


def test_a_trusted_proxys_forwarded_address_is_the_one_counted(settings, market_officer):
    settings.ZHUJIAN_TRUSTED_PROXIES = ["10.0.0.0/8"]
    mark = audit_mark()
    for n in range(20):
        _login(f"guess{n}", "wrong", ip="10.0.0.2", xff=f"6.6.6.{n}, 203.0.113.77, 10.0.0.3")
    assert set(LoginLock.objects.filter(kind="address").values_list("key", flat=True)) == {"203.0.113.77"}
    assert {e.ip for e in audit_since(mark)} == {"203.0.113.77"}
    # Another client behind the same proxy is not locked out with it.
    client, response = _login("market1", PASSWORD, ip="10.0.0.2", xff="203.0.113.78")
    assert response.status_code == 302 and _logged_in(client)


@pytest.mark.parametrize(
    "trusted,remote,xff,expected",
    [
        ([], "198.51.100.1", "1.2.3.4", "198.51.100.1"),  # no trusted proxy: header ignored
        (["10.0.0.1"], "198.51.100.1", "1.2.3.4", "198.51.100.1"),  # not from the proxy: ignored
        (["10.0.0.1"], "10.0.0.1", "1.2.3.4", "1.2.3.4"),
        (["10.0.0.0/8"], "10.0.0.1", "1.2.3.4, 5.6.7.8, 10.0.0.9", "5.6.7.8"),  # right-most untrusted
        (["10.0.0.0/8"], "10.0.0.1", "", "10.0.0.1"),
        (["10.0.0.0/8"], "10.0.0.1", "1.2.3.4, not-an-ip", "10.0.0.1"),
        (["10.0.0.0/8", "2001:db8::/32"], "2001:db8::1", "2001:db8::2, 2400:3200::1", "2400:3200::1"),
    ],
)
def test_client_ip(settings, trusted, remote, xff, expected):
    settings.ZHUJIAN_TRUSTED_PROXIES = trusted
    request = RequestFactory().get("/", REMOTE_ADDR=remote, HTTP_X_FORWARDED_FOR=xff)
    assert client_ip(request) == expected


def test_unknown_user_and_wrong_password_look_identical_before_and_during_the_lock(market_officer):
    for attempt in range(6):
        known_client, known = _login("market1", "wrong" if attempt < 5 else PASSWORD, ip="198.51.100.1")
        unknown_client, unknown = _login("nobody1", "wrong" if attempt < 5 else PASSWORD, ip="198.51.100.2")
        assert known.status_code == unknown.status_code == 200
        assert _normalised(known, "market1") == _normalised(unknown, "nobody1")
        assert set(known.cookies) == set(unknown.cookies)
        assert not _logged_in(known_client) and not _logged_in(unknown_client)
        assert (LOCKED if attempt >= 4 else FAILED) in known.content.decode()
    assert set(LoginLock.objects.values_list("key", flat=True)) == {"market1", "nobody1"}


def test_unlock_after_the_period(market_officer):
    for _ in range(5):
        _login("market1", "wrong")
    lock = LoginLock.objects.get(kind="username", key="market1")
    LoginLock.objects.filter(pk=lock.pk).update(locked_until=timezone.now() - timedelta(seconds=1))
    client, response = _login("market1", PASSWORD)
    assert response.status_code == 302 and _logged_in(client)
    assert not LoginFailure.objects.filter(kind="username", key="market1").exists()


def test_old_failures_fall_out_of_the_window_and_success_clears_the_username(market_officer):
    for _ in range(4):
        _login("market1", "wrong")
    LoginFailure.objects.update(at=timezone.now() - timedelta(minutes=31))
    for _ in range(4):
        _login("market1", "wrong")
    assert not LoginLock.objects.exists()
    _, response = _login("market1", PASSWORD)
    assert response.status_code == 302
    assert not LoginFailure.objects.filter(kind="username").exists()
    assert LoginFailure.objects.filter(kind="address").count() == 8  # the address keeps its count
    for _ in range(4):
        _login("market1", "wrong")
    assert not LoginLock.objects.exists()


def test_lockout_settings_are_configurable(settings, market_officer):
    settings.ZHUJIAN_LOCKOUT_FAILURES = 2
    settings.ZHUJIAN_LOCKOUT_MINUTES = 10
    _login("market1", "wrong")
    _, response = _login("market1", "wrong")
    assert "账户已锁定，请 10 分钟后再试" in response.content.decode()


def test_the_admin_login_shares_the_lock(city):
    admin = city.user("sysadmin1", "bureau")
    admin.is_staff = True
    admin.is_superuser = True
    admin.save()
    for _ in range(5):
        Client().post(
            "/admin/login/", {"username": "sysadmin1", "password": "wrong"}, REMOTE_ADDR="192.0.2.1"
        )
    assert LoginLock.objects.filter(kind="username", key="sysadmin1").exists()
    mark = audit_mark()
    client = Client()
    response = client.post(
        "/admin/login/?next=/admin/", {"username": "sysadmin1", "password": PASSWORD}, REMOTE_ADDR="192.0.2.2"
    )
    assert response.status_code == 200 and not _logged_in(client)
    assert _events(mark) == [("accounts.login", "failed", "sysadmin1")]


def test_an_administrator_can_lift_a_lock(city, market_officer):
    for _ in range(5):
        _login("market1", "wrong")
    with pytest.raises(services.PermissionDenied):
        services.unlock_login(kind="username", key="market1", actor=market_officer)
    assert LoginLock.objects.exists()
    admin = city.user("sysadmin1", "bureau", "system_admin")
    mark = audit_mark()
    assert services.unlock_login(kind="username", key="market1", actor=admin) == 1
    assert not LoginLock.objects.exists()
    assert [(e.action, e.outcome) for e in audit_since(mark)] == [("accounts.unlock", "success")]
