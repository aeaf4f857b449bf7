"""Two factors: TOTP (RFC 6238) with replay protection and single-use backup codes (issue 3).

A small implementation instead of django-otp: django-otp's static tokens are stored in plain
text, and we want the TOTP secret under the platform's SM4 field key like other secrets at rest.

- **Who must.** In production mode (``settings.DEMO_MODE`` False) every person of a bureau-side
  organisation (bureau, department, district bureau, outside department) and every holder of a
  privileged role (``PRIVILEGED_ROLES``). In demo mode MFA is offered and used once bound, but not
  required; ``context.platform`` shows a banner to those who would need it in production.
- **Two-step login.** The password logs the user in (session key rotated) but the session is not
  MFA-verified; ``MfaMiddleware`` then confines it to the verify page (a device is bound) or the
  enrolment page (required, nothing bound): UI redirect, API 403 ``mfa_required``. A correct
  code marks the session verified and rotates its key again (step-up).
- **Replay.** ``MfaDevice.last_t`` is the last accepted time step; only a later step is accepted,
  by a conditional UPDATE, so two concurrent requests cannot both use one code.
- **Wrong codes** are audited (``accounts.mfa.verify`` failed) and count against the username's
  login lock (decision 0010), so a six-digit code cannot be guessed by retrying.
- **Backup codes.** 10 random codes (50 bits each), shown once, stored as password hashes; each
  works once.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import struct
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import quote, urlencode

from django.conf import settings
from django.contrib.auth.hashers import check_password, make_password
from django.db import transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone

from zhujian.accounts.models import BackupCode, MfaDevice, Organization, User
from zhujian.audit import services as audit
from zhujian.core import crypto
from zhujian.core.errors import PermissionDenied, ValidationError

STEP = 30  # seconds per TOTP time step
DIGITS = 6
DRIFT = 1  # accept one step either side (clock drift)
BACKUP_CODE_COUNT = 10
ISSUER = "住建监管平台"
SESSION_VERIFIED = "_zj_mfa_at"  # epoch seconds of the step-up, in the session

STAFF_KINDS = frozenset(
    {
        Organization.Kind.BUREAU,
        Organization.Kind.BUREAU_DEPARTMENT,
        Organization.Kind.DISTRICT_BUREAU,
        Organization.Kind.OUTSIDE_DEPARTMENT,
    }
)
PRIVILEGED_ROLES = frozenset(
    {"system_admin", "security_admin", "audit_admin", "bureau_leader", "market_officer"}
)

MFA_REQUIRED_CODE = "mfa_required"
MFA_REQUIRED_MESSAGE = "请先完成双因素认证（动态口令）"
DEMO_BANNER = "演示模式未强制双因素认证；生产环境中本账号必须绑定动态口令"


class MfaRequired(PermissionDenied):
    code = MFA_REQUIRED_CODE
    default_message = MFA_REQUIRED_MESSAGE


# ---------------------------------------------------------------------------------------------
# TOTP (RFC 6238 over RFC 4226 HOTP, HMAC-SHA1: what every authenticator app speaks)


def new_secret() -> str:
    return base64.b32encode(secrets.token_bytes(20)).decode("ascii")  # 160 bits, unpadded


def hotp(secret_b32: str, counter: int) -> str:
    key = base64.b32decode(secret_b32 + "=" * (-len(secret_b32) % 8), casefold=True)
    digest = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    value = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return str(value % 10**DIGITS).zfill(DIGITS)


def time_step(at: float | None = None) -> int:
    return int((time.time() if at is None else at) // STEP)


def provisioning_uri(secret_b32: str, username: str) -> str:
    label = quote(f"{ISSUER}:{username}")
    query = urlencode({"secret": secret_b32, "issuer": ISSUER, "digits": DIGITS, "period": STEP})
    return f"otpauth://totp/{label}?{query}"


# ---------------------------------------------------------------------------------------------
# Policy


def enforced() -> bool:
    return not getattr(settings, "DEMO_MODE", False)


def required_by_policy(user: Any) -> bool:
    """Would this person need MFA in production mode?"""
    if not getattr(user, "is_authenticated", False) or getattr(user, "kind", None) != User.Kind.PERSON:
        return False
    org = getattr(user, "organization", None)
    if org is not None and org.kind in STAFF_KINDS:
        return True
    return any(role.code in PRIVILEGED_ROLES for role in user.roles.all())


def must_use(user: Any) -> bool:
    return enforced() and required_by_policy(user)


def device_of(user: Any) -> MfaDevice | None:
    return MfaDevice.objects.filter(user_id=user.pk, confirmed_at__isnull=False).first()


def has_device(user: Any) -> bool:
    return MfaDevice.objects.filter(user_id=user.pk, confirmed_at__isnull=False).exists()


def session_verified(request: HttpRequest) -> bool:
    session = getattr(request, "session", None)
    return bool(session is not None and session.get(SESSION_VERIFIED))


def pending(request: HttpRequest) -> str:
    """What the logged-in session still owes: "" (nothing), "verify" or "enrol"."""
    user = request.user
    if not user.is_authenticated or session_verified(request):
        return ""
    if has_device(user):
        return "verify"
    if must_use(user):
        return "enrol"
    return ""


def mark_verified(request: HttpRequest) -> None:
    """Step-up: rotate the session key (no fixation across privilege levels) and flag it."""
    request.session.cycle_key()
    request.session[SESSION_VERIFIED] = int(time.time())


# ---------------------------------------------------------------------------------------------
# Services (audited)


def start_enrolment(*, user: User) -> tuple[MfaDevice, str]:
    """An unconfirmed device with a fresh secret (replacing an earlier unconfirmed one)."""
    if has_device(user):
        raise ValidationError("已绑定动态口令", code="mfa_enrolled")
    secret = new_secret()
    device, _ = MfaDevice.objects.update_or_create(
        user=user,
        defaults={"secret_cipher": crypto.encrypt_field(secret), "confirmed_at": None, "last_t": -1},
    )
    return device, secret


def pending_secret(*, user: User) -> str | None:
    device = MfaDevice.objects.filter(user=user, confirmed_at__isnull=True).first()
    return crypto.decrypt_field(device.secret_cipher) if device else None


def _match_totp(device: MfaDevice, code: str) -> int | None:
    """The time step the code belongs to, if it is valid and newer than the last one used."""
    secret = crypto.decrypt_field(device.secret_cipher)
    now = time_step()
    for t in range(now - DRIFT, now + DRIFT + 1):
        if t > device.last_t and hmac.compare_digest(hotp(secret, t), code):
            return t
    return None


def _consume_step(device: MfaDevice, t: int) -> bool:
    # Conditional update: of two requests carrying the same code only one moves last_t.
    return MfaDevice.objects.filter(pk=device.pk, last_t__lt=t).update(last_t=t) == 1


def confirm_enrolment(*, user: User, code: str) -> list[str]:
    """Bind the pending device with a first valid code; returns the 10 backup codes (shown once)."""
    device = MfaDevice.objects.filter(user=user, confirmed_at__isnull=True).first()
    code = _normalise(code)
    if device is None:
        raise ValidationError("请先开始绑定", code="mfa_not_started")
    t = _match_totp(device, code) if len(code) == DIGITS and code.isdigit() else None
    if t is None or not _consume_step(device, t):
        audit.record(
            action="accounts.mfa.enrol", actor=user, outcome="failed", detail={"reason": "wrong_code"}
        )
        raise ValidationError("动态口令不正确", code="wrong_code", fields={"code": ["动态口令不正确"]})
    with transaction.atomic():
        MfaDevice.objects.filter(pk=device.pk).update(confirmed_at=timezone.now())
        codes = _replace_backup_codes(user)
        audit.record(action="accounts.mfa.enrol", actor=user, obj=device)
    return codes


def _new_backup_code() -> str:
    raw = base64.b32encode(secrets.token_bytes(7)).decode("ascii").lower()[:10]  # 50 bits
    return f"{raw[:5]}-{raw[5:]}"


def _replace_backup_codes(user: User) -> list[str]:
    codes = [_new_backup_code() for _ in range(BACKUP_CODE_COUNT)]
    BackupCode.objects.filter(user=user).delete()
    BackupCode.objects.bulk_create(
        [BackupCode(user=user, code_hash=make_password(_normalise(code))) for code in codes]
    )
    return codes


def regenerate_backup_codes(*, user: User, mfa_verified: bool) -> list[str]:
    if not mfa_verified or not has_device(user):
        raise MfaRequired()
    with transaction.atomic():
        codes = _replace_backup_codes(user)
        audit.record(action="accounts.mfa.backup_codes", actor=user, obj=user, count=len(codes))
    return codes


def _normalise(code: str) -> str:
    return "".join(ch for ch in (code or "").lower() if ch.isalnum())[:32]


def verify(*, user: User, code: str, ip: str | None) -> str:
    """Check a TOTP or backup code for the second step; returns "totp" or "backup".

    Refused while the username or address is locked; a wrong code counts as a login failure.
    """
    from zhujian.accounts import services

    lock = services.active_lock(username=user.username, ip=ip)
    if lock is not None:
        audit.record(action="accounts.mfa.verify", actor=user, outcome="failed", detail={"reason": "locked"})
        raise PermissionDenied(services.locked_message(), code="locked")
    device = device_of(user)
    code = _normalise(code)
    method = ""
    if device is not None and len(code) == DIGITS and code.isdigit():
        t = _match_totp(device, code)
        if t is not None and _consume_step(device, t):
            method = "totp"
    elif device is not None and len(code) == 10:
        for backup in BackupCode.objects.filter(user=user, used_at__isnull=True):
            if check_password(code, backup.code_hash):
                # Conditional again: a backup code is spent by exactly one request.
                if BackupCode.objects.filter(pk=backup.pk, used_at__isnull=True).update(
                    used_at=timezone.now()
                ):
                    method = "backup"
                break
    if not method:
        audit.record(
            action="accounts.mfa.verify", actor=user, outcome="failed", detail={"reason": "wrong_code"}
        )
        locks = services.register_login_failure(username=user.username, ip=ip, audit_login=False)
        if locks:
            raise PermissionDenied(services.locked_message(), code="locked")
        raise ValidationError("动态口令不正确", code="wrong_code", fields={"code": ["动态口令不正确"]})
    services.clear_login_failures(username=user.username)
    audit.record(action="accounts.mfa.verify", actor=user, obj=user, detail={"method": method})
    return method


# ---------------------------------------------------------------------------------------------
# Middleware


def mfa_required_response() -> JsonResponse:
    return JsonResponse(
        {"error": {"code": MFA_REQUIRED_CODE, "message": MFA_REQUIRED_MESSAGE, "fields": {}}}, status=403
    )


class MfaMiddleware:
    """Confine a session that owes its second factor (place right after AuthenticationMiddleware).

    Bearer-token API calls carry no session user and pass; personal tokens are minted only from an
    MFA-verified session, so a token stands for a completed login.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            owed = pending(request)
            if owed:
                path = request.path
                if path.startswith("/api/"):
                    return mfa_required_response()
                target = reverse("accounts:mfa_verify" if owed == "verify" else "accounts:mfa_setup")
                static = settings.STATIC_URL or "/static/"
                if path not in {target, reverse("accounts:logout")} and not path.startswith(static):
                    return redirect(target)
        return self.get_response(request)
