"""Chinese search through the API lists (DESIGN.md, Search in Chinese): a two-character word is
found inside a longer word, nothing else is found, codes are found, and the count matches."""

from __future__ import annotations

import pytest
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from zhujian.core import crypto
from zhujian.registry import services

pytestmark = pytest.mark.django_db


@pytest.fixture
def projects(make_project):
    return {
        "gulou": make_project(region="320106", name="鼓楼区滨江商务中心"),
        "school": make_project(region="320115", name="江宁区东山小学校园扩建工程"),
        # 学 and 校 but not 学校; 楼 but not 鼓楼
        "near_miss": make_project(region="320102", name="玄武区学习校区楼宇改造"),
        "other": make_project(region="320113", name="栖霞区仙林大道管网工程"),
    }


@pytest.fixture
def client(market_officer):
    client = Client()
    client.force_login(market_officer)
    return client


def _names(client: Client, path: str, q: str, **params: str) -> list[str]:
    response = client.get(path, {"q": q, "page_size": 200, **params})
    assert response.status_code == 200, response.content
    data = response.json()
    assert data["count"] == len(data["items"])
    return sorted(item["name"] for item in data["items"])


@pytest.mark.parametrize(
    "q,expected",
    [
        ("鼓楼", ["鼓楼区滨江商务中心"]),  # a word at the start of a longer word (鼓楼区)
        ("学校", ["江宁区东山小学校园扩建工程"]),  # inside 小学校园
        ("区滨", ["鼓楼区滨江商务中心"]),  # across a word boundary
        ("校园扩建", ["江宁区东山小学校园扩建工程"]),
        ("学校 工程", ["江宁区东山小学校园扩建工程"]),  # every term must match
        ("楼", ["玄武区学习校区楼宇改造", "鼓楼区滨江商务中心"]),  # one character: any document containing it
        ("江宁", ["江宁区东山小学校园扩建工程"]),
        ("鼓楼学校", []),  # each word is somewhere, but no project holds both
        ("上海", []),
    ],
)
def test_project_search_finds_words_inside_longer_words(client, projects, q, expected):
    assert _names(client, "/api/v1/projects", q) == expected


def test_every_two_character_slice_of_a_name_finds_it(client, projects):
    name = projects["school"].name
    for i in range(len(name) - 1):
        assert projects["school"].name in _names(client, "/api/v1/projects", name[i : i + 2]), name[i : i + 2]


def test_project_code_query_finds_the_project(client, projects):
    code = projects["near_miss"].code
    full_width = code.translate(str.maketrans("0123456789-", "０１２３４５６７８９－"))
    for q in (code, code.replace("-", ""), full_width, f" {code} "):
        assert _names(client, "/api/v1/projects", q) == ["玄武区学习校区楼宇改造"], q
    # A code prefix finds every project registered under it, and nothing else.
    assert len(_names(client, "/api/v1/projects", code[:11])) == 1  # 2405-320102: only the 玄武 project


def test_search_and_filters_combine_and_the_page_agrees(client, projects):
    assert _names(client, "/api/v1/projects", "楼", region="320102") == ["玄武区学习校区楼宇改造"]
    html = client.get("/registry/projects/", {"q": "学校"}).content.decode()
    assert "江宁区东山小学校园扩建工程" in html and "玄武区学习校区楼宇改造" not in html and "共 1 条" in html


def test_search_reflects_a_rename(client, market_officer, projects):
    services.update_project(
        actor=market_officer, project=projects["other"], changes={"name": "栖霞区图书馆新建工程"}
    )
    assert _names(client, "/api/v1/projects", "仙林") == []
    assert _names(client, "/api/v1/projects", "书馆") == ["栖霞区图书馆新建工程"]


def test_enterprise_and_person_search(client, market_officer, make_enterprise, make_person):
    ent = make_enterprise(name="南京鼓楼建设集团有限公司")
    make_enterprise(name="江苏中建工程有限公司")
    assert _names(client, "/api/v1/enterprises", "建设") == ["南京鼓楼建设集团有限公司"]
    both = ["南京鼓楼建设集团有限公司", "江苏中建工程有限公司"]
    assert _names(client, "/api/v1/enterprises", "有限公司") == both
    assert _names(client, "/api/v1/enterprises", ent.uscc) == ["南京鼓楼建设集团有限公司"]
    # A typed prefix of the code, in lower case.
    assert _names(client, "/api/v1/enterprises", ent.uscc[:14].lower()) == ["南京鼓楼建设集团有限公司"]
    make_person(name="欧阳小明")
    make_person(name="王明")
    assert _names(client, "/api/v1/persons", "小明") == ["欧阳小明"]
    assert _names(client, "/api/v1/persons", "明") == ["欧阳小明", "王明"]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(q=st.text(max_size=100))
def test_any_query_text_is_answered_without_error(client, projects, q):
    response = client.get("/api/v1/projects", {"q": q})
    assert response.status_code in (200, 422), (q, response.status_code)
    if response.status_code == 200:
        data = response.json()
        assert data["count"] == len(data["items"]) <= 4


def test_person_exact_search_by_id_number_uses_the_blind_index(client, make_person):
    wanted = make_person(name="孙八")
    make_person(name="周九")
    plaintext = crypto.decrypt_field(wanted.id_number_cipher)
    full_width = plaintext.translate(str.maketrans("0123456789X", "０１２３４５６７８９Ｘ"))
    for typed in (plaintext, plaintext.lower(), full_width):
        data = client.get("/api/v1/persons", {"id_number": typed}).json()
        assert [p["name"] for p in data["items"]] == ["孙八"] and data["count"] == 1
        assert plaintext not in str(data)  # the answer is masked
    # A wrong or partial number finds nobody rather than everybody.
    for typed in (plaintext[:-1], plaintext[:6], "x" * 18):
        assert client.get("/api/v1/persons", {"id_number": typed}).json()["count"] == 0
