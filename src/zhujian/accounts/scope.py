"""Data scope derived from the user's organisation (DESIGN.md, Scoped reads).

| organisation kind        | scope                                                      |
| ------------------------ | ---------------------------------------------------------- |
| bureau, bureau department| ALL: the whole city                                        |
| district bureau          | DISTRICT: projects in the bureau's district                |
| outside department       | DEPARTMENT: its own review items, projects in its region   |
|                          | that carry one of them                                     |
| enterprise               | ENTERPRISE: projects the organisation takes part in        |
| (system principal)       | ALL                                                        |
| (a 三员 administrator)   | NONE, whatever the organisation                            |

A user with no organisation sees nothing scoped. Each model's queryset turns a Scope into a filter.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any

from zhujian.accounts.models import Organization, User


class ScopeKind(enum.StrEnum):
    ALL = "all"
    DISTRICT = "district"
    DEPARTMENT = "department"
    ENTERPRISE = "enterprise"
    NONE = "none"


@dataclass(frozen=True)
class Scope:
    kind: ScopeKind
    region_code: str | None = None
    organization_id: int | None = None

    @property
    def is_staff(self) -> bool:
        """Government staff (city, district, outside department): sees city-wide registry data."""
        return self.kind in {ScopeKind.ALL, ScopeKind.DISTRICT, ScopeKind.DEPARTMENT}


_KIND_SCOPES = {
    Organization.Kind.BUREAU: ScopeKind.ALL,
    Organization.Kind.BUREAU_DEPARTMENT: ScopeKind.ALL,
    Organization.Kind.DISTRICT_BUREAU: ScopeKind.DISTRICT,
    Organization.Kind.OUTSIDE_DEPARTMENT: ScopeKind.DEPARTMENT,
    Organization.Kind.ENTERPRISE: ScopeKind.ENTERPRISE,
}


def scope_of(user: Any) -> Scope:
    """The user's scope, memoised on the user object for the request."""
    cached = getattr(user, "_zhujian_scope", None)
    if cached is not None:
        return cached
    scope = _compute(user)
    if user is not None:
        user._zhujian_scope = scope
    return scope


def _compute(user: Any) -> Scope:
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return Scope(ScopeKind.NONE)
    if user.kind == User.Kind.SYSTEM:
        return Scope(ScopeKind.ALL)
    holds_admin = getattr(user, "holds_separated_admin", None)  # set by token authentication
    if holds_admin is None:
        holds_admin = user.roles.filter(is_separated_admin=True).exists()
    if holds_admin:
        # 三员分立: the system, security and audit administrators see no business data at all.
        return Scope(ScopeKind.NONE)
    org = user.organization
    if org is None or not org.is_active:
        return Scope(ScopeKind.NONE)
    return Scope(_KIND_SCOPES[Organization.Kind(org.kind)], org.region_id, org.id)
