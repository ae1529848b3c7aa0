"""一件事一次办 writes: one combined form (each field asked once, same-name fields shared,
same-name materials uploaded once) fans out to one application per item — each in its
own department and case — and the bundle is done when every part is done."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from yiwang.core import audit
from yiwang.core.access import require
from yiwang.core.numbering import next_number
from yiwang.services.actions.applications import (
    Applicant,
    Prepared,
    applicant_from_account,
    check_eligible,
    check_files,
    create_application,
    files_for,
)
from yiwang.services.actions.issuing import hand_over_registered
from yiwang.services.formdata import clean_form, merge_fields
from yiwang.services.materials import CheckedUpload, Need, resolve_materials
from yiwang.services.models import (
    Application,
    Bundle,
    BundleApplication,
    BundleItem,
    Material,
    ServiceItem,
)

BUNDLE_KINDS: dict[str, str] = {Bundle.Kind.LIFE: "person", Bundle.Kind.ENTERPRISE: "entity"}
STATUS_LABELS = {
    "open": gettext_lazy("办理中"),
    "partial": gettext_lazy("部分办结"),
    "completed": gettext_lazy("全部办结"),
    "refused": gettext_lazy("有不予办理"),
}
NOT_GRANTED = (Application.Outcome.REFUSED, Application.Outcome.NOT_ACCEPTED)


@transaction.atomic
def do_define_bundle(
    *,
    actor,
    code: str,
    name: str,
    kind: str,
    items: list[ServiceItem],
    description: str = "",
    published: bool = True,
) -> Bundle:
    """Define a 一件事 over published items, in the order its combined form asks them."""
    require(actor, "service.manage", message=_("只有事项管理人员可以定义一件事。"))
    if Bundle.objects.filter(code=code).exists():
        raise ValidationError({"code": _("编码 %s 已被使用。") % code}, code="duplicate")
    bundle = Bundle.objects.create(
        code=code, name=name, kind=kind, description=description, published=published
    )
    BundleItem.objects.bulk_create(
        BundleItem(bundle=bundle, item=item, position=n) for n, item in enumerate(items, start=1)
    )
    audit.record(
        actor=actor,
        action="services.bundle.define",
        obj=bundle,
        change={"code": code, "items": [i.code for i in items]},
    )
    return bundle


def bundle_items(bundle: Bundle) -> list[ServiceItem]:
    """The bundle's items in the order the combined form asks for them."""
    return [
        bi.item
        for bi in bundle.parts.select_related("item__department", "item__division").order_by(
            "position", "id"
        )
    ]


def combined_fields(bundle: Bundle, items: list[ServiceItem] | None = None) -> list[dict]:
    """The combined form: the union of the items' fields, each name asked once."""
    items = items if items is not None else bundle_items(bundle)
    return merge_fields([item.form_fields for item in items])


@dataclass
class MaterialGroup:
    """Materials of the same name across the bundle's items, supplied once."""

    key: str
    name: str
    needs: list[Need] = field(default_factory=list)

    @property
    def open_needs(self) -> list[Need]:
        return [n for n in self.needs if not n.satisfied]

    @property
    def satisfied(self) -> bool:
        return not self.open_needs

    @property
    def required(self) -> bool:
        return any(n.spec.required for n in self.open_needs)

    @property
    def labels(self) -> list[str]:
        return sorted({n.label for n in self.needs if n.satisfied})


def founding_item(items: list[ServiceItem]) -> ServiceItem | None:
    """The part of a 一件事 that registers a new entity (开办: 个体工商户设立登记), if any."""
    return next((i for i in items if i.registers_entity), None)


def applicant_kind(bundle: Bundle, items: list[ServiceItem]) -> str | None:
    """Who applies for a 一件事: when a part registers a new entity, its founder — a
    person — who applies for the other parts on that entity's behalf; otherwise as the
    bundle's kind says (个人一件事: a person, 企业一件事: an organisation)."""
    if founding_item(items) is not None:
        return "person"
    return BUNDLE_KINDS.get(bundle.kind)


def wrong_kind_message(bundle: Bundle, items: list[ServiceItem], kind: str) -> str:
    """Why an applicant of ``kind`` cannot apply for the bundle ("" when they can)."""
    wanted = applicant_kind(bundle, items)
    if not wanted or wanted == kind:
        return ""
    founding = founding_item(items)
    if founding is not None:
        return _("「%(name)s」由经营者本人以个人身份办理，随「%(item)s」一并设立新主体。") % {
            "name": bundle.name,
            "item": founding.name,
        }
    if wanted == "person":
        return _("「%s」面向个人办理。") % bundle.name
    return _("「%s」面向企业办理。") % bundle.name


def _promised_by_registration(items: list[ServiceItem], per_item: dict[int, list[Need]]):
    """The licence a 设立登记 part issues (营业执照) stands in for the same licence the
    other parts ask for: it is not asked for, and each part gets it on registration."""
    founding = founding_item(items)
    if founding is None or not founding.licence_type_code:
        return
    for item in items:
        if item.pk == founding.pk:
            continue
        for need in per_item[item.pk]:
            if not need.satisfied and need.spec.licence_type_code == founding.licence_type_code:
                need.source = Material.Source.LICENCE
                need.label = _("由本次一并办理的「%s」核发，免提交") % founding.name


