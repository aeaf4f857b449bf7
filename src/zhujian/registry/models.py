"""Master data (一数一源): enterprises with qualifications and safety licences, persons with
certificates, projects with their participating units.

Scope rules (DESIGN.md): projects and what hangs under them follow ``accounts.scope``; enterprise
registry data is public by law, so all staff see it and enterprise users see their own.
"""

from __future__ import annotations

from typing import Any, Self

from django.db import models

from zhujian.accounts.scope import ScopeKind, scope_of
from zhujian.core.models import ScopedQuerySet, TimeStampedModel
from zhujian.core.uploads import StoredFileFields


class EnterpriseRole(models.TextChoices):
    BUILDER = "builder", "建设单位"
    CONTRACTOR = "contractor", "施工单位"
    SUPERVISOR = "supervisor", "监理单位"
    DESIGNER = "designer", "设计单位"
    SURVEYOR = "surveyor", "勘察单位"
    LAB = "lab", "检测机构"
    LABOUR = "labour", "劳务企业"


class ProjectQuerySet(ScopedQuerySet):
    def scope_filter(self, user: Any) -> Self:
        scope = scope_of(user)
        if scope.kind == ScopeKind.ALL:
            return self
        if scope.kind == ScopeKind.DISTRICT:
            return self.filter(region_id=scope.region_code)
        if scope.kind == ScopeKind.ENTERPRISE:
            org_id: int = scope.organization_id or 0
            return self.filter(id__in=Participant.objects.filter(organization_id=org_id).values("project_id"))
        # DEPARTMENT: projects carrying a review item of the department arrive with approvals.
        return self.none()


class Project(TimeStampedModel):
    class Kind(models.TextChoices):
        BUILDING = "building", "房屋建筑"
        MUNICIPAL = "municipal", "市政基础设施"
        RAIL = "rail", "轨道交通"
        LANDSCAPE = "landscape", "园林绿化"
        DECORATION = "decoration", "装饰装修"

    class Nature(models.TextChoices):
        NEW = "new", "新建"
        REBUILD = "rebuild", "改建"
        EXTEND = "extend", "扩建"

    class Stage(models.TextChoices):
        LAND_PLANNING = "land_planning", "立项用地规划许可"
        CONSTRUCTION_PLANNING = "construction_planning", "工程建设许可"
        CONSTRUCTION_PERMIT = "construction_permit", "施工许可"
        UNDER_CONSTRUCTION = "under_construction", "在建"
        COMPLETION_ACCEPTANCE = "completion_acceptance", "竣工验收"
        COMPLETED = "completed", "已竣工"
        ARCHIVED = "archived", "已归档"

    class Status(models.TextChoices):
        NORMAL = "normal", "正常"
        SUSPENDED = "suspended", "停工"
        TERMINATED = "terminated", "终止"

    code = models.CharField("项目代码", max_length=24, unique=True)
    name = models.CharField("项目名称", max_length=200)
    kind = models.CharField("工程类别", max_length=16, choices=Kind.choices, default=Kind.BUILDING)
    nature = models.CharField("建设性质", max_length=16, choices=Nature.choices, default=Nature.NEW)
    # No index of its own: project_region_idx (region, -id) serves every district filter.
    region = models.ForeignKey(
        "reference.Region", verbose_name="所在区", on_delete=models.PROTECT, related_name="+", db_index=False
    )
    address = models.CharField("建设地址", max_length=300, blank=True)
    # WGS-84, what phones report (DESIGN.md, Places).
    longitude = models.DecimalField("经度", max_digits=9, decimal_places=6, null=True, blank=True)
    latitude = models.DecimalField("纬度", max_digits=9, decimal_places=6, null=True, blank=True)
    investment = models.DecimalField("总投资（元）", max_digits=16, decimal_places=2, null=True, blank=True)
    floor_area = models.DecimalField("建筑面积（㎡）", max_digits=12, decimal_places=2, null=True, blank=True)
    height = models.DecimalField("建筑高度（m）", max_digits=7, decimal_places=2, null=True, blank=True)
    stage = models.CharField("阶段", max_length=32, choices=Stage.choices, default=Stage.LAND_PLANNING)
    status = models.CharField("状态", max_length=16, choices=Status.choices, default=Status.NORMAL)
    planned_start = models.DateField("计划开工", null=True, blank=True)
    planned_completion = models.DateField("计划竣工", null=True, blank=True)
    actual_start = models.DateField("实际开工", null=True, blank=True)
    actual_completion = models.DateField("实际竣工", null=True, blank=True)
    is_key_project = models.BooleanField("重点项目", default=False)
    # Chinese tokens (words + bigrams, core.search) behind FTS5 / a tsvector index.
    search_tokens = models.TextField(editable=False, default="")

    objects = ProjectQuerySet.as_manager()

    class Meta:
        verbose_name = "项目"
        verbose_name_plural = "项目"
        ordering = ["-id"]
        permissions = [("export_registry", "导出主体与项目数据")]
        indexes = [
            models.Index(fields=["region", "-id"], name="project_region_idx"),
            models.Index(fields=["stage", "region"], name="project_stage_idx"),
        ]

    def __str__(self) -> str:
        return self.name


