"""Reads of the licences room shared by its pages and its API: how staff lists show a
holder (organisations in clear, persons masked), and 证照核验 of one request — the
per-address budget, the bounded upload, then the verification itself. They write nothing
to the ledger: a read that must be logged goes through ``licences.actions.reads``."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest
from django.utils.translation import gettext as _

from yiwang.core.masking import PERSONAL_KINDS, mask_value
from yiwang.core.ratelimit import charge
from yiwang.licences import verify as core_verify
from yiwang.licences.models import ENTITY_ID_TYPES, Licence


def holder_shown(licence: Licence, *, clear: bool = False) -> tuple[str, str]:
    """Holder name and id as staff see them: organisations in clear, persons masked
    unless ``clear`` (``access.may_see_holder``: the detail of a licence within the
    viewer's ``personal.unmask`` reach, the view logged)."""
    if clear or licence.holder_id_type in ENTITY_ID_TYPES:
        return licence.holder_name, licence.holder_id
    return mask_value("name", licence.holder_name), mask_value("id_number", licence.holder_id)


def field_kinds(licence: Licence) -> dict[str, str]:
    """The declared personal kind of each 照面信息 item of the licence's type (``type``
    in the catalogue: ``id_number``, ``name``, ``address`` …)."""
    return {
        f["key"]: f["type"]
        for f in licence.licence_type.fields or []
        if f.get("type") in PERSONAL_KINDS
    }


def data_shown(licence: Licence, *, clear: bool = False) -> dict:
    """The licence's 照面信息 as staff see it: for a person holder, items of a personal
    kind (the spouse's ID number on a 结婚证, a 居住证's address) masked unless ``clear``
    (the same rule as the holder, ``holder_shown``); an organisation's in clear."""
    if clear or licence.holder_id_type in ENTITY_ID_TYPES:
        return dict(licence.data)
    kinds = field_kinds(licence)
    return {k: mask_value(kinds.get(k), v) for k, v in licence.data.items()}


def data_rows(licence: Licence, *, clear: bool = False) -> list[tuple[str, object]]:
    """``data_shown`` as (label, value) rows in the order the licence holds them."""
    labels = licence.licence_type.field_labels()
    return [(labels.get(k, k), v) for k, v in data_shown(licence, clear=clear).items()]


class Refused(Exception):
    """An input refused before any verification (status + Chinese message)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status, self.message = status, message


def max_bytes() -> int:
    return int(settings.YIWANG["LICENCE_VERIFY_MAX_BYTES"])


def spend_budget(request: HttpRequest) -> None:
    """Count one verification against the caller's address; RateLimited over budget."""
    limit = int(settings.YIWANG["LICENCE_VERIFY_PER_MINUTE"])
    charge(
        "licence-verify",
        request,
        limit,
        _("核验过于频繁：每分钟最多 %(n)s 次，请稍后再试。") % {"n": limit},
    )


def read_upload(upload) -> bytes:
    """The uploaded file's bytes, refusing anything over the size bound (413)."""
    limit = max_bytes()
    if upload.size is not None and upload.size > limit:
        raise Refused(
            413, _("文件过大：核验上传的证照文件不能超过 %(n)s MB。") % {"n": limit // 1024**2}
        )
    data = upload.read(limit + 1)
    if len(data) > limit:
        raise Refused(
            413, _("文件过大：核验上传的证照文件不能超过 %(n)s MB。") % {"n": limit // 1024**2}
        )
    if not data:
        raise Refused(400, _("上传的文件是空的。"))
    return data


def run(request: HttpRequest, *, payload: str = "", upload=None) -> core_verify.Verdict:
    """Budget, then verify the file or the payload; BadPayload becomes Refused(400)."""
    spend_budget(request)
    try:
        if upload is not None:
            return core_verify.verify_pdf(read_upload(upload))
        return core_verify.verify_payload(payload)
    except core_verify.BadPayload as exc:
        raise Refused(400, exc.messages[0]) from None
