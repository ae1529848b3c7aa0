"""签发 on approval: who holds an item's e-licence and what its face (照面信息) says.

- **The holder** is the applicant. For a 设立登记 (``ServiceItem.registers_entity``) it is
  the market entity the registration creates: approving gives it its 统一社会信用代码
  (GB 32100: the registration's type code — 92 for a 个体工商户 — the division, a body
  from a sequence, the check character), records it in the 法人库 with the applicant as
  its 经营者 (法定代表人), tells the applicant the code, and issues the licence to the
  entity — a 营业执照 belongs to the 个体工商户, not to the person who runs it. The other
  open parts of the same 一件事 (开办餐饮店: the 食品经营许可 and 排水许可 applied for
  together) were applied for on the new entity's behalf and become its applications.
- **A licence that cannot be issued** — the holder is the wrong kind (持证主体类别), or
  the face cannot be filled — is refused as one message about the licence, never as the
  licence record's own fields, which are not on the approver's page.
- **The face**: each field of the licence type from the 申请表 (a choice shows its
  label), else the holder's 法人库 record, else — for a 变更, 延续 or 补发 — the licence
  it replaces, else the decision's date for dates the decision makes (登记日期,
  成立日期)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from yiwang.core import audit
from yiwang.core.actions.notify import Notice, send_or_keep
from yiwang.core.errors import Conflict
from yiwang.core.fields import index_for
from yiwang.core.identifiers import USCC_TYPES, make_credit_code
from yiwang.core.models import User
from yiwang.core.notify.text import bilingual
from yiwang.core.numbering import next_value
from yiwang.services.materials import registry_record
from yiwang.services.models import Application, HolderIdType, Material, ServiceItem
from yiwang.services.notices import channels_for

# 法人库 fields that fill a licence's face the form did not (免填).
FROM_ENTITY = {
    "legal_rep": "legal_rep_name",
    "address": "address",
    "established": "established",
    "scope": "business_scope",
    "registered_capital": "registered_capital",
    "entity_type": "entity_type",
}
# Licence dates the decision itself makes: the day of approval.
DECISION_DATES = frozenset({"registered_on", "established"})
# Kinds of 业务办理项 that replace a licence the holder has; its face carries over.
REPLACING = frozenset(
    {ServiceItem.Handling.CHANGE, ServiceItem.Handling.RENEWAL, ServiceItem.Handling.OTHER}
)
# The 设立登记 form's questions that describe the new entity.
NAME_FIELDS = ("trade_name", "entity_name")
REGISTRATION_FIELDS = {"address": "address", "business_scope": "scope"}
CAPITAL_FIELD = "capital"
# Which holders a licence type's 持证主体类别 takes.
HOLDS = {"person": frozenset({"person"}), "entity": frozenset({"entity"})}


@dataclass(frozen=True)
class Holder:
    """Who the licence is issued to, and what the 法人库 says of them (licence fields)."""

    name: str
    id_number: str
    id_type: str
    facts: Mapping[str, str] = field(default_factory=dict)
    registered: bool = False

    @property
    def kind(self) -> str:
        return "entity" if self.id_type == HolderIdType.CREDIT_CODE else "person"


def _text(value: Any) -> str:
    """A 法人库 value as a licence shows it (dates ISO, capital in 万元)."""
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return f"{value.normalize():f}万元"
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def entity_facts(values: Mapping[str, Any]) -> dict[str, str]:
    """Licence fields from an entity's 法人库 values (registry field → value): its type
    in words (个体工商户, 企业 …), 法定代表人, 住所, 成立日期, 经营范围, 注册资本."""
    out = {}
    for key, name in FROM_ENTITY.items():
        value = values.get(name)
        if name == "entity_type" and value:
            value = USCC_TYPES.get(str(value)[:2], value)
        text = _text(value)
        if text:
            out[key] = text
    return out


def _record_values(record) -> dict[str, Any]:
    return {name: getattr(record, name, None) for name in FROM_ENTITY.values()}


def _bundle_founder(application: Application) -> Application | None:
    """The part of the application's 一件事 that registers a new entity, if any."""
    if application.bundle_application_id is None or application.item.registers_entity:
        return None
    return (
        Application.objects.select_related("item")
        .filter(bundle_application_id=application.bundle_application_id)
        .exclude(item__registers_entity="")
        .exclude(pk=application.pk)
        .first()
    )