def material_groups(
    items: list[ServiceItem], applicant: Applicant | None
) -> tuple[list[MaterialGroup], dict[int, list[Need]]]:
    """The bundle's materials grouped by name (免证 resolved for the applicant when
    known, and a licence one part issues to the others promised), and each item's own
    needs."""
    groups: dict[str, MaterialGroup] = {}
    per_item: dict[int, list[Need]] = {}
    for item in items:
        if applicant is not None:
            needs = resolve_materials(
                item, id_type=applicant.id_type, id_number=applicant.id_number
            )
        else:
            needs = [Need(spec) for spec in item.materials.all()]
        per_item[item.pk] = needs
    _promised_by_registration(items, per_item)
    for item in items:
        needs = per_item[item.pk]
        for need in needs:
            group = groups.get(need.spec.name)
            if group is None:
                group = groups[need.spec.name] = MaterialGroup(need.key, need.spec.name)
            group.needs.append(need)
    return list(groups.values()), per_item


def _group_uploads(groups: list[MaterialGroup], uploads: Mapping | None) -> dict:
    """Map each group's upload onto every item material of that name (by field key)."""
    out: dict[str, list] = {}
    for group in groups:
        files = files_for(uploads, group.key, group.needs[0].spec.pk)
        if files:
            for need in group.needs:
                out[need.key] = files
    return out


@transaction.atomic
def do_apply_bundle(
    *,
    actor,
    bundle: Bundle,
    form_data: Mapping | None,
    uploads: Mapping | None,
    channel: str = "online",
) -> BundleApplication:
    """一件事一次办: check the combined form and materials for every item (nothing is
    saved when anything is wrong), then submit one application per item."""
    applicant, items = _applicant_and_items(bundle, actor, channel)
    form, errors = clean_form(combined_fields(bundle, items), form_data)
    prepared = _prepare_parts(items, applicant, form, uploads, errors)
    if errors:
        raise ValidationError(errors)
    submission = BundleApplication.objects.create(
        number=next_number(items[0].division_id[:6], "YJ"),
        bundle=bundle,
        applicant=actor,
        form_data=form,
        submitted_at=timezone.now(),
    )
    stored: dict[str, Material] = {}
    parts = [
        create_application(
            p, actor=actor, channel=channel, bundle_application=submission, stored=stored
        )
        for p in prepared
    ]
    hand_over_registered(actor, parts)
    audit.record(
        actor=actor,
        action="services.bundle.apply",
        obj=submission,
        change={
            "number": submission.number,
            "bundle": bundle.code,
            "parts": [a.number for a in parts],
        },
    )
    do_refresh_bundle(actor=actor, submission=submission)
    submission.refresh_from_db()
    return submission


def _applicant_and_items(bundle: Bundle, actor, channel: str) -> tuple[Applicant, list]:
    """The applicant behind ``actor`` and the items of a published 一件事 they may apply
    for on this channel: they must be the kind it is for (``applicant_kind``), and every
    item must be open to them — or, beside a 设立登记, to the entity being registered."""
    if not bundle.published:
        raise ValidationError(_("「%s」未发布。") % bundle.name, code="not_eligible")
    applicant = applicant_from_account(actor)
    items = bundle_items(bundle)
    if not items:
        raise ValidationError(_("「%s」还没有事项。") % bundle.name, code="not_eligible")
    refusal = wrong_kind_message(bundle, items, applicant.kind)
    if refusal:
        raise ValidationError(refusal, code="wrong_kind")
    founding = founding_item(items)
    for item in items:
        # Beside a 设立登记, the other parts are applied for on the new entity's behalf.
        on_behalf = founding is not None and item.pk != founding.pk
        check_eligible(item, "entity" if on_behalf else applicant.kind, channel)
    return applicant, items


def _prepare_parts(
    items: list, applicant: Applicant, form: dict, uploads: Mapping | None, errors: dict
) -> list[Prepared]:
    """One prepared application per item, from the combined form and the shared
    materials (a material several items need is uploaded once); problems are added to
    ``errors`` under the combined form's field or material group."""
    groups, per_item = material_groups(items, applicant)
    mapped = _group_uploads(groups, uploads)
    checked: dict[str, CheckedUpload] = {}
    prepared: list[Prepared] = []
    for item in items:
        item_form, item_errors = clean_form(item.form_fields, form)
        for name, messages in item_errors.items():
            errors.setdefault(name, messages)
        item_errors = {}
        files = check_files(per_item[item.pk], mapped, errors=item_errors, checked=checked)
        for key, messages in item_errors.items():
            group = next(g for g in groups if any(n.key == key for n in g.needs))
            errors.setdefault(group.key, messages)
        prepared.append(Prepared(item, applicant, item_form, per_item[item.pk], files))
    return prepared


def bundle_status(submission: BundleApplication, parts: list | None = None) -> dict:
    """Combined status derived from the parts: 办理中 / 部分办结 / 全部办结 / 有不予办理."""
    parts = parts if parts is not None else list(submission.parts.all())
    outcomes = [p.outcome for p in parts]
    done = sum(1 for o in outcomes if o)
    if any(o in NOT_GRANTED for o in outcomes):
        code = "refused"
    elif parts and done == len(parts):
        code = "completed"
    elif done:
        code = "partial"
    else:
        code = "open"
    return {"code": code, "label": str(STATUS_LABELS[code]), "done": done, "total": len(parts)}


@transaction.atomic
def do_refresh_bundle(*, actor, submission: BundleApplication) -> BundleApplication:
    """Set the 一件事's completion time once every part is done (row locked, so two
    parts finishing together still complete it once)."""
    row = BundleApplication.objects.select_for_update().get(pk=submission.pk)
    if row.completed_at is not None:
        return row
    parts = list(row.parts.all())
    if not parts or any(not p.outcome for p in parts):
        return row
    row.completed_at = max(p.completed_at or timezone.now() for p in parts)
    row.save(update_fields=["completed_at"])
    audit.record(
        actor=actor,
        action="services.bundle.complete",
        obj=row,
        change={"number": row.number, "status": bundle_status(row, parts)["code"]},
    )
    submission.completed_at = row.completed_at
    return row
