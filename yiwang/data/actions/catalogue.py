"""Writes to the 政务数据目录: departments' data stewards draft and submit catalogue
entries (数据资源), the big-data bureau reviews them through the ``data_catalogue_review``
workflow; a published entry changes only through a new version."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from yiwang.core import audit
from yiwang.core.actions.workflow import do_start_case, do_transition
from yiwang.core.errors import Conflict
from yiwang.core.models import Department
from yiwang.data import access
from yiwang.data.models import (
    Catalogue,
    DataElement,
    DataItem,
    DataResource,
    Grade,
    OpenType,
    ShareType,
)

WORKFLOW = "data_catalogue_review"
Status = DataResource.Status
EDITABLE = (Status.DRAFT, Status.RETURNED)
OPEN_VERSION = (Status.DRAFT, Status.SUBMITTED, Status.RETURNED)
# Metadata a steward fills in (code, version, status and kind are the platform's).
RESOURCE_FIELDS = (
    "name",
    "abstract",
    "format",
    "registry",
    "share_type",
    "share_condition",
    "share_method",
    "no_share_basis",
    "open_type",
    "open_condition",
    "update_cycle",
    "grade",
    "level",
)
MAX_ITEMS = 500


def grade_review_cutoff(today: dt.date | None = None) -> dt.date:
    """定级复核: resources graded before this date are due for regrading
    (``YIWANG["DATA_GRADE_REVIEW_MONTHS"]`` months ago)."""
    today = today or timezone.localdate()
    months = int(settings.YIWANG.get("DATA_GRADE_REVIEW_MONTHS", 12))
    total = today.year * 12 + today.month - 1 - months
    year, month = divmod(total, 12)
    month += 1
    for day in (today.day, 30, 29, 28):
        try:
            return dt.date(year, month, day)
        except ValueError:
            continue
    return dt.date(year, month, 28)  # pragma: no cover


def minimum_level(elements: list[DataElement]) -> tuple[int, DataElement | None]:
    """The lowest general level (一般数据 1–4) the elements allow, and the element that
    forces it: sensitive personal information → 4, personal information → 3."""
    floor, cause = 1, None
    for e in elements:
        need = 4 if e.sensitive else 3 if e.personal else 1
        if need > floor:
            floor, cause = need, e
    return floor, cause


def check_grade(grade: str, level: int | None, elements: list[DataElement]) -> None:
    """分类分级: refuse a grade below what the items' elements require (grade up when in
    doubt)."""
    if grade not in Grade.values:
        raise ValidationError({"grade": _("请选择数据级别（核心/重要/一般）。")}, code="grade")
    if grade != Grade.GENERAL:
        return  # 核心/重要数据 sit above every general level
    if level is None or not 1 <= int(level) <= 4:
        raise ValidationError({"level": _("一般数据须定为 1–4 级。")}, code="level_missing")
    floor, cause = minimum_level(elements)
    if int(level) < floor and cause is not None:  # a floor above 1 always has its cause
        kind = _("敏感个人信息") if cause.sensitive else _("个人信息")
        raise ValidationError(
            {
                "level": _(
                    "数据元“%(e)s”属于%(kind)s，一般数据级别至少为 %(n)s 级（拿不准时从高定级）。"
                )
                % {"e": cause.name, "kind": kind, "n": floor}
            },
            code="grade_too_low",
        )


def _clean_values(values: dict[str, Any]) -> dict[str, Any]:
    clean: dict[str, Any] = {}
    for k in RESOURCE_FIELDS:
        if k in values:
            v = values[k]
            clean[k] = v.strip() if isinstance(v, str) else v
    if "level" in clean and clean["level"] in ("", None):
        clean["level"] = None
    elif "level" in clean:
        try:
            clean["level"] = int(clean["level"])
        except (TypeError, ValueError):
            raise ValidationError({"level": _("级别应为 1–4 的整数。")}) from None
    return clean


def _element(ref: Any) -> DataElement | None:
    if isinstance(ref, DataElement):
        return ref
    if ref in (None, ""):
        return None
    text = str(ref).strip()
    qs = DataElement.objects.all()
    if text.isdigit():
        found = qs.filter(pk=int(text)).first()
        if found:
            return found
    return qs.filter(code=text).first()


def _clean_items(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """信息项: each names a data element and has its data type (一数一源一标准)."""
    if not items:
        raise ValidationError({"items": _("至少需要一个信息项。")}, code="items_missing")
    if len(items) > MAX_ITEMS:
        raise ValidationError({"items": _("信息项过多（最多 %s 个）。") % MAX_ITEMS})
    out, seen = [], set()
    for n, raw in enumerate(items, start=1):
        name = str(raw.get("name") or "").strip()
        if not name:
            raise ValidationError({"items": _("第 %s 个信息项缺少名称。") % n}, code="item_name")
        if len(name) > 100:
            raise ValidationError({"items": _("信息项“%s”名称过长。") % name[:20]})
        if name in seen:
            raise ValidationError(
                {"items": _("信息项名称“%s”重复。") % name}, code="item_duplicate"
            )
        seen.add(name)
        element = _element(raw.get("element"))
        if element is None:
            raise ValidationError(
                {"items": _("信息项“%s”必须引用一个数据元。") % name}, code="item_element"
            )
        data_type = str(raw.get("data_type") or "").strip() or element.data_type
        if data_type != element.data_type:
            raise ValidationError(
                {
                    "items": _(
                        "信息项“%(i)s”的数据类型“%(t)s”与数据元“%(e)s”的类型“%(et)s”不一致。"
                    )
                    % {
                        "i": name,
                        "t": data_type,
                        "e": element.name,
                        "et": element.get_data_type_display(),
                    }
                },
                code="item_type",
            )
        out.append(
            {
                "name": name,
                "element": element,
                "data_type": data_type,
                "field": str(raw.get("field") or "").strip()[:40],
                "required": bool(raw.get("required")),
                "is_key": bool(raw.get("is_key")),
            }
        )
    return out


def _check(resource: DataResource, items: list[dict[str, Any]]) -> None:
    """National metadata rules: 不予共享 needs its legal basis, conditions are stated,
    and the grade is not below the items' elements."""
    if not resource.name:
        raise ValidationError({"name": _("请填写资源名称。")}, code="name")
    if resource.share_type not in ShareType.values:
        raise ValidationError({"share_type": _("请选择共享属性。")}, code="share_type")
    if resource.share_type == ShareType.NONE and not resource.no_share_basis:
        raise ValidationError(
            {"no_share_basis": _("不予共享的资源必须注明法律、法规或政策依据。")},
            code="no_share_basis",
        )
    if resource.share_type == ShareType.CONDITIONAL and not resource.share_condition:
        raise ValidationError(
            {"share_condition": _("有条件共享的资源必须注明共享条件。")}, code="share_condition"
        )
    if resource.open_type not in OpenType.values:
        raise ValidationError({"open_type": _("请选择开放属性。")}, code="open_type")
    if resource.open_type == OpenType.CONDITIONAL and not resource.open_condition:
        raise ValidationError(
            {"open_condition": _("有条件开放的资源必须注明开放条件。")}, code="open_condition"
        )
    if resource.update_cycle not in DataResource.UpdateCycle.values:
        raise ValidationError({"update_cycle": _("请选择更新周期。")}, code="update_cycle")
    if resource.registry not in DataResource.Registry.values:
        raise ValidationError({"registry": _("不是允许的基础库。")}, code="registry")
    check_grade(resource.grade, resource.level, [i["element"] for i in items])
    if resource.grade != Grade.GENERAL:
        resource.level = None
    resource.full_clean(exclude=["catalogue", "provider", "case", "created_by", "code"])