class EnterpriseQuerySet(ScopedQuerySet):
    def scope_filter(self, user: Any) -> Self:
        scope = scope_of(user)
        if scope.is_staff:
            return self
        if scope.kind == ScopeKind.ENTERPRISE:
            return self.filter(organization_id=scope.organization_id)
        return self.none()


class Enterprise(TimeStampedModel):
    """The profile of an organisation of kind enterprise (one-to-one)."""

    organization = models.OneToOneField(
        "accounts.Organization", verbose_name="机构", on_delete=models.PROTECT, related_name="enterprise"
    )
    uscc = models.CharField("统一社会信用代码", max_length=18, unique=True)
    name = models.CharField("企业名称", max_length=200)  # kept equal to organization.name by services
    legal_representative = models.CharField("法定代表人", max_length=64, blank=True)
    address = models.CharField("注册地址", max_length=300, blank=True)
    registered_capital = models.DecimalField(
        "注册资本（元）", max_digits=16, decimal_places=2, null=True, blank=True
    )
    established_on = models.DateField("成立日期", null=True, blank=True)
    # Comma-fenced role codes (",builder,contractor,") so one LIKE filters portably on both databases.
    roles = models.CharField("企业类型", max_length=120, default=",")
    search_tokens = models.TextField(editable=False, default="")

    objects = EnterpriseQuerySet.as_manager()

    class Meta:
        verbose_name = "企业"
        verbose_name_plural = "企业"
        ordering = ["-id"]

    def __str__(self) -> str:
        return self.name

    @property
    def role_codes(self) -> list[str]:
        return [code for code in self.roles.split(",") if code]

    @property
    def role_labels(self) -> list[str]:
        labels = dict(EnterpriseRole.choices)
        return [labels.get(code, code) for code in self.role_codes]


class EnterpriseChildQuerySet(ScopedQuerySet):
    def scope_filter(self, user: Any) -> Self:
        return self.filter(enterprise__in=Enterprise.objects.visible_to(user))