def _wrong_holder(application: Application, licence_type) -> Conflict:
    """The refusal when the applicant cannot hold the licence: waiting for the
    registration of the 一件事 it belongs to, or simply the wrong kind of applicant."""
    founder = _bundle_founder(application)
    if founder is not None and not founder.outcome:
        return Conflict(
            _("「%(licence)s」核发给本一件事中新设立的主体，请在「%(item)s」办结后再准予。")
            % {"licence": licence_type.name, "item": founder.item.name},
            code="awaiting_registration",
        )
    return Conflict(
        _("「%(licence)s」只能由%(holder)s持有，本办件的申请人不能领取，不能准予发证。")
        % {"licence": licence_type.name, "holder": licence_type.get_holder_kind_display()},
        code="holder_kind",
    )


def licence_holder(
    actor, application: Application, licence_type, notices: list | None = None
) -> Holder:
    """The holder of the licence ``application`` is approved with: the applicant (their
    法人库 facts when an organisation), or the entity a 设立登记 registers now (the
    applicant's message kept in ``notices`` when given). An applicant the licence type
    cannot take is a ``Conflict`` in words."""
    if application.item.registers_entity:
        return register_entity(actor, application, licence_type, notices)
    holder = Holder(
        application.applicant_name,
        application.applicant_id_number,
        application.applicant_id_type,
    )
    if licence_type.holder_kind in HOLDS and holder.kind not in HOLDS[licence_type.holder_kind]:
        raise _wrong_holder(application, licence_type)
    if holder.kind == "entity":
        record = registry_record("legal_entity", holder.id_type, holder.id_number)
        if record is not None:
            holder = Holder(
                holder.name, holder.id_number, holder.id_type, entity_facts(_record_values(record))
            )
    return holder


def new_credit_code(prefix: str, region: str) -> str:
    """A 统一社会信用代码 no entity has yet: type code, 6-digit division, a body from this
    division's sequence, check character (GB 32100)."""
    from yiwang.data.registry import REGISTRIES

    while True:
        seq = next_value(f"USCC-{prefix}-{region}")
        code = make_credit_code(prefix, region, f"{seq % 10**8:08d}")
        taken = (
            REGISTRIES["legal_entity"].get(code) is not None
            or User.objects.filter(credit_code=code).exists()
        )
        if not taken:
            return code


def _capital(form: Mapping[str, Any]) -> Decimal | None:
    try:
        return Decimal(str(form[CAPITAL_FIELD]))
    except (KeyError, InvalidOperation, ValueError):
        return None


def register_entity(
    actor, application: Application, licence_type, notices: list | None = None
) -> Holder:
    """设立登记: the new entity gets its credit code and enters the 法人库 (the handling
    department as its source, the applicant as 经营者 / 法定代表人), and the applicant is
    told its code. Returns it as the licence's holder."""
    from yiwang.data.actions.registration import do_record_new_entity

    item = application.item
    form = application.form_data or {}
    code = new_credit_code(item.registers_entity, item.division_id[:6])
    name = next((str(form[k]) for k in NAME_FIELDS if form.get(k)), application.applicant_name)
    person = application.applicant_id_type == HolderIdType.ID_CARD
    values: dict[str, Any] = {
        "credit_code": code,
        "name": name,
        "entity_type": item.registers_entity,
        "legal_rep_name": application.applicant_name,
        "legal_rep_id": application.applicant_id_number if person else "",
        "registered_capital": _capital(form),
        "established": timezone.localdate(),
        "division": item.division_id,
        "status": "存续",
        **{k: str(form.get(v) or "") for k, v in REGISTRATION_FIELDS.items()},
    }
    do_record_new_entity(actor=actor, department=application.department, row=values)
    audit.record(
        actor=actor,
        action="services.application.register_entity",
        obj=application,
        change={"number": application.number, "credit_code": code, "name": name},
    )
    _tell_registered(actor, application, name, code, licence_type, notices)
    return Holder(name, code, HolderIdType.CREDIT_CODE, entity_facts(values), registered=True)


def _tell_registered(
    actor,
    application: Application,
    name: str,
    code: str,
    licence_type: Any,
    notices: list | None = None,
) -> None:
    """The applicant learns the new entity's code and where its licence is (the licence
    type named in each reader's language)."""
    if application.applicant_id is None:
        return
    try:
        url = reverse("services:my-application", args=[application.number])
    except NoReverseMatch:
        url = ""
    send_or_keep(
        notices,
        Notice(
            actor,
            application.applicant,
            bilingual(lambda: _("「%s」已登记") % name),
            bilingual(
                lambda: (
                    _(
                        "统一社会信用代码 %(code)s。%(licence)s已核发给「%(name)s」：以该代码注册企业"
                        "账号、完成法定代表人核验后，可在证照夹查看和下载。"
                    )
                    % {"code": code, "name": name, "licence": licence_type.display_name}
                )
            ),
            url,
            channels_for(application.applicant, notices),
        ),
    )


