"""Fixtures for tests across apps: the demo organisations, users per role, a small city.

Registered as a pytest plugin by the root conftest.py. Objects are made through the services, as
a user would make them, so tests exercise the same validation and audit.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest

from zhujian.accounts.models import Organization, User
from zhujian.core import codes

_counter = itertools.count(1)


def valid_uscc(seed: int | None = None) -> str:
    from zhujian.registry.seed import make_uscc

    return make_uscc(random.Random(seed if seed is not None else next(_counter) * 7919), "320106")


def valid_id_number(seed: int | None = None, *, male: bool = True) -> str:
    from zhujian.registry.seed import make_id_number

    return make_id_number(random.Random(seed if seed is not None else next(_counter) * 104729), male=male)


def project_code(region: str = "320106") -> str:
    serial = next(_counter)
    return f"2405-{region}-04-01-{serial:06d}"


@dataclass
class City:
    orgs: dict[str, Organization]

    def user(self, username: str, org_key: str, *roles: str) -> User:
        from zhujian.accounts.services import create_user

        return create_user(
            username=username,
            full_name=username,
            organization=self.orgs[org_key],
            password="Test-pass-123",
            role_codes=roles,
        )


@pytest.fixture
def city(db: Any) -> City:
    """The organisations of the demo city and the roles, without the bulk demo data."""
    from zhujian.accounts import seed
    from zhujian.accounts.services import sync_roles

    orgs = seed.seed_organizations()
    sync_roles()
    return City(orgs=orgs)


@pytest.fixture
def market_officer(city: City) -> User:
    return city.user("market1", "建筑市场监管处", "market_officer")


@pytest.fixture
def make_enterprise(market_officer: User) -> Callable[..., Any]:
    from zhujian.registry import services

    def make(name: str | None = None, roles: tuple[str, ...] = ("contractor",), **kwargs: Any) -> Any:
        n = next(_counter)
        return services.create_enterprise(
            actor=market_officer,
            uscc=valid_uscc(n),
            name=name or f"测试企业{n}有限公司",
            roles=list(roles),
            **kwargs,
        )

    return make


@pytest.fixture
def make_project(market_officer: User) -> Callable[..., Any]:
    from zhujian.registry import services

    def make(region: str = "320106", name: str | None = None, **kwargs: Any) -> Any:
        return services.create_project(
            actor=market_officer,
            code=project_code(region),
            name=name or f"测试项目{next(_counter)}",
            region_code=region,
            **kwargs,
        )

    return make


@pytest.fixture
def make_person(market_officer: User) -> Callable[..., Any]:
    from zhujian.registry import services

    def make(name: str = "张三", employer: Organization | None = None, **kwargs: Any) -> Any:
        return services.create_person(
            actor=market_officer, name=name, id_number=valid_id_number(), employer=employer, **kwargs
        )

    return make


__all__ = ["City", "codes", "date", "project_code", "valid_id_number", "valid_uscc"]


def login_with_mfa(client: Any, user: User) -> None:
    """Log a test client in as if it had passed the password and the second factor."""
    from zhujian.accounts.mfa import SESSION_VERIFIED

    client.force_login(user)
    session = client.session
    session[SESSION_VERIFIED] = 1
    session.save()
