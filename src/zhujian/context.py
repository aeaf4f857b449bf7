"""Template context shared by every page (the ``platform`` context processor).

It runs on every template rendered with a request, htmx fragments included, so everything that
costs a query is lazy: the unread count and the staff warnings are computed only when a template
actually uses them, and at most once per render.

Variables:

``DEMO_MODE``             bool, demo banner (settings.DEMO_MODE)
``APP_VERSION``           str, footer (zhujian.__version__)
``CITY_NAME``             str, navbar (settings.ZHUJIAN_CITY_NAME, default 南京市)
``unread_notifications``  int (lazy), navbar badge; 0 for anonymous users
``platform_warnings``     list[str] (lazy), admin warnings; empty unless the user maintains the calendar
``mfa_demo_banner``       str (lazy), demo mode only: "MFA not enforced" for users who would need it in
                          production and have no authenticator bound; "" otherwise (accounts.mfa)
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

import zhujian

logger = logging.getLogger(__name__)

DEFAULT_CITY_NAME = "南京市"
CALENDAR_PERMISSION = "reference.change_workdayoverride"


def _unread_count(user: Any) -> int:
    try:
        from zhujian.notify.selectors import unread_count
    except ImportError:  # notify not installed yet: the page still renders
        return 0
    return int(unread_count(user))


def _platform_warnings() -> list[str]:
    warnings: list[str] = []
    try:
        from zhujian.reference.workdays import unknown_years_warning
    except ImportError:  # reference.workdays not there yet
        pass
    else:
        warnings.extend(_as_messages(unknown_years_warning()))
    return warnings


def _as_messages(value: Any) -> list[str]:
    """Accept what a warning source returns: None/"" (nothing), one string, or several."""
    if not value:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, Iterable):
        return [str(item) for item in value if item]
    return [str(value)]


def _mfa_demo_banner(user: Any) -> str:
    if not getattr(settings, "DEMO_MODE", False) or getattr(user, "pk", None) is None:
        return ""
    try:
        from zhujian.accounts import mfa
    except ImportError:
        return ""
    return mfa.DEMO_BANNER if mfa.required_by_policy(user) and not mfa.has_device(user) else ""


def platform(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    authenticated = bool(user is not None and user.is_authenticated)

    def warnings() -> list[str]:
        # Warnings go to those who can act on them: today, whoever maintains the working-day calendar.
        keeper = authenticated and user.has_perm(CALENDAR_PERMISSION)  # type: ignore[union-attr]
        return _platform_warnings() if keeper else []
    return {
        "DEMO_MODE": bool(getattr(settings, "DEMO_MODE", False)),
        "APP_VERSION": zhujian.__version__,
        "CITY_NAME": getattr(settings, "ZHUJIAN_CITY_NAME", DEFAULT_CITY_NAME),
        "unread_notifications": SimpleLazyObject(lambda: _unread_count(user) if authenticated else 0),
        "platform_warnings": SimpleLazyObject(warnings),
        "mfa_demo_banner": SimpleLazyObject(lambda: _mfa_demo_banner(user) if authenticated else ""),
    }
