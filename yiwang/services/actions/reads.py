"""Reads that must be logged: a window clerk looking up what the platform knows of the
applicant at the counter to fill in their form (一窗受理 免填写). The applicant's own
form reads their own records unlogged (``prefill``); a clerk reading someone else's
人口库 or 法人库 record or e-licences is a use of that person's data, so it is filed under
them (谁用了我的数据) and in the ledger, with the item it was for."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from yiwang.core import audit, datause
from yiwang.core.models import DataUse
from yiwang.services import access, prefill
from yiwang.services.actions.applications import window_applicant
from yiwang.services.materials import REGISTRY_LABELS
from yiwang.services.models import ServiceItem


@transaction.atomic
def do_window_prefill(
    *,
    actor,
    item: ServiceItem,
    applicant_name: str,
    applicant_id_type: str,
    applicant_id_number: str,
    phone: str,
) -> prefill.WindowAnswers:
    """免填写 for 一窗受理: what the platform knows of the applicant the clerk identified
    (证件类型 and 号码; the name may wait) for ``item``'s form — from their account when
    they have one, the base registries and their e-licences. Refused: not a window clerk
    (``Forbidden``), an identifier that does not check out (``Invalid`` per field). Each
    registry and licence read that filled an answer is a 用数记录 under the applicant."""
    access.require_window_clerk(actor)
    errors: dict[str, list[str]] = {}
    applicant = window_applicant(
        applicant_name,
        applicant_id_type,
        applicant_id_number,
        phone,
        errors,
        name_required=False,
    )
    if applicant is None:
        raise ValidationError(errors)
    found = prefill.window_answers(applicant, item, account=applicant.user)
    purpose = _("一窗受理“%(item)s”，为申请人预先填写申请表（免填写）") % {"item": item.name}
    for origin in sorted(found.used):
        is_licence = origin == "licence"
        datause.note(
            subject=applicant.id_number,
            kind=DataUse.Kind.LICENCE_CHECK if is_licence else DataUse.Kind.REGISTRY_CHECK,
            obj=item,
            actor=actor,
            what=_("电子证照") if is_licence else str(REGISTRY_LABELS.get(origin, origin)),
            purpose=purpose,
        )
    audit.record(
        actor=actor,
        action="services.window.prefill",
        obj=item,
        purpose=purpose,
        change={
            "fields": sorted(found.known),
            "read": sorted(found.used),
            "account": applicant.user is not None,
        },
    )
    return found
