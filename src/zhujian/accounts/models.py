"""Organisations, users, roles and API tokens.

Data scope is derived from the organisation (see ``accounts.scope``): a user never carries a
scope of their own that could drift from where they work.
"""

from __future__ import annotations

from typing import Any, Self

from django.conf import settings
from django.contrib.auth.models import AbstractUser, Permission, UserManager
from django.db import models

from zhujian.core.models import ScopedQuerySet, TimeStampedModel


class Organization(TimeStampedModel):
    class Kind(models.TextChoices):
        BUREAU = "bureau", "市住建局"
        BUREAU_DEPARTMENT = "bureau_department", "局内处室"
        DISTRICT_BUREAU = "district_bureau", "区住建局"
        OUTSIDE_DEPARTMENT = "outside_department", "其他部门"
        ENTERPRISE = "enterprise", "企业"

    name = models.CharField("名称", max_length=200)
    kind = models.CharField("类别", max_length=32, choices=Kind.choices, db_index=True)
    region = models.ForeignKey(
        "reference.Region", verbose_name="行政区划", on_delete=models.PROTECT, related_name="+"
    )
    parent = models.ForeignKey(
        "self",
        verbose_name="上级机构",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    # What kind of department this is (发改, 规划和自然资源, 住建, …): approvals route items by it.
    department_kind = models.CharField("部门类别", max_length=32, blank=True, db_index=True)
    is_active = models.BooleanField("有效", default=True)

    class Meta:
        verbose_name = "机构"
        verbose_name_plural = "机构"
        ordering = ["kind", "name"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "region", "name"], name="org_unique_name_in_region"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_staff_org(self) -> bool:
        return self.kind != self.Kind.ENTERPRISE


class Role(models.Model):
    """A named bundle of Django permissions (角色)."""

    code = models.SlugField("代码", max_length=64, unique=True)
    name = models.CharField("名称", max_length=64, unique=True)
    description = models.TextField("说明", blank=True)
    permissions = models.ManyToManyField(Permission, verbose_name="权限", blank=True, related_name="+")
    # 三员分立: the three separated administrator roles; no user may hold two of them.
    is_separated_admin = models.BooleanField("三员角色", default=False)
    # The permissions roles.py gave this role at the last sync: what the security administrator
    # changed since then is theirs, and a later sync moves only what roles.py itself changed.
    default_permissions = models.JSONField("默认权限（上次同步）", default=list, blank=True)

    class Meta:
        verbose_name = "角色"
        verbose_name_plural = "角色"
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class ZhujianUserManager(UserManager["User"]):
    def create_superuser(  # type: ignore[override]
        self, username: str, email: str | None = None, password: str | None = None, **extra: Any
    ) -> User:
        # DESIGN.md, Modes: production mode has no superuser (三员分立 instead; `zhujian bootstrap`).
        if not getattr(settings, "DEMO_MODE", False):
            from django.core.management.base import CommandError

            raise CommandError("生产模式不允许创建超级用户，请用 zhujian bootstrap 创建三员账户")
        return super().create_superuser(username, email, password, **extra)


class User(AbstractUser):
    class Kind(models.TextChoices):
        PERSON = "person", "人员"
        MACHINE = "machine", "系统接入"
        SYSTEM = "system", "平台系统"

    full_name = models.CharField("姓名", max_length=64, blank=True)
    kind = models.CharField("类别", max_length=16, choices=Kind.choices, default=Kind.PERSON)
    organization = models.ForeignKey(
        Organization,
        verbose_name="所属机构",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="users",
    )
    roles = models.ManyToManyField(Role, verbose_name="角色", blank=True, related_name="users")
    # Set by the password services; empty means "since date_joined" (accounts.passwords.is_expired).
    password_changed_at = models.DateTimeField("密码修改时间", null=True, blank=True)

    objects = ZhujianUserManager()  # type: ignore[misc]

    class Meta:
        verbose_name = "用户"
        verbose_name_plural = "用户"
        ordering = ["username"]
        permissions = [("issue_machine_token", "签发系统令牌")]

    def __str__(self) -> str:
        return self.full_name or self.username

    def get_full_name(self) -> str:
        return self.full_name or self.username

    def has_role(self, code: str) -> bool:
        return any(role.code == code for role in self.roles.all())


class ApiTokenQuerySet(ScopedQuerySet):
    def scope_filter(self, user: Any) -> Self:
        return self.filter(user=user)  # a person manages only their own personal tokens


class ApiToken(models.Model):
    """A bearer token: 256 random bits shown once, stored as a SHA-256 hash (DESIGN.md, Principals).

    Personal tokens belong to a person; machine tokens belong to a machine principal of an
    organisation (a lab, the finance system) and are issued by the system administrator.
    """

    class Kind(models.TextChoices):
        PERSONAL = "personal", "个人令牌"
        MACHINE = "machine", "系统令牌"

    user = models.ForeignKey(User, verbose_name="主体", on_delete=models.CASCADE, related_name="api_tokens")
    kind = models.CharField("类别", max_length=16, choices=Kind.choices, default=Kind.PERSONAL)
    name = models.CharField("名称", max_length=100)
    token_hash = models.CharField(max_length=64, unique=True)
    prefix = models.CharField("前缀", max_length=12)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    created_by = models.ForeignKey(
        User, verbose_name="签发人", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    expires_at = models.DateTimeField("过期时间", null=True, blank=True)
    last_used_at = models.DateTimeField("最近使用", null=True, blank=True)
    revoked_at = models.DateTimeField("吊销时间", null=True, blank=True)
    # Personal tokens minted from a session that passed MFA (issue 3). Older ones are refused in
    # production mode (services.authenticate_token) — the "revoked on upgrade" mechanism.
    minted_with_mfa = models.BooleanField("经双因素认证签发", default=False)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        verbose_name = "API 令牌"
        verbose_name_plural = "API 令牌"
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"


class PasswordHistory(models.Model):
    """Hashes of the passwords a user has had, newest last, so a new one cannot repeat them."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="password_history")
    password_hash = models.CharField(max_length=256)
    created_at = models.DateTimeField("设置时间", auto_now_add=True)

    class Meta:
        verbose_name = "历史密码"
        verbose_name_plural = "历史密码"
        ordering = ["user", "-id"]

    def __str__(self) -> str:
        return f"{self.user_id} @ {self.created_at:%Y-%m-%d}"


class LoginKey(models.TextChoices):
    USERNAME = "username", "用户名"
    ADDRESS = "address", "客户端地址"


class LoginFailure(models.Model):
    """One failed password login, counted per username and per client address.

    The username is whatever was typed (an unknown one too), lower-cased, so that locking does not
    depend on the account existing.
    """

    kind = models.CharField("类别", max_length=16, choices=LoginKey.choices)
    key = models.CharField("用户名或地址", max_length=150)
    at = models.DateTimeField("时间")

    class Meta:
        verbose_name = "登录失败"
        verbose_name_plural = "登录失败"
        indexes = [models.Index(fields=["kind", "key", "at"], name="login_failure_key_at")]

    def __str__(self) -> str:
        return f"{self.kind} {self.key} {self.at:%Y-%m-%d %H:%M}"


class LoginLock(models.Model):
    """A username or client address refused until ``locked_until``."""

    kind = models.CharField("类别", max_length=16, choices=LoginKey.choices)
    key = models.CharField("用户名或地址", max_length=150)
    locked_at = models.DateTimeField("锁定时间")
    locked_until = models.DateTimeField("解锁时间")
    failures = models.PositiveIntegerField("失败次数", default=0)

    class Meta:
        verbose_name = "登录锁定"
        verbose_name_plural = "登录锁定"
        constraints = [models.UniqueConstraint(fields=["kind", "key"], name="login_lock_unique_key")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.key}"


class MfaDevice(models.Model):
    """A person's TOTP authenticator (RFC 6238): the secret is SM4-encrypted at rest.

    ``last_t`` is the last time step accepted: a code of that step or an earlier one is refused,
    so a code accepted once cannot be used again (replay).
    """

    user = models.OneToOneField(
        User, verbose_name="用户", on_delete=models.CASCADE, related_name="mfa_device"
    )
    secret_cipher = models.CharField("密钥（密文）", max_length=255)
    confirmed_at = models.DateTimeField("绑定时间", null=True, blank=True)
    last_t = models.BigIntegerField("最近使用的时间步", default=-1)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)

    class Meta:
        verbose_name = "动态口令设备"
        verbose_name_plural = "动态口令设备"

    def __str__(self) -> str:
        return f"TOTP {self.user_id}"


class BackupCode(models.Model):
    """One single-use backup code, stored as a password hash; shown once when generated."""

    user = models.ForeignKey(User, verbose_name="用户", on_delete=models.CASCADE, related_name="backup_codes")
    code_hash = models.CharField(max_length=256)
    created_at = models.DateTimeField("生成时间", auto_now_add=True)
    used_at = models.DateTimeField("使用时间", null=True, blank=True)

    class Meta:
        verbose_name = "备用验证码"
        verbose_name_plural = "备用验证码"

    def __str__(self) -> str:
        return f"backup {self.user_id}"


class UserSession(models.Model):
    """Index user → session key, written when a session is created or its key rotates.

    Lets ``services.set_user_active`` delete a user's sessions with one indexed query instead of
    decoding every row of ``django_session`` (accounts.sessions).
    """

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="sessions")
    session_key = models.CharField(max_length=40, unique=True)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)

    class Meta:
        verbose_name = "会话索引"
        verbose_name_plural = "会话索引"

    def __str__(self) -> str:
        return f"{self.user_id}:{self.session_key[:6]}…"