class Qualification(TimeStampedModel):
    """资质证书: category, specialty, grade, validity."""

    class Category(models.TextChoices):
        GENERAL_CONTRACTING = "general", "施工总承包"
        SPECIALTY_CONTRACTING = "specialty", "专业承包"
        LABOUR = "labour", "施工劳务"
        SUPERVISION = "supervision", "工程监理"
        DESIGN = "design", "工程设计"
        SURVEY = "survey", "工程勘察"
        TESTING = "testing", "检测机构"

    enterprise = models.ForeignKey(
        Enterprise, verbose_name="企业", on_delete=models.CASCADE, related_name="qualifications"
    )
    category = models.CharField("资质类别", max_length=16, choices=Category.choices)
    specialty = models.CharField("资质专业", max_length=64)
    grade = models.CharField("等级", max_length=16)
    certificate_no = models.CharField("证书编号", max_length=40, unique=True)
    issued_by = models.CharField("发证机关", max_length=100, blank=True)
    valid_from = models.DateField("发证日期", null=True, blank=True)
    valid_until = models.DateField("有效期至")

    objects = EnterpriseChildQuerySet.as_manager()

    class Meta:
        verbose_name = "资质"
        verbose_name_plural = "资质"
        ordering = ["enterprise", "category"]

    def __str__(self) -> str:
        return f"{self.get_category_display()}·{self.specialty}{self.grade}"


class SafetyLicense(TimeStampedModel):
    """安全生产许可证 of a construction enterprise."""

    enterprise = models.ForeignKey(
        Enterprise, verbose_name="企业", on_delete=models.CASCADE, related_name="safety_licenses"
    )
    number = models.CharField("许可证编号", max_length=40, unique=True)
    issued_by = models.CharField("发证机关", max_length=100, blank=True)
    valid_from = models.DateField("发证日期", null=True, blank=True)
    valid_until = models.DateField("有效期至")

    objects = EnterpriseChildQuerySet.as_manager()

    class Meta:
        verbose_name = "安全生产许可证"
        verbose_name_plural = "安全生产许可证"
        ordering = ["-valid_until"]

    def __str__(self) -> str:
        return self.number


class PersonQuerySet(ScopedQuerySet):
    def scope_filter(self, user: Any) -> Self:
        scope = scope_of(user)
        if scope.is_staff:
            return self
        if scope.kind == ScopeKind.ENTERPRISE:
            return self.filter(employer_id=scope.organization_id)
        return self.none()


class Person(TimeStampedModel):
    """Someone in the registry. ID and phone numbers are SM4-encrypted with a keyed blind index."""

    class Gender(models.TextChoices):
        MALE = "male", "男"
        FEMALE = "female", "女"

    name = models.CharField("姓名", max_length=64)
    gender = models.CharField("性别", max_length=8, choices=Gender.choices, blank=True)
    id_number_cipher = models.TextField(editable=False)
    id_number_index = models.CharField(max_length=64, unique=True, editable=False)
    id_number_masked = models.CharField("身份证号", max_length=18, editable=False)
    phone_cipher = models.TextField(editable=False, blank=True)
    phone_index = models.CharField(max_length=64, blank=True, db_index=True, editable=False)
    phone_masked = models.CharField("手机号", max_length=16, blank=True, editable=False)
    employer = models.ForeignKey(
        "accounts.Organization",
        verbose_name="所在单位",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="people",
    )
    user = models.OneToOneField(
        "accounts.User",
        verbose_name="关联账号",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="person",
    )
    search_tokens = models.TextField(editable=False, default="")

    objects = PersonQuerySet.as_manager()

    class Meta:
        verbose_name = "人员"
        verbose_name_plural = "人员"
        ordering = ["-id"]
        permissions = [("view_person_plaintext", "查看明文身份证号与手机号")]

    def __str__(self) -> str:
        return self.name


class CertificateQuerySet(ScopedQuerySet):
    def scope_filter(self, user: Any) -> Self:
        return self.filter(person__in=Person.objects.visible_to(user))