def _write_items(resource: DataResource, items: list[dict[str, Any]]) -> None:
    resource.items.all().delete()
    DataItem.objects.bulk_create(
        DataItem(resource=resource, position=n, **item) for n, item in enumerate(items, start=1)
    )


def _node(ref: Catalogue | str) -> Catalogue:
    if isinstance(ref, Catalogue):
        return ref
    node = Catalogue.objects.filter(code=str(ref or "").strip()).first()
    if node is None:
        raise ValidationError({"catalogue": _("未找到该目录分类。")}, code="catalogue")
    return node


def _next_code(node: Catalogue) -> str:
    """资源代码: the classification code of the node plus a four-digit serial."""
    Catalogue.objects.select_for_update().filter(pk=node.pk).first()
    prefix = f"{node.code}-"
    serial = 0
    for code in DataResource.objects.filter(code__startswith=prefix).values_list("code", flat=True):
        tail = code[len(prefix) :]
        if tail.isdigit():
            serial = max(serial, int(tail))
    return f"{prefix}{serial + 1:04d}"


def _items_of(resource: DataResource) -> list[dict[str, Any]]:
    return [
        {
            "name": i.name,
            "element": i.element,
            "data_type": i.data_type,
            "field": i.field,
            "required": i.required,
            "is_key": i.is_key,
        }
        for i in resource.items.select_related("element")
    ]


