"""HTML forms of the registry. They only parse input; the services validate and decide."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, cast

from django import forms

from zhujian.registry.models import Certificate, EnterpriseRole, Participant, Project, Qualification

DATE = forms.DateInput(attrs={"type": "date"})
WAN = Decimal("10000")


def yuan_from_wan(value: Decimal | None) -> Decimal | None:
    """The forms ask for 万元 as people expect; the database keeps 元 (DESIGN.md, Time and money)."""
    return None if value is None else value * WAN


class ProjectForm(forms.Form):
    code = forms.CharField(label="项目代码", max_length=40, help_text="格式：YYMM-AAAAAA-DD-TT-NNNNNN")
    name = forms.CharField(label="项目名称", max_length=200)
    region_code = forms.ChoiceField(label="所在区")
    kind = forms.ChoiceField(label="工程类别", choices=Project.Kind.choices)
    nature = forms.ChoiceField(label="建设性质", choices=Project.Nature.choices)
    address = forms.CharField(label="建设地址", max_length=300, required=False)
    longitude = forms.DecimalField(label="经度（WGS-84）", required=False, max_digits=9, decimal_places=6)
    latitude = forms.DecimalField(label="纬度（WGS-84）", required=False, max_digits=9, decimal_places=6)
    investment = forms.DecimalField(
        label="总投资（万元）", required=False, max_digits=14, decimal_places=2, min_value=0
    )
    floor_area = forms.DecimalField(
        label="建筑面积（㎡）", required=False, max_digits=12, decimal_places=2, min_value=0
    )
    height = forms.DecimalField(
        label="建筑高度（m）", required=False, max_digits=7, decimal_places=2, min_value=0
    )
    planned_start = forms.DateField(label="计划开工", required=False, widget=DATE)
    planned_completion = forms.DateField(label="计划竣工", required=False, widget=DATE)
    actual_start = forms.DateField(label="实际开工", required=False, widget=DATE)
    actual_completion = forms.DateField(label="实际竣工", required=False, widget=DATE)
    is_key_project = forms.BooleanField(label="市级重点项目", required=False)

    def __init__(self, *args: Any, regions: list[tuple[str, str]], editing: bool = False, **kwargs: Any):
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["region_code"]).choices = regions
        if editing:  # the code and the district identify the project: not editable here
            del self.fields["code"]
            del self.fields["region_code"]

    def service_fields(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data["investment"] = yuan_from_wan(data.get("investment"))
        return data


class EnterpriseForm(forms.Form):
    uscc = forms.CharField(label="统一社会信用代码", max_length=30)
    name = forms.CharField(label="企业名称", max_length=200)
    roles = forms.MultipleChoiceField(
        label="企业类型", choices=EnterpriseRole.choices, widget=forms.CheckboxSelectMultiple
    )
    legal_representative = forms.CharField(label="法定代表人", max_length=64, required=False)
    address = forms.CharField(label="注册地址", max_length=300, required=False)
    registered_capital = forms.DecimalField(
        label="注册资本（万元）", required=False, max_digits=14, decimal_places=2, min_value=0
    )
    established_on = forms.DateField(label="成立日期", required=False, widget=DATE)

    def __init__(self, *args: Any, editing: bool = False, **kwargs: Any):
        super().__init__(*args, **kwargs)
        if editing:
            del self.fields["uscc"]

    def service_fields(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data["registered_capital"] = yuan_from_wan(data.get("registered_capital"))
        return data


class PersonForm(forms.Form):
    name = forms.CharField(label="姓名", max_length=64)
    id_number = forms.CharField(label="身份证号", max_length=30)
    phone = forms.CharField(label="手机号", max_length=20, required=False)
    employer_uscc = forms.CharField(label="所在单位统一社会信用代码", max_length=30, required=False)

    def __init__(self, *args: Any, editing: bool = False, **kwargs: Any):
        super().__init__(*args, **kwargs)
        if editing:
            del self.fields["id_number"]
            self.fields["phone"].help_text = "留空表示不修改"


class QualificationForm(forms.Form):
    category = forms.ChoiceField(label="资质类别", choices=Qualification.Category.choices)
    specialty = forms.CharField(label="资质专业", max_length=64)
    grade = forms.CharField(label="等级", max_length=16)
    certificate_no = forms.CharField(label="证书编号", max_length=40)
    issued_by = forms.CharField(label="发证机关", max_length=100, required=False)
    valid_from = forms.DateField(label="发证日期", required=False, widget=DATE)
    valid_until = forms.DateField(label="有效期至", widget=DATE)


class SafetyLicenseForm(forms.Form):
    number = forms.CharField(label="许可证编号", max_length=40)
    issued_by = forms.CharField(label="发证机关", max_length=100, required=False)
    valid_from = forms.DateField(label="发证日期", required=False, widget=DATE)
    valid_until = forms.DateField(label="有效期至", widget=DATE)


class CertificateForm(forms.Form):
    kind = forms.ChoiceField(label="证书类别", choices=Certificate.Kind.choices)
    number = forms.CharField(label="证书编号", max_length=40)
    grade = forms.CharField(label="等级", max_length=16, required=False)
    specialty = forms.CharField(label="专业", max_length=64, required=False)
    valid_until = forms.DateField(label="有效期至", widget=DATE)


class ParticipantForm(forms.Form):
    organization_uscc = forms.CharField(label="单位统一社会信用代码", max_length=30)
    role = forms.ChoiceField(label="参建角色", choices=Participant.Role.choices)
    key_person_id_number = forms.CharField(label="关键岗位人员身份证号", max_length=30, required=False)
    key_person_role = forms.ChoiceField(
        label="岗位", choices=[("", "—"), *Participant.KeyRole.choices], required=False
    )