def _choice_label(item: ServiceItem, key: str, value: Any) -> Any:
    """A 下拉选择 answer as its label (餐饮服务经营者, not catering)."""
    for f in item.form_fields or []:
        if f.get("name") == key and f.get("type") == "select":
            for choice in f.get("choices") or []:
                if str(choice[0]) == str(value):
                    return choice[1]
    return value


def replaced_face(application: Application, licence_type, holder: Holder) -> dict[str, Any]:
    """The face of the licence a 变更, 延续 or 补发 replaces (the holder's valid one of the
    type), or nothing."""
    from yiwang.licences.public import find_valid_licence

    if application.item.handling not in REPLACING:
        return {}
    old = find_valid_licence(holder_id=holder.id_number, type_code=licence_type.slug)
    return dict(old.data) if old is not None else {}


def licence_data(application: Application, licence_type, holder: Holder) -> dict[str, str]:
    """照面信息 for the licence (see the module doc for where each value comes from)."""
    form = application.form_data or {}
    previous = replaced_face(application, licence_type, holder)
    today = timezone.localdate().isoformat()
    data: dict[str, str] = {}
    for spec in licence_type.fields or []:
        key = spec.get("key")
        if not key:
            continue
        value = _choice_label(application.item, key, form.get(key))
        for source in (holder.facts, previous):
            if value in (None, ""):
                value = source.get(key)
        if value in (None, "") and key in DECISION_DATES:
            value = today
        if value in (None, ""):
            continue
        if isinstance(value, bool):
            value = _("是") if value else _("否")
        data[key] = str(value)
    return data


def not_issued(licence_type, exc: ValidationError) -> Conflict:
    """A licence the licences room refused, as one message about the licence."""
    reasons = "；".join(str(m).rstrip("。") for m in exc.messages)
    return Conflict(
        _("未能签发「%(licence)s」：%(reasons)s。请核对申请表，或请证照管理部门核对证照目录。")
        % {"licence": licence_type.name, "reasons": reasons},
        code="licence_not_issued",
    )


def hand_over_parts(actor, founding: Application, holder: Holder, identifier: str) -> int:
    """开办 一件事: the other open parts the founder applied for with a 设立登记 become the
    new entity's applications (申请人 = the entity; the founder's account stays linked),
    and the licence the registration issued stands in for the material it promised them.
    Returns how many parts were handed over."""
    if founding.bundle_application_id is None:
        return 0
    parts = (
        Application.objects.select_for_update()
        .select_related("item")
        .filter(bundle_application_id=founding.bundle_application_id, outcome="")
        .exclude(pk=founding.pk)
        .filter(
            applicant_id_type=founding.applicant_id_type,
            applicant_id_index=index_for(
                Application, "applicant_id_number", founding.applicant_id_number
            ),
        )
    )
    count = 0
    for part in parts:
        part.applicant_name = holder.name
        part.applicant_id_type = holder.id_type
        part.applicant_id_number = holder.id_number
        part.save(
            update_fields=[
                "applicant_name",
                "applicant_id_type",
                "applicant_id_number",
                "applicant_id_index",
            ]
        )
        Material.objects.filter(
            application=part,
            source=Material.Source.LICENCE,
            reference="",
            spec__licence_type_code=founding.item.licence_type_code,
        ).update(reference=identifier)
        audit.record(
            actor=actor,
            action="services.application.hand_over",
            obj=part,
            change={"number": part.number, "to": holder.id_number, "registration": founding.number},
        )
        count += 1
    return count


def hand_over_registered(actor, parts: list[Application]) -> int:
    """After a 一件事 is submitted: a part that registered an entity at once (秒批) hands
    the other parts over to it (``hand_over_parts``)."""
    from yiwang.licences.public import licence_by_identifier

    count = 0
    for founding in parts:
        if not (founding.item.registers_entity and founding.licence_identifier):
            continue
        licence = licence_by_identifier(founding.licence_identifier)
        if licence is None:
            continue
        holder = Holder(licence.holder_name, licence.holder_id, HolderIdType.CREDIT_CODE)
        count += hand_over_parts(actor, founding, holder, licence.identifier)
    return count
