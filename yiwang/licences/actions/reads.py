"""Reads of licences that leave a trace (查看留痕): staff opening a licence with its holder
in clear, and downloading its file. The pages and the API both call these, so the same
read is logged once and in the same words."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from yiwang.core import audit, datause
from yiwang.core.notify.text import Bilingual, bilingual
from yiwang.licences.models import Licence


def _type_name(licence: Licence) -> Bilingual:
    """The licence's type as 谁用了我的数据 names it, in both languages."""
    t = licence.licence_type
    return Bilingual(t.name, t.name_en or t.name)


def _record(actor, licence: Licence, action: str, purpose: Bilingual) -> None:
    audit.record(
        actor=actor,
        action=action,
        obj=licence,
        purpose=purpose.zh,
        change={"identifier": licence.identifier},
    )
    datause.note(
        subject=licence.holder_id,
        kind="licence_view",
        obj=licence,
        actor=actor,
        what=_type_name(licence),
        purpose=purpose,
    )


@transaction.atomic
def do_record_verification(*, actor, verdict) -> None:
    """证照核验 of a licence the platform issued (a QR scan, a pasted code, an uploaded
    file, the public API): filed under its holder (谁用了我的数据) with who checked when
    they were signed in. A forged or unknown licence is nobody's. No ledger entry: the
    check is public, answers from kept signatures, and costs one insert here."""
    licence = verdict.licence
    if licence is None or verdict.result == "forged":
        return
    signed_in = actor if getattr(actor, "is_authenticated", False) else None
    label = _("公众核验（未登录）")
    if signed_in is not None:
        label = getattr(signed_in, "enterprise_name", "") or signed_in.get_full_name() or label
    datause.note(
        subject=licence.holder_id,
        kind="licence",
        obj=licence,
        actor=signed_in,
        user_label=label,
        what=_type_name(licence),
        purpose=bilingual(lambda: _("核验电子证照真伪和状态")),
    )


@transaction.atomic
def do_record_licence_view(*, actor, licence: Licence) -> None:
    """A staff member saw one licence with its holder in clear (查看电子证照)."""
    _record(
        actor,
        licence,
        "licences.licence.view",
        bilingual(lambda: _("查看电子证照（含持证主体信息）")),
    )


@transaction.atomic
def do_record_licence_download(*, actor, licence: Licence) -> None:
    """A staff member downloaded one licence's file (下载电子证照文件)."""
    _record(actor, licence, "licences.licence.download", bilingual(lambda: _("下载电子证照文件")))
