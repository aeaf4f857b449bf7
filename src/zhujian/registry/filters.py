"""One filter definition per list, used by the HTML list and the API list alike."""

from __future__ import annotations

from typing import Literal

from ninja import Schema
from pydantic import Field

from zhujian.registry.models import EnterpriseRole, Project

ProjectOrdering = Literal[
    "-id",
    "id",
    "name",
    "-name",
    "code",
    "-code",
    "planned_start",
    "-planned_start",
    "investment",
    "-investment",
]


class ProjectFilter(Schema):
    q: str | None = Field(None, max_length=100, description="关键词：项目名称、代码、地址、所在区")
    region: str | None = Field(None, pattern=r"^\d{6}$", description="所在区 GB/T 2260 代码")
    stage: Project.Stage | None = None
    status: Project.Status | None = None
    kind: Project.Kind | None = None
    key_project: bool | None = None
    ordering: ProjectOrdering = "-id"


EnterpriseOrdering = Literal["-id", "id", "name", "-name", "uscc"]


class EnterpriseFilter(Schema):
    q: str | None = Field(None, max_length=100, description="关键词：企业名称、信用代码、法定代表人、地址")
    role: EnterpriseRole | None = None
    ordering: EnterpriseOrdering = "-id"


class PersonFilter(Schema):
    q: str | None = Field(None, max_length=50, description="姓名关键词")
    id_number: str | None = Field(None, max_length=18, description="身份证号（精确匹配，盲索引）")
    employer: int | None = Field(None, ge=1, description="所在单位 ID")
