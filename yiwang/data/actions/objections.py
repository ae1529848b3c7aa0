"""数据异议 writes: a consuming department flags one value of one base-registry record as
wrong; the authoritative department (the element's source) verifies it on the
``data_objection`` workflow and either corrects it (a new record version through
``apply_rows``, old value kept in history, sharing consumers told) or explains why the
value stands; the requester is told either way."""

from __future__ import annotations

import uuid
from typing import Any

from django.core.exceptions import FieldDoesNotExist, PermissionDenied, ValidationError
from django.db import models, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from yiwang.core import audit
from yiwang.core.actions.notify import do_notify
from yiwang.core.actions.workflow import do_start_case, do_transition
from yiwang.core.errors import Conflict, Invalid, NotFound
from yiwang.core.models import Department, RoleAssignment
from yiwang.core.notify.text import Text, bilingual
from yiwang.data import access
from yiwang.data.models import DataItem, DataObjection, DataResource, ShareGrant
from yiwang.data.registry import REGISTRIES, apply_rows, field_source, get_value
from yiwang.data.standards import check_value, display

WORKFLOW = "data_objection"
MAX_REASON = 2000


def _err(field: str, message: str, code: str) -> ValidationError:
    """A field error that keeps its code; an unknown base registry or record is a
    ``NotFound``, anything else ``Invalid``."""
    kind = NotFound if code == "not_found" else Invalid
    return kind({field: kind(message, code=code)})


def registry_label(registry: str) -> str:
    """The registry's Chinese name (人口库 …)."""
    return str(REGISTRIES[registry].model._meta.verbose_name_plural)


def _column(model: type[models.Model], field: str) -> models.Field:
    """A registry model's own column by name (never a reverse relation)."""
    found = model._meta.get_field(field)
    assert isinstance(found, models.Field), f"{field} is not a column"
    return found


def field_label(registry: str, field: str) -> str:
    """A registry field's Chinese name (姓名 …)."""
    try:
        return str(_column(REGISTRIES[registry].model, field).verbose_name)
    except FieldDoesNotExist:  # an unknown name is shown as is
        return field


def live_resource(registry: str) -> DataResource | None:
    """The published catalogue resource whose rows land in this registry."""
    return DataResource.objects.filter(registry=registry, status="published").first()


def _item(resource: DataResource | None, field: str) -> DataItem | None:
    if resource is None:
        return None
    return (
        resource.items.filter(field=field)
        .select_related("element__source_department__division")
        .first()
    )


def authority_of(registry: str, record, field: str) -> Department:
    """The department that answers for ``field``: its data element's source department,
    else the department whose value the record holds (一数一源)."""
    item = _item(live_resource(registry), field)
    if item is not None and item.element.source_department is not None:
        return item.element.source_department
    return Department.objects.select_related("division").get(pk=field_source(record, field))


def _normalise(registry: str, field: str, raw: Any) -> str:
    """The proposed value under the field's data element standard, as canonical text."""
    item = _item(live_resource(registry), field)
    text = "" if raw is None else str(raw).strip()
    if not text:
        raise _err("proposed_value", _("请填写建议值。"), "required")
    if len(text) > 500:
        raise ValidationError({"proposed_value": _("建议值不能超过 500 个字符。")})
    if item is not None:
        try:
            text = display(check_value(item.element, text))
        except ValidationError as exc:
            raise _err(
                "proposed_value",
                _("建议值不符合数据元标准：%s") % " ".join(exc.messages),
                "invalid_value",
            ) from None
    s = REGISTRIES[registry]
    if field in s.fk_fields:
        target = _column(s.model, field).related_model
        assert target is not None and target != "self", "a foreign key names its model"
        if not target._default_manager.filter(pk=text).exists():
            raise _err("proposed_value", _("建议值不是有效的代码：%s") % text[:40], "invalid_value")
        return text
    try:  # the column's own limits (length, digits, choices) so the write cannot fail
        _column(s.model, field).clean(text, None)
    except ValidationError as exc:
        raise _err(
            "proposed_value", _("建议值不符合要求：%s") % " ".join(exc.messages), "invalid_value"
        ) from None
    return text


