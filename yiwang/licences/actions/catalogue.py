"""证照目录 writes: load the catalogue from the room's fixture (idempotent) and give the
issuing city departments their seals."""

from __future__ import annotations

import json
from importlib import resources

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from yiwang.core import audit
from yiwang.core.identifiers import validate_credit_code
from yiwang.core.masking import PERSONAL_KINDS
from yiwang.core.models import Department
from yiwang.licences.models import LicenceType, Seal

CITY = "410800"
NUMBER_FIELDS = {"division": "410800", "year": 2026, "seq": 1, "holder_id": "X"}


def catalogue_fixture() -> list[dict]:
    """The licence types shipped with the platform (fixtures/licence_types.json)."""
    text = resources.files("yiwang.licences.fixtures").joinpath("licence_types.json")
    return json.loads(text.read_text("utf-8"))["types"]


def check_type_spec(spec: dict) -> None:
    """Refuse a type whose code is not a credit code + 3 digits, or whose number format
    does not format, or that puts a person's ID number into the (clear) licence number."""
    code = spec.get("code", "")
    if len(code) != 21 or not code[18:].isdigit():
        raise ValidationError(_("证照类型代码应为定义机构统一社会信用代码加 3 位数字。"))
    validate_credit_code(code[:18])
    fmt = spec.get("number_format") or "{division}{seq:07d}"
    try:
        fmt.format(**NUMBER_FIELDS)
    except (KeyError, IndexError, ValueError):
        raise ValidationError(_("证照编号格式无效：%s") % fmt) from None
    if "{holder_id" in fmt and spec.get("holder_kind") != LicenceType.HolderKind.ENTITY:
        raise ValidationError(_("只有法人类证照的编号可以使用持证主体代码。"))
    for item in spec.get("fields", []):
        # A personal item declares its kind, so it is masked wherever staff see it.
        if item.get("type") and item["type"] not in PERSONAL_KINDS:
            raise ValidationError(
                _("照面信息项“%(key)s”的类型“%(type)s”无效。")
                % {"key": item.get("key", ""), "type": item["type"]}
            )


@transaction.atomic
def do_seed_licence_types(*, actor=None, seals: bool = True) -> dict[str, int]:
    """Load the 证照目录 (existing types are kept as they are) and, with ``seals``, make
    each department on an issuing line (city and counties) its seal of the kind its types
    prefer, so an approver anywhere on the line can issue."""
    from yiwang.licences.actions.seals import do_create_seal

    created = {"types": 0, "seals": 0}
    for spec in catalogue_fixture():
        check_type_spec(spec)
        department = Department.objects.filter(code=f"{CITY}-{spec['line']}").first()
        _obj, new = LicenceType.objects.get_or_create(
            code=spec["code"],
            defaults={
                "slug": spec["slug"],
                "name": spec["name"],
                "name_en": spec.get("name_en", ""),
                "definer_name": spec["definer_name"],
                "line": spec["line"],
                "department": department,
                "holder_kind": spec["holder_kind"],
                "holder_label": spec.get("holder_label", "持证人"),
                "holder_label_en": spec.get("holder_label_en", ""),
                "validity_years": spec.get("validity_years"),
                "number_format": spec.get("number_format") or "{division}{seq:07d}",
                "fields": spec.get("fields", []),
                "seal_kind": spec.get("seal_kind", ""),
                "description": spec.get("description", ""),
            },
        )
        created["types"] += new
        if not seals:
            continue
        # The city department and its county counterparts on the line may all issue.
        kind = spec.get("seal_kind") or Seal.Kind.OFFICIAL
        for dept in Department.objects.filter(line=spec["line"]).order_by("code"):
            if not dept.credit_code:
                continue
            if not Seal.objects.filter(owner=dept, kind=kind, status="active").exists():
                do_create_seal(actor=actor, department=dept, kind=kind)
                created["seals"] += 1
    audit.record(
        actor=actor,
        action="licences.catalogue.seed",
        obj=("licences.licencetype", "catalogue"),
        change=created,
    )
    return created
