"""证照核验 (public, read-only): by QR payload / identifier + token, or by the PDF file.

The answer is one of valid / suspended / revoked / cancelled / expired / invalid /
forged. "forged" covers an unknown identifier, a wrong token, a file whose SM3 differs
from the issued one (one changed byte is enough), a record whose content no longer
matches what was signed, a seal not made by the platform, or a bad SM2 signature.
"""

from __future__ import annotations

import copy
import datetime as dt
import functools
import hmac
import json
import re
import time
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from yiwang.core import crypto
from yiwang.core.identifiers import validate_licence_identifier
from yiwang.core.masking import mask_name
from yiwang.licences import sealing
from yiwang.licences.models import ENTITY_ID_TYPES, Licence, Status

PAYLOAD_MAX = 1000
ID_IN_TEXT = re.compile(
    rb"1\.2\.156\.3005\.2\.[0-9A-Z]{21}\.[0-9A-Z]{1,32}\.[0-9A-Z]{1,40}\.\d{3}\.[0-9A-Z]"
)
TOKEN_RE = re.compile(r"^[0-9A-F]{16}$")


@dataclass
class Verdict:
    """One verification answer; ``licence`` is set when the identifier is known."""

    result: str
    message: str
    licence: Licence | None = None
    checks: dict[str, bool] = field(default_factory=dict)
    show_holder: bool = True

    @property
    def ok(self) -> bool:
        return self.result == "valid"

    def public(self) -> dict:
        """What anyone may see: status, type, number, issuer, dates, masked holder."""
        out: dict = {"result": self.result, "message": self.message, "checks": self.checks}
        lic = self.licence
        if lic is not None and self.result != "forged":
            out["licence"] = {
                "identifier": lic.identifier,
                "type": lic.licence_type.name,
                "number": lic.number,
                "holder": _holder_shown(lic) if self.show_holder else "",
                "issuer": lic.issuer_name,
                "issued_on": lic.issued_on.isoformat(),
                "valid_from": lic.valid_from.isoformat(),
                "valid_until": lic.valid_until.isoformat() if lic.valid_until else None,
                "status": lic.status,
                "status_name": str(lic.get_status_display()),
                "status_reason": lic.status_reason if lic.status != Status.VALID else "",
                "seal": lic.seal.name,
                "seal_code": lic.seal.code,
                "signed_at": lic.signed_at.isoformat(),
            }
        return out


def _holder_shown(licence: Licence) -> str:
    """An organisation's name is public; a person's is masked (张*)."""
    if licence.holder_id_type in ENTITY_ID_TYPES:
        return licence.holder_name
    return mask_name(licence.holder_name)


def forged(message: str, checks: dict[str, bool] | None = None, licence=None) -> Verdict:
    return Verdict("forged", message, licence, checks or {})


class BadPayload(ValidationError):
    """The input is not something to verify at all (→ 4xx, not "forged")."""


def parse_payload(text: str) -> tuple[str, str]:
    """(identifier, token) from a scanned QR payload: the verification URL, or
    ``identifier token``, or an identifier alone (token empty). Raises BadPayload."""
    text = (text or "").strip()
    if not text:
        raise BadPayload(_("请粘贴二维码内容或输入电子证照标识。"), code="empty")
    if len(text) > PAYLOAD_MAX:
        raise BadPayload(
            _("二维码内容过长（不超过 %(n)s 个字符）。") % {"n": PAYLOAD_MAX}, code="too_long"
        )
    identifier, token = "", ""
    if "://" in text or text.startswith("/") or "?" in text:
        query = parse_qs(urlsplit(text).query)
        identifier = (query.get("id") or [""])[0]
        token = (query.get("t") or [""])[0]
    else:
        parts = text.replace(",", " ").split()
        identifier = parts[0] if parts else ""
        token = parts[1] if len(parts) > 1 else ""
    if not identifier:
        raise BadPayload(_("未能从二维码内容中识别出电子证照标识。"), code="no_identifier")
    try:
        identifier = validate_licence_identifier(identifier)["identifier"]
    except ValidationError as exc:
        raise BadPayload(exc.messages[0], code="bad_identifier") from None
    token = token.strip().upper()
    if token and not TOKEN_RE.match(token):
        raise BadPayload(_("核验码格式不正确。"), code="bad_token")
    return identifier, token