def stewards_of(department_ids) -> list:
    """Active data stewards (数据专员) of these departments."""
    from django.db.models import Q

    ids = list(department_ids)
    if not ids:
        return []
    holdings = RoleAssignment.objects.filter(role="data_steward", user__is_active=True).filter(
        Q(org_unit__department_id__in=ids)
        | Q(org_unit__isnull=True, user__org_unit__department_id__in=ids)
    )
    seen: dict[int, Any] = {}
    for ra in holdings.select_related("user"):
        seen.setdefault(ra.user_id, ra.user)
    return list(seen.values())


def _tell(users, *, title: Text, body: Text, url: str) -> int:
    for user in users:
        do_notify(actor=None, user=user, title=title, body=body, url=url, channels=())
    return len(users)


def _url(objection: DataObjection) -> str:
    return reverse("data:objection", args=[objection.pk])


def find_record(registry: str, key: str):
    """A registry record by its natural key, or a 404-style ValidationError."""
    if registry not in REGISTRIES:
        raise _err("registry", _("未知的基础库：%s") % registry, "not_found")
    record = REGISTRIES[registry].get((key or "").strip().upper() if registry == "person" else key)
    if record is None:
        raise _err("key", _("未找到该记录。"), "not_found")
    return record


def _objection_reason(reason: str) -> str:
    """异议理由: required (at least two characters), at most MAX_REASON."""
    reason = (reason or "").strip()
    if len(reason) < 2:
        raise _err("reason", _("请说明异议理由。"), "required")
    if len(reason) > MAX_REASON:
        raise ValidationError({"reason": _("异议理由不能超过 2000 字。")})
    return reason


@transaction.atomic
def do_raise_objection(
    *,
    actor,
    registry: str,
    field: str,
    proposed_value: Any,
    reason: str,
    key: str | None = None,
    record=None,
    requester: Department | None = None,
) -> DataObjection:
    """提出数据异议: flag ``field`` of one record (by natural ``key`` or ``record``) as
    wrong, with a reason and the proposed value; opens a case at the authority."""
    access.require_steward(actor, _("只有数据专员可以提出数据异议。"))
    if requester is None:
        unit = getattr(actor, "org_unit", None)
        if unit is None:
            raise PermissionDenied(_("您不属于任何部门，不能提出数据异议。"))
        requester = unit.department
    if registry not in REGISTRIES:
        raise _err("registry", _("未知的基础库：%s") % registry, "not_found")
    s = REGISTRIES[registry]
    if record is None:
        record = find_record(registry, key or "")
    if field not in s.fields() or field == s.key:
        raise _err("field", _("该字段不能提出异议：%s") % field, "field_unknown")
    reason = _objection_reason(reason)
    proposed = _normalise(registry, field, proposed_value)
    current = display(get_value(record, field))
    if proposed == current:
        raise _err("proposed_value", _("建议值与当前值相同。"), "same_value")
    authority = authority_of(registry, record, field)
    if authority.pk == requester.pk:
        raise ValidationError(
            _("本部门就是该字段的权威来源，请直接更正数据，无需提出异议。"), code="own_authority"
        )
    if DataObjection.objects.filter(
        registry=registry, record_id=record.pk, field=field, requester=requester, outcome=""
    ).exists():
        raise Conflict(_("本部门已就该字段提出异议，正在处理中。"), code="duplicate")
    objection = DataObjection.objects.create(
        number=f"tmp-{uuid.uuid4().hex}",
        registry=registry,
        record_id=record.pk,
        field=field,
        current_value=current,
        proposed_value=proposed,
        reason=reason,
        raised_by=actor,
        requester=requester,
        authority=authority,
    )
    case = do_start_case(
        actor=None,
        workflow_code=WORKFLOW,
        title=_("数据异议：%(registry)s · %(field)s")
        % {"registry": registry_label(registry), "field": field_label(registry, field)},
        division=authority.division,
        department=authority,
        subject=objection,
        comment=reason,
    )
    objection.case = case
    objection.number = case.number
    objection.save(update_fields=["case", "number"])
    audit.record(
        actor=actor,
        action="data.objection.raise",
        obj=objection,
        change={
            "number": objection.number,
            "registry": registry,
            "record": record.pk,
            "field": field,
            "requester": requester.pk,
            "authority": authority.pk,
        },
    )
    _tell(
        stewards_of([authority.pk]),
        title=bilingual(lambda: _("收到数据异议 %s") % objection.number),
        body=bilingual(
            lambda: (
                _("%(dept)s 对%(registry)s的“%(field)s”提出异议，请在时限内核实。")
                % {
                    "dept": requester.name,
                    "registry": registry_label(registry),
                    "field": field_label(registry, field),
                }
            )
        ),
        url=_url(objection),
    )
    return objection


