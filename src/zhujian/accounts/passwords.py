"""The password policy: two profiles, as Django password validators (decision 0010).

``ZHUJIAN_PASSWORD_POLICY`` picks the profile at validation time (so tests can switch it):

* ``dengbao`` (default, GB/T 22239-2019 level 3): at least 8 characters, at least 3 of the 4
  character classes, not containing the username, not one of the last 5 passwords, changed at
  least every ``ZHUJIAN_PASSWORD_MAX_AGE_DAYS`` (90) days.
* ``asvs`` (OWASP ASVS 4.0 V2.1): at least 12 characters (up to 128, spaces allowed), not on the
  common/breached list shipped in ``accounts/data/common-passwords.txt``, no composition rules, no
  forced rotation.

``AUTH_PASSWORD_VALIDATORS`` names only :class:`PolicyValidator`, which runs the profile's rules
and reports every broken rule at once. The single rules are ordinary validators too.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth.hashers import check_password
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.utils import timezone

DENGBAO = "dengbao"
ASVS = "asvs"
PROFILES = (DENGBAO, ASVS)
MAX_LENGTH = 128
COMMON_PASSWORDS_FILE = Path(__file__).resolve().parent / "data" / "common-passwords.txt"


def profile() -> str:
    value = str(getattr(settings, "ZHUJIAN_PASSWORD_POLICY", DENGBAO)).strip().lower()
    if value not in PROFILES:
        raise ImproperlyConfigured(f"ZHUJIAN_PASSWORD_POLICY must be one of {PROFILES}, got {value!r}")
    return value


def history_size() -> int:
    return int(getattr(settings, "ZHUJIAN_PASSWORD_HISTORY", 5))


def max_age() -> timedelta | None:
    """How long a password stays valid, or None when the profile does not rotate (ASVS)."""
    if profile() != DENGBAO:
        return None
    days = int(getattr(settings, "ZHUJIAN_PASSWORD_MAX_AGE_DAYS", 90))
    return timedelta(days=days) if days > 0 else None


def changed_at(user: Any) -> datetime | None:
    return getattr(user, "password_changed_at", None) or getattr(user, "date_joined", None)


def is_expired(user: Any, now: datetime | None = None) -> bool:
    """True when a person's password is older than the profile allows (only people have one)."""
    if getattr(user, "kind", "person") != "person" or not user.has_usable_password():
        return False
    age = max_age()
    since = changed_at(user)
    if age is None or since is None:
        return False
    return (now or timezone.now()) - since > age


class MinimumLengthValidator:
    def __init__(self, min_length: int = 8) -> None:
        self.min_length = min_length

    def validate(self, password: str, user: Any = None) -> None:
        if len(password) < self.min_length:
            raise ValidationError(f"密码至少需要 {self.min_length} 个字符", code="password_too_short")

    def get_help_text(self) -> str:
        return f"至少 {self.min_length} 个字符。"


class MaximumLengthValidator:
    def __init__(self, max_length: int = MAX_LENGTH) -> None:
        self.max_length = max_length

    def validate(self, password: str, user: Any = None) -> None:
        if len(password) > self.max_length:
            raise ValidationError(f"密码不能超过 {self.max_length} 个字符", code="password_too_long")

    def get_help_text(self) -> str:
        return f"不超过 {self.max_length} 个字符。"


def character_classes(password: str) -> int:
    upper = any(c.isupper() for c in password)
    lower = any(c.islower() for c in password)
    digit = any(c.isdigit() for c in password)
    # Anything else is a symbol: punctuation, spaces, Chinese characters.
    symbol = any(not (c.isupper() or c.islower() or c.isdigit()) for c in password)
    return upper + lower + digit + symbol


class CharacterClassesValidator:
    def __init__(self, min_classes: int = 3) -> None:
        self.min_classes = min_classes

    def validate(self, password: str, user: Any = None) -> None:
        if character_classes(password) < self.min_classes:
            raise ValidationError(
                f"密码须包含大写字母、小写字母、数字、特殊字符中的至少 {self.min_classes} 类",
                code="password_too_simple",
            )

    def get_help_text(self) -> str:
        return f"包含大写字母、小写字母、数字、特殊字符中的至少 {self.min_classes} 类。"


class UsernameValidator:
    def validate(self, password: str, user: Any = None) -> None:
        username = str(getattr(user, "username", "") or "").strip().lower()
        if len(username) >= 3 and username in password.lower():
            raise ValidationError("密码不能包含用户名", code="password_contains_username")

    def get_help_text(self) -> str:
        return "不能包含用户名。"


class HistoryValidator:
    """Not the current password nor one of the previous ones (``PasswordHistory``), up to N in all."""

    def __init__(self, size: int | None = None) -> None:
        self.size = size

    def validate(self, password: str, user: Any = None) -> None:
        size = self.size if self.size is not None else history_size()
        if user is None or getattr(user, "pk", None) is None or size <= 0:
            return
        for encoded in recent_hashes(user, size):
            if check_password(password, encoded):
                raise ValidationError(f"新密码不能与最近 {size} 次使用过的密码相同", code="password_reused")

    def get_help_text(self) -> str:
        return f"不能与最近 {self.size or history_size()} 次使用过的密码相同。"


def recent_hashes(user: Any, size: int) -> list[str]:
    from zhujian.accounts.models import PasswordHistory

    hashes: list[str] = []
    current = getattr(user, "password", "")
    if current and user.has_usable_password():
        hashes.append(current)
    for encoded in (
        PasswordHistory.objects.filter(user_id=user.pk)
        .order_by("-id")
        .values_list("password_hash", flat=True)[:size]
    ):
        if encoded not in hashes:
            hashes.append(encoded)
    return hashes[:size]


@cache
def common_passwords() -> frozenset[str]:
    lines = COMMON_PASSWORDS_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip() for line in lines if line.strip() and not line.startswith("#"))


class CommonPasswordValidator:
    """Refuse passwords on the shipped list of common and breached passwords (offline)."""

    def validate(self, password: str, user: Any = None) -> None:
        lowered = password.strip().lower()
        words = common_passwords()
        if lowered in words or "".join(lowered.split()) in words:
            raise ValidationError("密码过于常见或已在泄露密码库中出现，请换一个", code="password_too_common")

    def get_help_text(self) -> str:
        return "不能是常见密码或已泄露的密码。"


def profile_validators(name: str | None = None) -> list[Any]:
    name = name or profile()
    if name == ASVS:
        return [MinimumLengthValidator(12), MaximumLengthValidator(), CommonPasswordValidator()]
    return [
        MinimumLengthValidator(8),
        MaximumLengthValidator(),
        CharacterClassesValidator(3),
        UsernameValidator(),
        HistoryValidator(),
    ]


class PolicyValidator:
    """The configured profile's rules; every broken rule is reported."""

    def validate(self, password: str, user: Any = None) -> None:
        errors: list[ValidationError] = []
        for validator in profile_validators():
            try:
                validator.validate(password, user)
            except ValidationError as exc:
                errors.append(exc)
        if errors:
            raise ValidationError(errors)

    def get_help_text(self) -> str:
        return "".join(v.get_help_text() for v in profile_validators())