def status_verdict(licence: Licence, checks: dict[str, bool], on: dt.date | None = None) -> Verdict:
    """Signature checks passed: answer by the licence's status and validity."""
    on = on or timezone.localdate()
    name = licence.licence_type.name
    s = licence.status
    if s == Status.VALID and licence.valid_until is not None and licence.valid_until < on:
        s = Status.EXPIRED
    if s == Status.VALID:
        if licence.valid_from > on:
            return Verdict("invalid", _("该%(name)s尚未生效。") % {"name": name}, licence, checks)
        return Verdict(
            "valid", _("核验通过：该%(name)s真实有效。") % {"name": name}, licence, checks
        )
    messages: dict[str, tuple[str, str]] = {
        Status.SUSPENDED: ("suspended", _("该%(name)s真实，但已被暂扣，暂不能使用。")),
        Status.REVOKED: ("revoked", _("该%(name)s真实，但已被撤销，不再有效。")),
        Status.WITHDRAWN: ("revoked", _("该%(name)s真实，但已被吊销，不再有效。")),
        Status.CANCELLED: ("cancelled", _("该%(name)s真实，但已被注销，不再有效。")),
        Status.EXPIRED: ("expired", _("该%(name)s真实，但已超过有效期，不再有效。")),
    }
    result, message = messages.get(s, ("invalid", _("该%(name)s真实，但当前状态不是有效。")))
    return Verdict(result, message % {"name": name}, licence, checks)


def check_signature(licence: Licence, pdf_bytes: bytes) -> dict[str, bool]:
    """The full cryptographic path: SM3 of the document against the signed digest, the
    record's content digest, the seal data signed by the platform (seal maker), and the
    seal's SM2 signature over the sign data."""
    from yiwang.licences.actions.licences import content_digest

    seal = licence.seal
    try:
        signed = json.loads(licence.sign_data)
        doc, seal_ref = signed["document"], signed["seal"]
    except (ValueError, TypeError, KeyError):
        signed, doc, seal_ref = {}, {}, {}
    digest = crypto.sm3_hex(pdf_bytes)
    checks = {
        "document_digest": hmac.compare_digest(digest, licence.pdf_digest)
        and doc.get("sm3") == digest
        and doc.get("identifier") == licence.identifier,
        "content_digest": signed.get("content_sm3") == content_digest(licence),
        "seal_data": seal_ref.get("code") == seal.code
        and seal_ref.get("sm3") == crypto.sm3_hex(seal.seal_data.encode())
        and sealing.maker_signature_ok(seal.seal_data, seal.maker_signature),
    }
    signature = sealing.unb64(licence.signature)
    checks["signature"] = (
        signature is not None
        and bool(signature)
        and sealing.seal_verify(seal.sm2_public_pem, signature, licence.sign_data.encode())
    )
    return checks


def _verifiable():
    """Licences with what verification needs in one query: no ordering, and the seal's
    image and (encrypted) private key left out."""
    return (
        Licence.objects.select_related("licence_type", "seal")
        .defer("seal__image_svg", "seal__sm2_private_enc")
        .order_by()
    )


# --- the state read on every verification, and the checks kept per process ---

# What every verification reads afresh: plain columns, no joins, nothing to decrypt.
# ``status`` and the validity decide the answer; the rest names the signed state.
STATE = (
    "pk",
    "identifier",
    "token",
    "status",
    "status_reason",
    "valid_from",
    "valid_until",
    "pdf_digest",
    "signature",
    "seal_id",
)


@dataclass(frozen=True)
class State:
    """A licence's row as read for one verification (``STATE``)."""

    pk: int
    identifier: str
    token: str
    status: str
    status_reason: str
    valid_from: dt.date
    valid_until: dt.date | None
    pdf_digest: str
    signature: str
    seal_id: int

    @property
    def signed(self) -> tuple:
        """What the cryptographic checks are kept under: the licence, its signature, the
        document's digest and the seal."""
        return (self.pk, self.identifier, self.signature, self.pdf_digest, self.seal_id)


@functools.cache
def _state_query():
    return Licence.objects.values_list(*STATE).order_by()


def _state(**where) -> State | None:
    row = next(iter(_state_query().filter(**where)[:1]), None)
    return State(*row) if row is not None else None


@dataclass(frozen=True)
class _Checked:
    licence: Licence  # with type and seal, as loaded when checked
    checks: dict[str, bool]
    born: float


_CHECKED: dict[tuple, _Checked] = {}
_CHECKED_MAX = 10_000


def cache_seconds() -> float:
    """How long the checks of one signed state are kept (``LICENCE_VERIFY_CACHE_SECONDS``;
    0: every verification re-checks everything)."""
    return float(settings.YIWANG.get("LICENCE_VERIFY_CACHE_SECONDS", 60))