def _open(objection: DataObjection) -> DataObjection:
    row = DataObjection.objects.select_for_update().get(pk=objection.pk)
    if row.outcome:
        raise Conflict(_("数据异议 %s 已办结。") % row.number, code="objection_closed")
    if row.case_id is None:
        raise Conflict(_("数据异议没有关联的办件。"), code="objection_closed")
    return row


def open_actions(user, objection: DataObjection) -> list[str]:
    """What ``user`` may still do on an open objection: "correct" / "explain" while the
    case waits for verification; if the case was already moved to a final state from the
    generic case page, only the matching step, so the record and outcome catch up."""
    from yiwang.core.workflow import available_actions, handling_roles

    case = objection.case
    if objection.outcome or case is None:
        return []
    if case.closed_at is None:
        return [a.code for a in available_actions(user, case)]
    step = {"corrected": "correct", "explained": "explain"}.get(case.state)
    return [step] if step and "data_steward" in handling_roles(user, case) else []


def _advance(actor, row: DataObjection, action: str, comment: Text) -> None:
    """Move the case (or accept that it was already moved there) for ``action``."""
    target = {"correct": "corrected", "explain": "explained"}[action]
    case = row.case
    assert case is not None, "_open refuses an objection without a case"
    if case.closed_at is None:
        do_transition(actor=actor, case=case, action_code=action, comment=comment)
        return
    if case.state != target or action not in open_actions(actor, row):
        raise Conflict(_("数据异议 %s 已办结。") % row.number, code="objection_closed")


def active_consumers(registry: str) -> set[int]:
    """Departments holding an active share grant on a resource of this registry."""
    now = timezone.now()
    return set(
        ShareGrant.objects.filter(
            resource__registry=registry,
            revoked_at__isnull=True,
            starts_at__lte=now,
            expires_at__gt=now,
        ).values_list("consumer_id", flat=True)
    )


