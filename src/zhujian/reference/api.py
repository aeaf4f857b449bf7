"""Reference data through the API: administrative divisions."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Schema

from zhujian.reference.models import Region

router = Router(tags=["基础数据"])


class RegionOut(Schema):
    code: str
    name: str
    level: str
    parent_id: str | None


@router.get("/regions", response=list[RegionOut], summary="行政区划")
def list_regions(request: HttpRequest, parent: str = Query("320100", pattern=r"^\d{6}$")) -> Any:
    return list(Region.objects.filter(parent_id=parent).order_by("code"))