def forget_checks(*args, **kwargs) -> None:
    """A licence or seal row was written in this process: check everything afresh (the
    receivers and querysets of ``licences.models`` call this)."""
    _CHECKED.clear()


def _checked(state: State, pdf_bytes: bytes | None) -> _Checked:
    """The full checks (``check_signature``) of the licence in ``state``, kept per process
    under its signed state (``State.signed``: a re-signed licence, another file or seal is
    checked again) for ``cache_seconds``. ``pdf_bytes`` is the uploaded file (its SM3 is
    the stored digest, so its checks are those of the stored file) or None for the stored
    one."""
    key = (*state.signed, pdf_bytes is None)
    kept = _CHECKED.get(key)
    if kept is not None and time.monotonic() - kept.born < cache_seconds():
        return kept
    licence = _verifiable().get(pk=state.pk)
    checks = check_signature(licence, _stored_pdf(licence) if pdf_bytes is None else pdf_bytes)
    kept = _Checked(licence, checks, time.monotonic())
    if cache_seconds() > 0 and all(checks.values()):
        if len(_CHECKED) >= _CHECKED_MAX:
            _CHECKED.clear()
        _CHECKED[key] = kept
    return kept


def _as_now(licence: Licence, state: State) -> Licence:
    """The kept licence with its status and validity as just read (a copy per request)."""
    fresh = copy.copy(licence)
    fresh.status, fresh.status_reason = state.status, state.status_reason
    fresh.valid_from, fresh.valid_until = state.valid_from, state.valid_until
    return fresh


def _load(identifier: str) -> Licence | None:
    return next(iter(_verifiable().filter(identifier=identifier)[:1]), None)


def _stored_pdf(licence: Licence) -> bytes:
    try:
        with licence.pdf.open("rb") as fh:
            return fh.read()
    except (OSError, ValueError):
        return b""


def verify_identifier(identifier: str, token: str = "", on: dt.date | None = None) -> Verdict:
    """Verify by identifier (+ the QR token). The status and validity are read afresh
    every time (a revoked licence answers "revoked" at once, in every process); the stored
    file, the record and the signatures are checked in full when first seen and again
    whenever the signed state changes or the checks are older than ``cache_seconds``, so
    a tampered store is caught as well."""
    state = _state(identifier=identifier)
    if state is None:
        return forged(_("平台未签发过此电子证照标识，该证照可能是伪造的。"))
    if token and not hmac.compare_digest(token, state.token):
        return forged(_("核验码与该电子证照不符，该二维码可能是伪造的。"), {"token": False})
    kept = _checked(state, None)
    checks = {"token": True, **kept.checks} if token else dict(kept.checks)
    if not all(checks.values()):
        return forged(_("电子证照的签名校验未通过，数据可能被篡改。"), checks)
    verdict = status_verdict(_as_now(kept.licence, state), checks, on)
    if not token:
        # Identifier alone: the status, but no holder details.
        verdict.message += _("（未提供核验码，仅显示证照状态。）")
    return verdict


def verify_payload(text: str, on: dt.date | None = None) -> Verdict:
    identifier, token = parse_payload(text)
    verdict = verify_identifier(identifier, token, on)
    verdict.show_holder = bool(token)
    return verdict


def verify_pdf(pdf_bytes: bytes, on: dt.date | None = None) -> Verdict:
    """Verify an uploaded licence file: found by its SM3 (an exact copy of an issued
    file), else by the identifier printed in it — then any difference is tampering."""
    if not pdf_bytes.startswith(b"%PDF-"):
        raise BadPayload(_("上传的文件不是 PDF 文件。"), code="not_pdf")
    digest = crypto.sm3_hex(pdf_bytes)
    state = _state(pdf_digest=digest)
    if state is None:
        found = ID_IN_TEXT.search(pdf_bytes)
        known = _load(found.group().decode()) if found else None
        if known is not None:
            return forged(
                _("文件内容与平台签发的电子证照（%(id)s）不一致，文件已被篡改。")
                % {"id": known.identifier},
                {"document_digest": False},
            )
        return forged(_("平台未签发过与此文件一致的电子证照，该文件可能是伪造的。"))
    kept = _checked(state, pdf_bytes)
    if not all(kept.checks.values()):
        return forged(_("电子证照的签名校验未通过，数据可能被篡改。"), dict(kept.checks))
    return status_verdict(_as_now(kept.licence, state), dict(kept.checks), on)