@transaction.atomic
def do_correct_objection(
    *, actor, objection: DataObjection, value: Any = None, comment: str = ""
) -> DataObjection:
    """核实有误并更正: write the corrected value as a new version (reason "objection"),
    keep the old one in history, tell sharing consumers and the requester."""
    row = _open(objection)
    registry = row.registry
    s = REGISTRIES[registry]
    new_value = _normalise(
        registry, row.field, row.proposed_value if value in (None, "") else value
    )
    resource = live_resource(registry)
    if resource is None:
        raise ValidationError(_("该基础库没有已发布的数据资源，无法更正。"), code="no_resource")
    record = s.model._default_manager.filter(pk=row.record_id).first()
    if record is None:
        raise NotFound(_("该记录已不存在。"), code="not_found")
    comment = (comment or "").strip()
    note: Text = comment or bilingual(lambda: _("已按异议更正为：%s") % new_value)
    _advance(actor, row, "correct", note)
    before = record.version
    apply_rows(
        registry=registry,
        rows=[{s.key: display(get_value(record, s.key)), row.field: new_value}],
        resource=resource,
        department=row.authority,
        reason="objection",
    )
    record.refresh_from_db()
    if display(get_value(record, row.field)) != new_value:
        raise ValidationError(_("更正未能写入，请联系大数据局。"), code="not_written")
    row.outcome = DataObjection.Outcome.CORRECTED
    row.reply = str(note)
    row.resolved_at = timezone.now()
    row.save(update_fields=["outcome", "reply", "resolved_at"])
    audit.record(
        actor=actor,
        action="data.objection.correct",
        obj=row,
        change={"record": record.pk, "field": row.field, "version": [before, record.version]},
    )
    url = _url(row)

    def labels() -> dict[str, str]:
        return {"registry": registry_label(registry), "field": field_label(registry, row.field)}

    consumers = active_consumers(registry) - {row.authority_id}
    _tell(
        [u for u in stewards_of(consumers)],
        title=bilingual(lambda: _("基础库数据已更正：%(registry)s · %(field)s") % labels()),
        body=bilingual(
            lambda: _("经数据异议 %s 核实，该字段已更正，请同步更新本部门使用的数据。") % row.number
        ),
        url="",
    )
    _tell(
        [row.raised_by],
        title=bilingual(lambda: _("数据异议 %s 已更正") % row.number),
        body=bilingual(lambda: _("权威部门核实有误并已更正%(registry)s的“%(field)s”。") % labels()),
        url=url,
    )
    objection.__dict__.update({k: getattr(row, k) for k in ("outcome", "reply", "resolved_at")})
    return row


@transaction.atomic
def do_explain_objection(*, actor, objection: DataObjection, comment: str) -> DataObjection:
    """核实无误并说明: the value stands; the explanation (required) goes to the requester."""
    row = _open(objection)
    comment = (comment or "").strip()
    if not comment:
        raise _err("comment", _("请填写说明。"), "comment_required")
    if len(comment) > MAX_REASON:
        raise ValidationError({"comment": _("说明不能超过 2000 字。")})
    _advance(actor, row, "explain", comment)
    row.outcome = DataObjection.Outcome.EXPLAINED
    row.reply = comment
    row.resolved_at = timezone.now()
    row.save(update_fields=["outcome", "reply", "resolved_at"])
    audit.record(actor=actor, action="data.objection.explain", obj=row, change={"field": row.field})
    _tell(
        [row.raised_by],
        title=bilingual(lambda: _("数据异议 %s 已答复") % row.number),
        body=comment,
        url=_url(row),
    )
    objection.__dict__.update({k: getattr(row, k) for k in ("outcome", "reply", "resolved_at")})
    return row


def seed_demo_objections(*, actor=None) -> dict:
    """Demo: one open and one explained 数据异议 on the people registry, raised by the
    civil-affairs data steward against the public-security source; a no-op when there are
    no people records or no such stewards (or when run again)."""
    from yiwang.data.models import Person

    done: dict[str, Any] = {"open": 0, "resolved": 0}
    if DataObjection.objects.exists():
        return done
    people = list(Person.objects.order_by("pk")[:2])
    if len(people) < 2:
        return done
    requester = Department.objects.filter(code="410800-civil_affairs").first()
    raisers = stewards_of([requester.pk]) if requester else []
    if not raisers:
        return done
    first = do_raise_objection(
        actor=raisers[0],
        registry="person",
        record=people[0],
        field="ethnicity",
        proposed_value="03" if people[0].ethnicity != "03" else "01",
        reason="婚姻登记材料记载的民族与人口库不一致，请核实。",
    )
    done["open"] = 1
    second = do_raise_objection(
        actor=raisers[0],
        registry="person",
        record=people[1],
        field="ethnicity",
        proposed_value="05" if people[1].ethnicity != "05" else "01",
        reason="低保申请材料中的民族与人口库不一致。",
    )
    authority = stewards_of([second.authority_id])
    if authority:
        do_explain_objection(
            actor=authority[0],
            objection=second,
            comment="经核对户籍档案，人口库记载无误；申请材料填写有误。",
        )
        done["resolved"] = 1
    done["numbers"] = [first.number, second.number]
    return done
