"""Reads of personal data that leave a trace (查看留痕): revealing a base-registry record in
clear for a stated purpose, and opening a 数据异议 whose values are personal. The pages
and the API both call these, so the same read is logged once and in the same words."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from yiwang.core import audit
from yiwang.core.masking import reveal_fields
from yiwang.data.models import DataObjection, RecordHistory
from yiwang.data.queries.registries import PERSONAL
from yiwang.data.registry import REGISTRIES
from yiwang.data.standards import display


@transaction.atomic
def do_reveal_record(*, actor, registry: str, record, purpose: str) -> dict[str, str]:
    """查看完整个人信息 of one registry record for a stated purpose: the clear value of
    every personal field (each through ``core.masking.reveal``, which refuses without
    ``personal.unmask`` or a purpose and logs the field), and one ledger entry when the
    record's history is shown unmasked too. Returns field → clear value, for
    ``queries.registries.detail``."""
    # Whose data it is: the resident of a 人口库 record, the legal representative of a
    # 法人库 one (their name and ID number are its personal values).
    subject = {"person": "id_number", "legal_entity": "legal_rep_id"}.get(registry, "")
    subject = getattr(record, subject, "") if subject else ""
    clear = {
        name: display(value)
        for name, value in reveal_fields(
            actor, record, list(PERSONAL.get(registry, {})), purpose, subject=subject
        ).items()
    }
    if RecordHistory.objects.filter(registry=registry, record_id=record.pk).exists():
        model = REGISTRIES[registry].model
        audit.record(
            actor=actor,
            action="data.registry.history_unmask",
            obj=(f"data.{model._meta.model_name}", record.pk),
            purpose=purpose,
        )
    return clear


@transaction.atomic
def do_record_objection_view(*, actor, objection: DataObjection) -> bool:
    """An objection's values are shown unmasked to those handling it; when they are
    personal that view goes to the audit ledger (数据异议核实). True when personal."""
    personal = objection.field in PERSONAL.get(objection.registry, {})
    if personal:
        audit.record(
            actor=actor,
            action="data.objection.view",
            obj=objection,
            purpose=_("数据异议核实"),
            change={"field": objection.field},
        )
    return personal