@transaction.atomic
def do_draft_resource(
    *,
    actor,
    provider: Department,
    catalogue: Catalogue | str,
    values: dict[str, Any],
    items: list[dict[str, Any]],
) -> DataResource:
    """编目: a department's steward drafts a new catalogue entry; its code is the
    classification code of the node plus a serial, its kind that of the node."""
    access.require_manage(actor, provider)
    node = _node(catalogue)
    clean_items = _clean_items(items)
    resource = DataResource(
        catalogue=node,
        kind=node.kind,
        provider=provider,
        version=1,
        status=Status.DRAFT,
        created_by=actor if getattr(actor, "pk", None) else None,
        graded_at=timezone.localdate(),
        **_clean_values(values),
    )
    _check(resource, clean_items)
    resource.code = _next_code(node)
    resource.save()
    _write_items(resource, clean_items)
    audit.record(
        actor=actor,
        action="data.resource.draft",
        obj=resource,
        change={"code": resource.code, "name": resource.name, "items": len(clean_items)},
    )
    return resource


def _locked(resource: DataResource) -> DataResource:
    return (
        DataResource.objects.select_for_update(of=("self",))
        .select_related("provider__division", "catalogue", "case")
        .get(pk=resource.pk)
    )


def _not_editable(resource: DataResource) -> ValidationError:
    return Conflict(
        _("“%(name)s”v%(v)s 状态为“%(s)s”，不能直接修改；已发布的资源请新建版本。")
        % {"name": resource.name, "v": resource.version, "s": resource.get_status_display()},
        code="not_editable",
    )


@transaction.atomic
def do_update_draft(
    *,
    actor,
    resource: DataResource,
    values: dict[str, Any],
    items: list[dict[str, Any]] | None = None,
    catalogue: Catalogue | str | None = None,
) -> DataResource:
    """Edit a draft (or a returned) version; submitted and published versions are refused.
    Saving re-confirms the grading (定级日期 = today)."""
    row = _locked(resource)
    access.require_manage(actor, row.provider)
    if row.status not in EDITABLE:
        raise _not_editable(row)
    if catalogue is not None:
        node = _node(catalogue)
        if node.pk != row.catalogue_id and row.version == 1 and row.status == Status.DRAFT:
            row.catalogue, row.kind = node, node.kind
            row.code = _next_code(node)
    for k, v in _clean_values(values).items():
        setattr(row, k, v)
    clean_items = _clean_items(items) if items is not None else _items_of(row)
    _check(row, clean_items)
    row.graded_at = timezone.localdate()
    row.save()
    if items is not None:
        _write_items(row, clean_items)
    audit.record(
        actor=actor,
        action="data.resource.update",
        obj=row,
        change={"code": row.code, "version": row.version, "fields": sorted(values)},
    )
    return row


@transaction.atomic
def do_submit_resource(*, actor, resource: DataResource) -> DataResource:
    """Submit a draft for the bureau's review (starts a ``data_catalogue_review`` case);
    a returned version is resubmitted on its case."""
    row = _locked(resource)
    access.require_manage(actor, row.provider)
    if row.status not in EDITABLE:
        raise _not_editable(row)
    _check(row, _items_of(row))
    if row.status == Status.RETURNED and row.case is not None and row.case.closed_at is None:
        do_transition(actor=actor, case=row.case, action_code="resubmit")
    else:
        row.case = do_start_case(
            actor=actor,
            workflow_code=WORKFLOW,
            title=_("数据资源目录审核：%(name)s（%(code)s v%(v)s）")
            % {"name": row.name, "code": row.code, "v": row.version},
            division=row.provider.division,
            department=row.provider,
            applicant=actor if getattr(actor, "pk", None) else None,
            subject=row,
        )
    row.status = Status.SUBMITTED
    row.save(update_fields=["status", "case", "updated_at"])
    audit.record(
        actor=actor,
        action="data.resource.submit",
        obj=row,
        change={"code": row.code, "version": row.version, "case": row.case.number},
    )
    return row


@transaction.atomic
def do_review_resource(
    *, actor, resource: DataResource, action: str, comment: str = ""
) -> DataResource:
    """大数据局审核: ``publish`` (the previous published version becomes superseded) or
    ``return`` with a comment; the resource's status follows the review case."""
    access.require_review(actor, _("只有大数据局可以审核数据资源目录。"))
    if action not in ("publish", "return"):
        raise ValidationError(_("未知的审核操作。"), code="action_unknown")
    row = _locked(resource)
    if row.status != Status.SUBMITTED or row.case is None:
        raise Conflict(
            _("该资源当前状态为“%s”，不在审核中。") % row.get_status_display(),
            code="not_submitted",
        )
    do_transition(actor=actor, case=row.case, action_code=action, comment=comment)
    old: list[int] = []
    if action == "publish":
        old = _publish(row)
    else:
        row.status = Status.RETURNED
    row.save(update_fields=["status", "publish_date", "updated_at"])
    audit.record(
        actor=actor,
        action=f"data.resource.{action}",
        obj=row,
        change={
            "code": row.code,
            "version": row.version,
            "superseded": old,
        },
    )
    return row


