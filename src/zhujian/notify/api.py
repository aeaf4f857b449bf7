"""The caller's in-app notifications."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Schema
from pydantic import ConfigDict, Field

from zhujian.core.api import PageParams, page_slice
from zhujian.notify import selectors, services

router = Router(tags=["通知"])


class NotificationOut(Schema):
    id: int
    title: str
    body: str
    link: str
    level: str
    created_at: datetime
    read_at: datetime | None


class NotificationPage(Schema):
    items: list[NotificationOut]
    count: int
    unread: int
    page: int
    page_size: int


class MarkReadIn(Schema):
    model_config = ConfigDict(extra="forbid")
    ids: list[int] | None = Field(None, max_length=500, description="不填则全部标为已读")


@router.get("/notifications", response=NotificationPage, summary="我的通知")
def list_notifications(request: HttpRequest, paging: Query[PageParams], unread_only: bool = False) -> Any:
    rows, count, _ = page_slice(selectors.notifications_for(request.user, unread_only=unread_only), paging)
    return {
        "items": list(rows),
        "count": count,
        "unread": selectors.unread_count(request.user),
        "page": paging.page,
        "page_size": paging.page_size,
    }


@router.post("/notifications/read", summary="标为已读")
def mark_read(request: HttpRequest, payload: MarkReadIn) -> dict[str, int]:
    return {"marked": services.mark_read(user=request.user, notification_ids=payload.ids)}
