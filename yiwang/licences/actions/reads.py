"""Reads of licences that leave a trace (查看留痕): staff opening a licence with its holder
in clear, and downloading its file. The pages and the API both call these, so the same
read is logged once and in the same words."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from yiwang.core import audit
from yiwang.licences.models import Licence


def _record(actor, licence: Licence, action: str, purpose: str) -> None:
    audit.record(
        actor=actor,
        action=action,
        obj=licence,
        purpose=purpose,
        change={"identifier": licence.identifier},
    )


@transaction.atomic
def do_record_licence_view(*, actor, licence: Licence) -> None:
    """A staff member saw one licence with its holder in clear (查看电子证照)."""
    _record(actor, licence, "licences.licence.view", _("查看电子证照（含持证主体信息）"))


@transaction.atomic
def do_record_licence_download(*, actor, licence: Licence) -> None:
    """A staff member downloaded one licence's file (下载电子证照文件)."""
    _record(actor, licence, "licences.licence.download", _("下载电子证照文件"))
