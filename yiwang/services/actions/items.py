"""Writes to the 政务服务事项 catalogue: department admins (``service.manage``) create
and edit their department's items — the six basic elements, the 主项 → 子项 → 业务办理项
hierarchy and, on 业务办理项 only, the implementation list (实施清单) — and publish or
withdraw them. Every write is checked (承诺时限 ≤ 法定时限, form fields, 秒批 rule
shapes), audited, and refreshes the item's search tokens."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.utils.translation import ngettext

from yiwang.core import audit
from yiwang.core.errors import Conflict
from yiwang.core.models import Department, Division
from yiwang.services import access, readiness
from yiwang.services.events import ENTERPRISE, LIFE
from yiwang.services.formspec import SLUG_RE, clean_form_fields, clean_instant_rules
from yiwang.services.models import ItemKind, MaterialSpec, ProcessStep, ServiceItem
from yiwang.services.search import build_search_text

Level = ServiceItem.Level
Status = ServiceItem.Status
CODE_RE = re.compile(r"^[0-9A-Za-z][0-9A-Za-z_-]{2,39}$")
MAX_DAYS = 365
MAX_ROWS = 100
# What a material read from a 基础库 stands in for, as the guide names it.
REGISTRY_FACTS = {
    "person": _lazy("人口库（身份/户籍信息）"),
    "legal_entity": _lazy("法人库（营业执照信息）"),
}
TEXT_LIMITS = {
    "name": 200,
    "implementer": 200,
    "place": 200,
    "hours": 200,
    "contact_phone": 40,
    "complaint_phone": 40,
    "keywords": 200,
    "workflow_code": 64,
    "licence_type_code": 40,
}
# Parts of the implementation list (实施清单) only a 业务办理项 carries.
HANDLING_ONLY = (
    "statutory_days",
    "promised_days",
    "fees",
    "form_fields",
    "instant_rules",
    "licence_type_code",
    "registers_entity",
)
ITEM_FIELDS = (
    "name",
    "kind",
    "implementer",
    "legal_basis",
    "level",
    "parent",
    "handling",
    "division",
    "conditions",
    "applicants",
    "statutory_days",
    "promised_days",
    "visits",
    "fees",
    "place",
    "hours",
    "contact_phone",
    "complaint_phone",
    "online",
    "form_fields",
    "life_events",
    "enterprise_events",
    "keywords",
    "workflow_code",
    "licence_type_code",
    "registers_entity",
    "instant_rules",
)
PARENT_LEVELS: dict[str, tuple[str, ...]] = {
    Level.MAIN: (),
    Level.SUB: (Level.MAIN,),
    Level.HANDLING: (Level.MAIN, Level.SUB),
}


class _Errors:
    """Collects field errors so one save reports every problem at once."""

    def __init__(self) -> None:
        self.by_field: dict[str, list[tuple[str, str]]] = {}

    def add(self, field: str, message: str, code: str = "invalid") -> None:
        self.by_field.setdefault(field, []).append((message, code))

    def merge(self, exc: ValidationError) -> None:
        for field, errs in exc.error_dict.items():
            for e in errs:
                for m in e.messages:
                    self.add(field, m, e.code or "invalid")

    def raise_if_any(self) -> None:
        if self.by_field:
            raise ValidationError(
                {f: [ValidationError(m, code=c) for m, c in ms] for f, ms in self.by_field.items()}
            )


def _text(values: dict, key: str, errors: _Errors, label: str, required: bool = False) -> str:
    raw = values.get(key)
    text = "" if raw is None else str(raw).strip()
    if required and not text:
        errors.add(key, _("请填写%s。") % label, "required")
    limit = TEXT_LIMITS.get(key)
    if limit and len(text) > limit:
        errors.add(key, _("%(l)s过长（最多 %(n)s 个字符）。") % {"l": label, "n": limit})
    return text


def _days(values: dict, key: str, errors: _Errors, label: str) -> int | None:
    raw = values.get(key)
    if raw in (None, ""):
        return None
    try:
        n = int(str(raw).strip())
    except (TypeError, ValueError):
        errors.add(key, _("%s应为整数（工作日）。") % label)
        return None
    if not 0 <= n <= MAX_DAYS:
        errors.add(key, _("%(l)s应在 0–%(m)s 个工作日之间。") % {"l": label, "m": MAX_DAYS})
        return None
    return n


def _bool(raw: Any) -> bool:
    if isinstance(raw, str):
        return raw.strip().lower() in ("1", "true", "on", "yes", "是")
    return bool(raw)


def _events(values: dict, key: str, known: dict, errors: _Errors, label: str) -> list[str]:
    raw = values.get(key) or []
    if isinstance(raw, str):
        raw = [x for x in re.split(r"[,\s，、]+", raw) if x]
    if not isinstance(raw, list | tuple):
        errors.add(key, _("%s应为事件代码列表。") % label)
        return []
    out = []
    for code in raw:
        code = str(code).strip()
        if code not in known:
            errors.add(
                key,
                _("未知的%(l)s“%(c)s”，可用：%(ok)s。")
                % {"l": label, "c": code, "ok": "、".join(f"{k}（{v}）" for k, v in known.items())},
            )
        elif code not in out:
            out.append(code)
    return out


def clean_fees(raw: Any) -> list[dict]:
    """收费: rows of name, amount (yuan, ≥ 0) and basis; an empty list means 不收费."""
    if raw in (None, ""):
        return []
    if not isinstance(raw, list):
        raise ValidationError({"fees": [_("收费项目应为列表。")]})
    out, problems = [], []
    for n, row in enumerate(raw, start=1):
        if not isinstance(row, dict):
            problems.append(_("第 %s 个收费项目格式不正确。") % n)
            continue
        name = str(row.get("name") or "").strip()
        if not name:
            problems.append(_("第 %s 个收费项目缺少名称。") % n)
            continue
        try:
            amount = Decimal(str(row.get("amount", "")).strip())
        except InvalidOperation:
            problems.append(_("收费项目“%s”的金额应为数字（元）。") % name)
            continue
        if not amount.is_finite() or amount < 0 or amount > Decimal("1e9"):
            problems.append(_("收费项目“%s”的金额不能为负数。") % name)
            continue
        out.append(
            {
                "name": name[:200],
                "amount": str(amount.quantize(Decimal("0.01"))),
                "basis": str(row.get("basis") or "").strip()[:500],
            }
        )
    if problems:
        raise ValidationError({"fees": problems})
    return out


def clean_materials(raw: Any) -> list[dict]:
    """申请材料 rows; an e-licence type slug or a registry fact may stand in (免证可办)."""
    if raw in (None, ""):
        return []
    if not isinstance(raw, list):
        raise ValidationError({"materials": [_("申请材料应为列表。")]})
    if len(raw) > MAX_ROWS:
        raise ValidationError({"materials": [_("申请材料过多（最多 %s 项）。") % MAX_ROWS]})
    out: list[dict] = []
    problems: list[str] = []
    names: set[str] = set()
    for n, row in enumerate(raw, start=1):
        name = _material_name(n, row, names, problems)
        if name is not None:
            out.append(_material(name, row, problems))
    if problems:
        raise ValidationError({"materials": problems})
    return out


def _material_name(n: int, row: Any, names: set[str], problems: list[str]) -> str | None:
    """The n-th material's name: present, at most 200 characters and not a repeat (the
    applicant uploads each material under its name). None when the row cannot be read
    further."""
    if not isinstance(row, dict):
        problems.append(_("第 %s 项材料格式不正确。") % n)
        return None
    name = str(row.get("name") or "").strip()
    if not name:
        problems.append(_("第 %s 项材料缺少名称。") % n)
        return None
    if len(name) > 200:
        problems.append(_("材料“%s…”名称过长。") % name[:20])
        return None
    if name in names:
        problems.append(_("材料“%s”重复。") % name)
        return None
    names.add(name)
    return name


def _material(name: str, row: dict, problems: list[str]) -> dict:
    """One material row: its form (原件, 复印件, 电子材料), 1–99 copies, and what may
    stand in for it — an e-licence type (电子证照) or a base-registry fact (免证可办)."""
    form = str(row.get("form") or MaterialSpec.Form.ELECTRONIC)
    if form not in MaterialSpec.Form.values:
        problems.append(_("材料“%s”的形式应为原件、复印件或电子材料。") % name)
    try:
        copies = int(row.get("copies") or 1)
    except (TypeError, ValueError):
        copies = 0
    if not 1 <= copies <= 99:
        problems.append(_("材料“%s”的份数应为 1–99。") % name)
    slug = str(row.get("licence_type_code") or "").strip().lower()
    if slug and not SLUG_RE.match(slug):
        problems.append(
            _("材料“%(m)s”的电子证照类型“%(s)s”不正确（应为证照类型标识，如 business_licence）。")
            % {"m": name, "s": slug}
        )
    fact = str(row.get("registry_fact") or "").strip()
    if fact and fact not in REGISTRY_FACTS:
        problems.append(
            _(
                "材料“%(m)s”的基础库核验项“%(f)s”未知，可用：person（人口库）、legal_entity（法人库）。"
            )
            % {"m": name, "f": fact}
        )
    return {
        "name": name,
        "required": _bool(row.get("required", True)),
        "form": form,
        "copies": copies,
        "source_note": str(row.get("source_note") or "").strip()[:200],
        "licence_type_code": slug,
        "registry_fact": fact,
        "note": str(row.get("note") or "").strip()[:2000],
    }


def clean_steps(raw: Any) -> list[dict]:
    """办理环节 rows: name, time limit in working days, description."""
    if raw in (None, ""):
        return []
    if not isinstance(raw, list):
        raise ValidationError({"steps": [_("办理环节应为列表。")]})
    if len(raw) > MAX_ROWS:
        raise ValidationError({"steps": [_("办理环节过多（最多 %s 个）。") % MAX_ROWS]})
    out, problems = [], []
    for n, row in enumerate(raw, start=1):
        if not isinstance(row, dict):
            problems.append(_("第 %s 个环节格式不正确。") % n)
            continue
        name = str(row.get("name") or "").strip()
        if not name or len(name) > 100:
            problems.append(_("第 %s 个环节须有名称（不超过 100 个字符）。") % n)
            continue
        try:
            days = int(row.get("days") or 0)
        except (TypeError, ValueError):
            days = -1
        if not 0 <= days <= MAX_DAYS:
            problems.append(_("环节“%s”的时限应为 0–365 个工作日。") % name)
            continue
        out.append(
            {"name": name, "days": days, "description": str(row.get("description") or "").strip()}
        )
    if problems:
        raise ValidationError({"steps": problems})
    return out


def _parent(ref: Any) -> ServiceItem | None:
    if ref in (None, ""):
        return None
    if isinstance(ref, ServiceItem):
        return ref
    return ServiceItem.objects.select_related("department").filter(code=str(ref).strip()).first()


def _division(ref: Any, department: Department, errors: _Errors) -> Division:
    if ref in (None, ""):
        return department.division
    division = ref if isinstance(ref, Division) else Division.objects.filter(pk=str(ref)).first()
    if division is None or not division.path.startswith(department.division.path):
        errors.add("division", _("实施区划须为%s所在区划或其下级区划。") % department.name)
        return department.division
    return division


def _descends_from(candidate: ServiceItem, item: ServiceItem) -> bool:
    node: ServiceItem | None = candidate
    seen: set[int] = set()
    while node is not None and node.pk not in seen:
        if node.pk == item.pk:
            return True
        seen.add(node.pk)
        node = node.parent
    return False


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return any(_has_nul(v) for v in value)
    return False


def clean_item(
    values: dict[str, Any],
    *,
    department: Department,
    item: ServiceItem | None = None,
    materials: Any = None,
    steps: Any = None,
) -> tuple[dict, list[dict] | None, list[dict] | None]:
    """Check an item's values against the catalogue rules; returns the model fields,
    materials and steps (None = keep), or raises one ValidationError listing every
    problem. ``values`` missing a key keep the item's current value.

    The steps follow the parts of an item in the 事项目录: 基本要素 (name, kind, level,
    place in the 主项 → 子项 → 业务办理项 hierarchy), 办理时限, contact texts, then the
    实施清单 (fees, form, 秒批 rules, materials, steps), which only a 业务办理项 has."""
    if _has_nul([values, materials, steps]):
        raise ValidationError(_("内容中不能包含空字符（\\x00）。"), code="invalid")
    errors = _Errors()
    current = {k: getattr(item, k) for k in ITEM_FIELDS} if item else {}
    merged = {**current, **values}
    out: dict[str, Any] = {}
    out["name"] = _text(merged, "name", errors, _("事项名称"), required=True)
    out["implementer"] = _text(merged, "implementer", errors, _("实施主体")) or department.name
    out["legal_basis"] = _text(merged, "legal_basis", errors, _("设定依据"), required=True)
    out["kind"], out["level"] = _kind_and_level(merged, item, errors)
    level = out["level"]
    out["parent"] = _clean_parent(merged.get("parent"), level, item, department, errors)
    out["handling"] = _handling(merged, level, errors)
    out["division"] = _division(merged.get("division"), department, errors)
    out["conditions"] = str(merged.get("conditions") or "").strip()
    out["applicants"] = _applicants(merged, errors)
    out["registers_entity"] = _registers(merged, out["applicants"], errors)
    out["statutory_days"], out["promised_days"] = _time_limits(merged, errors)
    out["visits"] = _days(merged, "visits", errors, _("到办事现场次数")) or 0
    out.update(_contact_texts(merged, errors))
    out["workflow_code"] = _workflow_code(merged, errors)
    out["online"] = _bool(merged.get("online", True))
    out["life_events"] = _events(merged, "life_events", LIFE, errors, _("个人生命周期事件"))
    out["enterprise_events"] = _events(
        merged, "enterprise_events", ENTERPRISE, errors, _("企业生命周期事件")
    )
    _clean_forms(merged, out, errors)
    clean_mats = _collect(errors, clean_materials, materials)
    clean_rows = _collect(errors, clean_steps, steps)
    if level and level != Level.HANDLING:
        _check_no_handling_list(out, item, materials, steps, clean_mats, clean_rows, errors)
        out["online"] = False
    _check_step_total(out["promised_days"], item, steps, clean_rows, errors)
    errors.raise_if_any()
    return out, clean_mats, clean_rows


def _kind_and_level(merged: dict, item: ServiceItem | None, errors: _Errors) -> tuple[str, str]:
    """事项类型 (行政许可, 行政确认, 公共服务 …) and 层级 (主项/子项/业务办理项); an item
    with children keeps its level, or the children would hang under the wrong kind of
    parent."""
    kind = str(merged.get("kind") or "")
    if kind not in ItemKind.values:
        errors.add("kind", _("请选择事项类型（行政许可、行政确认、公共服务等）。"), "required")
    level = str(merged.get("level") or "")
    if level not in Level.values:
        errors.add("level", _("请选择层级：主项、子项或业务办理项。"), "required")
    if item is not None and level != item.level and item.children.exists():
        errors.add("level", _("该事项已有下级事项，不能改变层级。"), "hierarchy")
    return kind, level


def _clean_parent(
    ref: Any, level: str, item: ServiceItem | None, department: Department, errors: _Errors
) -> ServiceItem | None:
    """The 上级事项 (parent item) named by ``ref``, checked against the hierarchy
    主项 → 子项 → 业务办理项; at most one problem is reported, the first that applies."""
    parent = _parent(ref)
    if ref not in (None, "") and parent is None:
        errors.add("parent", _("未找到上级事项“%s”。") % ref, "hierarchy")
    elif level in PARENT_LEVELS:
        problem = _parent_problem(level, parent, item, department)
        if problem:
            errors.add("parent", problem, "hierarchy")
    return parent


def _parent_problem(
    level: str, parent: ServiceItem | None, item: ServiceItem | None, department: Department
) -> str | None:
    """Why ``parent`` cannot be the parent of an item of ``level`` (None if it can): a
    主项 has none, a 子项 hangs under a 主项, a 业务办理项 under either, always within
    one department and never under itself or its own descendants."""
    allowed = PARENT_LEVELS[level]
    if not allowed:
        return _("主项不能有上级事项。") if parent is not None else None
    if parent is None:
        return _("子项须挂在主项下；业务办理项须挂在主项或子项下。请选择上级事项。")
    if parent.level not in allowed:
        return _("%(lv)s不能挂在%(plv)s“%(p)s”下（主项 → 子项 → 业务办理项）。") % {
            "lv": Level(level).label,
            "plv": Level(parent.level).label,
            "p": parent.name,
        }
    if parent.department_id != department.pk:
        return _("上级事项须属于同一部门（%s）。") % department.name
    if item is not None and _descends_from(parent, item):
        return _("不能把事项挂在它自己或它的下级事项下。")
    return None


def _handling(merged: dict, level: str, errors: _Errors) -> str:
    """业务办理项类型 (新办, 变更, 延续, 注销 …): required on a 业务办理项, blank on
    any other level."""
    if level != Level.HANDLING:
        return ""
    handling = str(merged.get("handling") or "")
    if handling not in ServiceItem.Handling.values:
        errors.add("handling", _("请选择业务办理项类型（新办、变更、延续、注销等）。"), "required")
    return handling


def _applicants(merged: dict, errors: _Errors) -> str:
    """服务对象: natural persons, legal persons or both (the default)."""
    applicants = str(merged.get("applicants") or ServiceItem.Applicants.BOTH)
    if applicants not in ServiceItem.Applicants.values:
        errors.add("applicants", _("服务对象应为自然人、法人或两者。"))
    return applicants


def _registers(merged: dict, applicants: str, errors: _Errors) -> str:
    """设立登记主体类型: the market entity a registration creates (企业, 个体工商户, 农民专业
    合作社), or none. A 个体工商户 is registered by its 经营者, a natural person."""
    registers = str(merged.get("registers_entity") or "")
    if registers not in ServiceItem.Registers.values:
        errors.add("registers_entity", _("设立登记主体类型应为企业、个体工商户或农民专业合作社。"))
        return ""
    if (
        registers == ServiceItem.Registers.INDIVIDUAL
        and applicants != ServiceItem.Applicants.PERSON
    ):
        errors.add(
            "applicants",
            _("个体工商户设立登记由经营者本人申请，服务对象应为自然人。"),
            "registers_person",
        )
    return registers


def _time_limits(merged: dict, errors: _Errors) -> tuple[int | None, int | None]:
    """法定办结时限 and 承诺办结时限 in working days; the promise may not exceed the
    statutory limit."""
    statutory = _days(merged, "statutory_days", errors, _("法定办结时限"))
    promised = _days(merged, "promised_days", errors, _("承诺办结时限"))
    if statutory is not None and promised is not None and promised > statutory:
        errors.add(
            "promised_days",
            ngettext(
                "承诺办结时限（%(p)s 个工作日）不能超过法定办结时限（%(s)s 个工作日）。",
                "承诺办结时限（%(p)s 个工作日）不能超过法定办结时限（%(s)s 个工作日）。",
                statutory,
            )
            % {"p": promised, "s": statutory},
            "promised_exceeds_statutory",
        )
    return statutory, promised


def _contact_texts(merged: dict, errors: _Errors) -> dict[str, str]:
    """The free texts shown to applicants (办理地点, 办理时间, 咨询/投诉电话, 关键词) and
    the 办结发放证照 type, a lower-case slug such as food_business."""
    out: dict[str, str] = {}
    for key, label in (
        ("place", _("办理地点")),
        ("hours", _("办理时间")),
        ("contact_phone", _("咨询电话")),
        ("complaint_phone", _("监督投诉电话")),
        ("keywords", _("关键词")),
        ("licence_type_code", _("办结发放证照类型")),
    ):
        out[key] = _text(merged, key, errors, label)
    out["licence_type_code"] = out["licence_type_code"].lower()
    if out["licence_type_code"] and not SLUG_RE.match(out["licence_type_code"]):
        errors.add(
            "licence_type_code",
            _("证照类型标识“%s”不正确（如 food_business）。") % out["licence_type_code"],
        )
    return out


def _workflow_code(merged: dict, errors: _Errors) -> str:
    """The 办理流程 an application of this item follows (service_application unless
    another is named)."""
    workflow = _text(merged, "workflow_code", errors, _("办理流程")) or "service_application"
    if not re.match(r"^[a-z][a-z0-9_]{1,63}$", workflow):
        errors.add("workflow_code", _("办理流程编码不正确。"))
    return workflow


def _collect(errors: _Errors, clean: Any, raw: Any) -> Any:
    """``clean(raw)``, or None when ``raw`` is None (keep what the item has) or when it
    fails — its problems then join the others in ``errors``."""
    if raw is None:
        return None
    try:
        return clean(raw)
    except ValidationError as exc:
        errors.merge(exc)
        return None


def _clean_forms(merged: dict, out: dict, errors: _Errors) -> None:
    """收费 (fees), 申请表 (form fields) and 秒批 rules, which refer to the form's fields;
    a list that fails to clean is stored empty (instant rules: left out)."""
    for key, fn in (
        ("fees", clean_fees),
        ("form_fields", clean_form_fields),
    ):
        try:
            out[key] = fn(merged.get(key))
        except ValidationError as exc:
            errors.merge(exc)
            out[key] = []
    try:
        out["instant_rules"] = clean_instant_rules(merged.get("instant_rules"), out["form_fields"])
    except ValidationError as exc:
        errors.merge(exc)


def _check_no_handling_list(
    out: dict,
    item: ServiceItem | None,
    materials: Any,
    steps: Any,
    clean_mats: list[dict] | None,
    clean_rows: list[dict] | None,
    errors: _Errors,
) -> None:
    """Only a 业务办理项 has an 实施清单; a 主项 or 子项 carrying one (in this save or
    already stored) is refused."""
    has_list = any(out.get(k) not in (None, "", []) for k in HANDLING_ONLY)
    has_rows = bool(clean_mats) or bool(clean_rows)
    if item is not None and materials is None:
        has_rows = has_rows or item.materials.exists()
    if item is not None and steps is None:
        has_rows = has_rows or item.steps.exists()
    if has_list or has_rows:
        errors.add(
            "level",
            _(
                "只有业务办理项才有实施清单（时限、收费、材料、环节、申请表、秒批规则、发放证照）；主项和子项只填基本要素。"
            ),
            "hierarchy",
        )


def _check_step_total(
    promised: int | None,
    item: ServiceItem | None,
    steps: Any,
    clean_rows: list[dict] | None,
    errors: _Errors,
) -> None:
    """The 环节 time limits together may not exceed the 承诺办结时限 (kept steps count
    when the save leaves them alone)."""
    total = sum(s["days"] for s in clean_rows) if clean_rows else None
    if total is None and item is not None and steps is None:
        total = sum(item.steps.values_list("days", flat=True)) or None
    if promised is not None and total is not None and total > promised:
        errors.add(
            "steps",
            ngettext(
                "各环节时限合计 %(t)s 个工作日，超过了承诺办结时限 %(p)s 个工作日。",
                "各环节时限合计 %(t)s 个工作日，超过了承诺办结时限 %(p)s 个工作日。",
                promised,
            )
            % {"t": total, "p": promised},
        )


def _write_rows(item: ServiceItem, materials: list[dict] | None, steps: list[dict] | None):
    if materials is not None:
        item.materials.all().delete()
        MaterialSpec.objects.bulk_create(
            [MaterialSpec(item=item, position=i, **m) for i, m in enumerate(materials, start=1)]
        )
    if steps is not None:
        item.steps.all().delete()
        ProcessStep.objects.bulk_create(
            [ProcessStep(item=item, position=i, **s) for i, s in enumerate(steps, start=1)]
        )


def _refresh_search(item: ServiceItem) -> None:
    item.search_text = build_search_text(item)
    ServiceItem.objects.filter(pk=item.pk).update(search_text=item.search_text)


def _summary(values: dict) -> dict:
    out = {}
    for k, v in values.items():
        if isinstance(v, ServiceItem | Division | Department):
            out[k] = v.pk if not isinstance(v, ServiceItem) else v.code
        else:
            out[k] = v
    return out


@transaction.atomic
def do_create_item(
    *,
    actor,
    department: Department,
    code: str,
    values: dict[str, Any],
    materials: list[dict] | None = None,
    steps: list[dict] | None = None,
) -> ServiceItem:
    """编制事项: a new item (草稿) of ``department`` with its materials and steps."""
    access.require_manage(actor, department)
    code = str(code or "").strip()
    if not CODE_RE.fullmatch(code):
        raise ValidationError(
            {"code": ValidationError(_("事项编码须为 3–40 位字母、数字、连字符或下划线。"))}
        )
    if ServiceItem.objects.filter(code=code).exists():
        raise ValidationError(
            {"code": Conflict(_("事项编码 %s 已存在。") % code, code="duplicate_code")}
        )
    fields, mats, rows = clean_item(
        values, department=department, materials=materials or [], steps=steps or []
    )
    item = ServiceItem.objects.create(
        code=code, department=department, status=Status.DRAFT, **fields
    )
    _write_rows(item, mats, rows)
    _refresh_search(item)
    audit.record(
        actor=actor,
        action="services.item.create",
        obj=item,
        change={
            "code": code,
            "department": department.code,
            "level": item.level,
            "materials": len(mats or []),
            "steps": len(rows or []),
        },
    )
    return item


@transaction.atomic
def do_update_item(
    *,
    actor,
    item: ServiceItem,
    values: dict[str, Any],
    materials: list[dict] | None = None,
    steps: list[dict] | None = None,
) -> ServiceItem:
    """修改事项: new values (missing keys keep theirs); ``materials``/``steps`` given
    replace the lists, None keeps them. A published item stays published."""
    item = (
        ServiceItem.objects.select_for_update()
        .select_related("department__division")
        .get(pk=item.pk)
    )
    access.require_manage(actor, item.department)
    fields, mats, rows = clean_item(
        values, department=item.department, item=item, materials=materials, steps=steps
    )
    changed = {k: v for k, v in fields.items() if getattr(item, k) != v}
    for k, v in fields.items():
        setattr(item, k, v)
    item.save()
    _write_rows(item, mats, rows)
    _refresh_search(item)
    audit.record(
        actor=actor,
        action="services.item.update",
        obj=item,
        change={
            "code": item.code,
            "fields": sorted(changed),
            "values": _summary(
                {k: v for k, v in changed.items() if k not in ("form_fields", "instant_rules")}
            ),
            "materials": None if mats is None else len(mats),
            "steps": None if rows is None else len(rows),
        },
    )
    return item


@transaction.atomic
def do_publish_item(*, actor, item: ServiceItem) -> ServiceItem:
    """发布: the item appears in the service hall; a 业务办理项 can then be applied for.
    Its parent must be published first, and a 业务办理项 needs its 承诺时限, its steps,
    a licence its applicants can hold and staff to take every step of its 办理流程
    (``services.readiness``)."""
    item = (
        ServiceItem.objects.select_for_update()
        .select_related("department__division")
        .get(pk=item.pk)
    )
    access.require_manage(actor, item.department)
    if item.status == Status.PUBLISHED:
        raise Conflict(_("该事项已发布。"), code="already_published")
    problems = []
    if item.parent is not None and item.parent.status != Status.PUBLISHED:
        problems.append(_("请先发布上级事项“%s”。") % item.parent.name)
    if item.level == Level.HANDLING and item.promised_days is None:
        problems.append(_("业务办理项须填写承诺办结时限后才能发布。"))
    if item.level == Level.HANDLING and not item.steps.exists():
        problems.append(_("业务办理项须至少有一个办理环节后才能发布。"))
    if item.level == Level.HANDLING:
        problems += readiness.publish_problems(item)
    if problems:
        raise ValidationError([Conflict(p, code="not_publishable") for p in problems])
    previous = item.status
    item.status = Status.PUBLISHED
    item.save(update_fields=["status", "updated_at"])
    audit.record(
        actor=actor,
        action="services.item.publish",
        obj=item,
        change={"code": item.code, "from": previous},
    )
    return item


@transaction.atomic
def do_withdraw_item(*, actor, item: ServiceItem, reason: str = "") -> ServiceItem:
    """停用: the item (and its published lower-level items) leave the service hall;
    applications already made go on. It can be published again."""
    item = (
        ServiceItem.objects.select_for_update()
        .select_related("department__division")
        .get(pk=item.pk)
    )
    access.require_manage(actor, item.department)
    if item.status != Status.PUBLISHED:
        raise Conflict(_("只有已发布的事项可以停用。"), code="not_published")
    withdrawn = [item]
    frontier = [item.pk]
    while frontier:
        children = list(ServiceItem.objects.filter(parent_id__in=frontier, status=Status.PUBLISHED))
        withdrawn += children
        frontier = [c.pk for c in children]
    ServiceItem.objects.filter(pk__in=[i.pk for i in withdrawn]).update(status=Status.WITHDRAWN)
    for i in withdrawn:
        audit.record(
            actor=actor,
            action="services.item.withdraw",
            obj=i,
            change={"code": i.code, "reason": reason[:500], "with": item.code},
        )
    item.refresh_from_db()
    return item