@transaction.atomic
def do_withdraw_resource(*, actor, resource: DataResource, comment: str) -> DataResource:
    """撤回: the steward withdraws a submitted or returned version (with a reason)."""
    row = _locked(resource)
    access.require_manage(actor, row.provider)
    if row.status not in (Status.SUBMITTED, Status.RETURNED) or row.case is None:
        raise Conflict(_("只有审核中或已退回的资源可以撤回。"), code="not_submitted")
    do_transition(actor=actor, case=row.case, action_code="withdraw", comment=comment)
    row.status = Status.WITHDRAWN
    row.save(update_fields=["status", "updated_at"])
    audit.record(
        actor=actor, action="data.resource.withdraw", obj=row, purpose=(comment or "")[:200]
    )
    return row


@transaction.atomic
def do_new_version(*, actor, resource: DataResource) -> DataResource:
    """新版本: copy the published version into a draft v+1 (the published one stays live
    until the new version is published). One open version per resource at a time."""
    row = _locked(resource)
    access.require_manage(actor, row.provider)
    if row.status != Status.PUBLISHED:
        raise Conflict(_("只能在已发布的版本上新建版本。"), code="not_published")
    pending = DataResource.objects.filter(code=row.code, status__in=OPEN_VERSION).first()
    if pending is not None:
        raise Conflict(
            _("该资源已有未发布的 v%s，请先完成或撤回它。") % pending.version,
            code="version_pending",
        )
    top = DataResource.objects.filter(code=row.code).aggregate(m=Max("version"))["m"] or 0
    related = list(row.related.all())
    items = _items_of(row)
    new = DataResource.objects.get(pk=row.pk)
    new.pk = new.id = None
    new._state.adding = True
    new.version = top + 1
    new.status = Status.DRAFT
    new.case = None
    new.publish_date = None
    new.created_by = actor if getattr(actor, "pk", None) else None
    new.save()
    new.related.set(related)
    _write_items(new, items)
    audit.record(
        actor=actor,
        action="data.resource.new_version",
        obj=new,
        change={"code": new.code, "from": row.version, "version": new.version},
    )
    return new


@transaction.atomic
def do_set_related(*, actor, resource: DataResource, related: list[DataResource]) -> DataResource:
    """关联资源 of a draft version."""
    row = _locked(resource)
    access.require_manage(actor, row.provider)
    if row.status not in EDITABLE:
        raise _not_editable(row)
    row.related.set([r for r in related if r.pk != row.pk])
    audit.record(
        actor=actor,
        action="data.resource.related",
        obj=row,
        change={"related": [r.code for r in related]},
    )
    return row


CASE_STATUS = {
    "reviewing": Status.SUBMITTED,
    "returned": Status.RETURNED,
    "published": Status.PUBLISHED,
    "withdrawn": Status.WITHDRAWN,
}


def _publish(row: DataResource) -> list[int]:
    """Mark ``row`` published, superseding the live version of the same code."""
    old = list(
        DataResource.objects.select_for_update()
        .filter(code=row.code, status=Status.PUBLISHED)
        .exclude(pk=row.pk)
        .values_list("version", flat=True)
    )
    DataResource.objects.filter(code=row.code, status=Status.PUBLISHED).exclude(pk=row.pk).update(
        status=Status.SUPERSEDED, updated_at=timezone.now()
    )
    row.status = Status.PUBLISHED
    row.publish_date = timezone.localdate()
    return old


@transaction.atomic
def do_sync_resource_with_case(*, actor, resource: DataResource) -> DataResource:
    """Bring a resource's status in line with its review case when the case was moved on
    the general case page (办件详情) rather than through the catalogue."""
    row = _locked(resource)
    if row.case is None or row.status in (Status.SUPERSEDED,):
        return row
    want = CASE_STATUS.get(row.case.state)
    if want is None or want == row.status:
        return row
    previous = row.status
    superseded: list[int] = []
    if want == Status.PUBLISHED:
        superseded = _publish(row)
    else:
        row.status = want
    row.save(update_fields=["status", "publish_date", "updated_at"])
    audit.record(
        actor=actor,
        action="data.resource.sync",
        obj=row,
        change={
            "from": previous,
            "to": row.status,
            "case": row.case.number,
            "superseded": superseded,
        },
    )
    return row
