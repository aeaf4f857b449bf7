"""In-app notifications are private to their recipient: list, unread count and mark-read never
reach another user's notification, through the API or the page."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from zhujian.accounts import services as accounts
from zhujian.accounts.models import User
from zhujian.notify import selectors, services
from zhujian.notify.models import Notification
from zhujian.registry.tests.support import actions_since, api_call, assert_error_shape, audit_mark, bearer

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(city):
    alice = city.user("alice", "建筑市场监管处", "market_officer")
    bob = city.user("bob", "district:320106", "district_staff")
    mine = [
        services.notify(recipient=alice, title=f"给甲的通知{i}", body="内容", link="/registry/projects/")
        for i in range(3)
    ]
    theirs = [services.notify(recipient=bob, title="给乙的机密通知", level=Notification.Level.URGENT)]
    return {
        "alice": alice,
        "bob": bob,
        "mine": mine,
        "theirs": theirs,
        "alice_token": accounts.mint_personal_token(mfa_verified=True, user=alice, name="t")[1],
        "bob_token": accounts.mint_personal_token(mfa_verified=True, user=bob, name="t")[1],
    }


def _list(raw: str, query: str = "") -> dict:
    response = Client().get("/api/v1/notifications" + query, **bearer(raw))
    assert response.status_code == 200, response.content
    return response.json()


def _unread(user: User) -> list[int]:
    unread = Notification.objects.filter(recipient=user, read_at__isnull=True)
    return sorted(unread.values_list("pk", flat=True))


def test_only_people_receive_notifications(city):
    person = city.user("receiver", "bureau")
    assert services.notify(recipient=person, title="标" * 250).title == "标" * 200
    machine = city.user("machine_rcv", "bureau")
    User.objects.filter(pk=machine.pk).update(kind=User.Kind.MACHINE)
    inactive = city.user("inactive_rcv", "bureau")
    User.objects.filter(pk=inactive.pk).update(is_active=False)
    for recipient in (
        None,
        accounts.system_principal(),
        User.objects.get(pk=machine.pk),
        User.objects.get(pk=inactive.pk),
    ):
        assert services.notify(recipient=recipient, title="不应送达") is None
    assert Notification.objects.count() == 1


def test_the_list_shows_only_my_notifications_with_unread_count(people):
    data = _list(people["alice_token"])
    assert sorted(item["id"] for item in data["items"]) == sorted(n.pk for n in people["mine"])
    assert data["count"] == len(data["items"]) == 3 and data["unread"] == 3
    assert "给乙的机密通知" not in str(data)
    bob = _list(people["bob_token"])
    assert [item["title"] for item in bob["items"]] == ["给乙的机密通知"] and bob["unread"] == 1
    assert selectors.unread_count(people["alice"]) == 3


def test_marking_another_users_notification_marks_nothing(people):
    target = people["theirs"][0].pk
    response = api_call(
        Client(), "POST", "/api/v1/notifications/read", {"ids": [target]}, **bearer(people["alice_token"])
    )
    assert response.status_code == 200 and response.json() == {"marked": 0}
    assert _unread(people["bob"]) == [target]
    assert services.mark_read(user=people["alice"], notification_ids=[target]) == 0
    assert _unread(people["bob"]) == [target]


def test_mark_some_then_all_read(people):
    first, second, third = (n.pk for n in people["mine"])
    response = api_call(
        Client(),
        "POST",
        "/api/v1/notifications/read",
        {"ids": [first, people["theirs"][0].pk]},
        **bearer(people["alice_token"]),
    )
    assert response.json() == {"marked": 1}
    assert _unread(people["alice"]) == sorted([second, third])
    data = _list(people["alice_token"], "?unread_only=true")
    assert sorted(item["id"] for item in data["items"]) == sorted([second, third]) and data["unread"] == 2
    # Marking again does not count twice.
    assert services.mark_read(user=people["alice"], notification_ids=[first]) == 0
    response = api_call(Client(), "POST", "/api/v1/notifications/read", {}, **bearer(people["alice_token"]))
    assert response.json() == {"marked": 2}
    assert _unread(people["alice"]) == [] and _list(people["alice_token"])["unread"] == 0
    assert _unread(people["bob"]) == [people["theirs"][0].pk]


@pytest.mark.parametrize(
    "body,field",
    [
        ({"ids": "all"}, "ids"),
        ({"ids": ["x"]}, "ids.0"),
        ({"ids": list(range(501))}, "ids"),
        ({"ids": [1], "recipient_id": 2}, "recipient_id"),
    ],
)
def test_bad_mark_read_body_is_422_and_marks_nothing(people, body, field):
    response = api_call(Client(), "POST", "/api/v1/notifications/read", body, **bearer(people["alice_token"]))
    error = assert_error_shape(response, 422, "validation_error")
    assert field in error["fields"]
    assert len(_unread(people["alice"])) == 3


def test_the_page_shows_only_my_notifications_and_marks_all_read(people):
    client = Client()
    client.force_login(people["alice"])
    html = client.get("/notifications/").content.decode()
    assert all(n.title in html for n in people["mine"]) and "给乙的机密通知" not in html
    response = client.post("/notifications/read/")
    assert response.status_code == 302
    assert _unread(people["alice"]) == [] and len(_unread(people["bob"])) == 1
    assert client.get("/notifications/read/").status_code == 405


def test_anonymous_sees_no_notifications(people):
    assert_error_shape(Client().get("/api/v1/notifications"), 401, "not_authenticated")
    response = Client().get("/notifications/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_purge_drops_only_old_read_notifications_with_one_audit_record(people):
    old, recent, _ = people["mine"]
    Notification.objects.filter(pk=old.pk).update(read_at=timezone.now() - timedelta(days=200))
    Notification.objects.filter(pk=recent.pk).update(read_at=timezone.now() - timedelta(days=10))
    mark = audit_mark()
    assert services.purge_read_older_than(days=180) == 1
    assert not Notification.objects.filter(pk=old.pk).exists()
    assert Notification.objects.filter(pk=recent.pk).exists() and Notification.objects.count() == 3
    assert actions_since(mark) == [("notify.purge", "success")]