class Certificate(TimeStampedModel):
    class Kind(models.TextChoices):
        CONSTRUCTOR = "constructor", "注册建造师"
        SUPERVISOR = "supervisor", "注册监理工程师"
        SAFETY_A = "safety_a", "安全生产考核合格证（A类）"
        SAFETY_B = "safety_b", "安全生产考核合格证（B类）"
        SAFETY_C = "safety_c", "安全生产考核合格证（C类）"
        SPECIAL_OPERATOR = "special_operator", "建筑施工特种作业操作资格证"

    person = models.ForeignKey(
        Person, verbose_name="人员", on_delete=models.CASCADE, related_name="certificates"
    )
    kind = models.CharField("证书类别", max_length=24, choices=Kind.choices)
    grade = models.CharField("等级", max_length=16, blank=True)
    specialty = models.CharField("专业", max_length=64, blank=True)
    number = models.CharField("证书编号", max_length=40, unique=True)
    registered_with = models.ForeignKey(
        "accounts.Organization",
        verbose_name="注册单位",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    valid_until = models.DateField("有效期至")

    objects = CertificateQuerySet.as_manager()

    class Meta:
        verbose_name = "证书"
        verbose_name_plural = "证书"
        ordering = ["person", "kind"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.number}"


class ParticipantQuerySet(ScopedQuerySet):
    def scope_filter(self, user: Any) -> Self:
        return self.filter(project__in=Project.objects.visible_to(user))


class Participant(TimeStampedModel):
    """A unit taking part in a project (参建单位) with its key person."""

    class Role(models.TextChoices):
        BUILDER = "builder", "建设单位"
        CONTRACTOR = "contractor", "施工总承包单位"
        SUPERVISOR = "supervisor", "监理单位"
        DESIGNER = "designer", "设计单位"
        SURVEYOR = "surveyor", "勘察单位"
        LAB = "lab", "检测机构"

    class KeyRole(models.TextChoices):
        PROJECT_LEADER = "project_leader", "项目负责人"
        PROJECT_MANAGER = "project_manager", "项目经理"
        CHIEF_SUPERVISOR = "chief_supervisor", "总监理工程师"
        SAFETY_OFFICER = "safety_officer", "专职安全员"
        DESIGN_LEADER = "design_leader", "设计负责人"
        SURVEY_LEADER = "survey_leader", "勘察负责人"
        LAB_LEADER = "lab_leader", "检测负责人"

    project = models.ForeignKey(
        Project, verbose_name="项目", on_delete=models.CASCADE, related_name="participants"
    )
    organization = models.ForeignKey(
        "accounts.Organization", verbose_name="单位", on_delete=models.PROTECT, related_name="participations"
    )
    role = models.CharField("参建角色", max_length=16, choices=Role.choices)
    key_person = models.ForeignKey(
        Person,
        verbose_name="关键岗位人员",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="participations",
    )
    key_person_role = models.CharField("岗位", max_length=24, choices=KeyRole.choices, blank=True)

    objects = ParticipantQuerySet.as_manager()

    class Meta:
        verbose_name = "参建单位"
        verbose_name_plural = "参建单位"
        ordering = ["project", "role"]
        constraints = [
            models.UniqueConstraint(
                fields=["project", "organization", "role"], name="participant_unique_role"
            ),
        ]
        indexes = [models.Index(fields=["organization", "project"], name="participant_org_idx")]

    def __str__(self) -> str:
        return f"{self.get_role_display()}：{self.organization}"


class AttachmentQuerySet(ScopedQuerySet):
    def scope_filter(self, user: Any) -> Self:
        return self.filter(
            models.Q(qualification__in=Qualification.objects.visible_to(user))
            | models.Q(certificate__in=Certificate.objects.visible_to(user))
        )


class Attachment(StoredFileFields):
    """A scanned file (扫描件) of a qualification or a certificate; type checked by content
    (core.uploads). Visible exactly when its parent is."""

    qualification = models.ForeignKey(
        Qualification,
        verbose_name="资质",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="scans",
    )
    certificate = models.ForeignKey(
        Certificate,
        verbose_name="证书",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="scans",
    )

    objects = AttachmentQuerySet.as_manager()

    class Meta:
        verbose_name = "扫描件"
        verbose_name_plural = "扫描件"
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(qualification__isnull=False, certificate__isnull=True)
                | models.Q(qualification__isnull=True, certificate__isnull=False),
                name="attachment_one_parent",
            ),
        ]

    def __str__(self) -> str:
        return self.original_name
