"""电子证照 writes: issue (GB/T 36904 identifier, PDF with QR code, sealed with the
issuing department's e-seal), and the lifecycle — 暂扣 / 恢复, 撤销, 注销, 吊销 and
expiry (失效) — each with a reason, audited, the holder told."""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import models, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from yiwang.core import audit, crypto
from yiwang.core.errors import Conflict
from yiwang.core.http import public_url
from yiwang.core.identifiers import (
    make_licence_identifier,
    validate_credit_code,
    validate_id_number,
)
from yiwang.core.models import Department, User
from yiwang.core.notify.text import Text, bilingual
from yiwang.core.numbering import next_value
from yiwang.licences import access, sealing
from yiwang.licences.actions.seals import log_usage, usable_seal
from yiwang.licences.models import (
    ENTITY_ID_TYPES,
    HolderIdType,
    Licence,
    LicenceEvent,
    LicenceType,
    Status,
)
from yiwang.licences.pdf import LicenceFace, render_licence_pdf

VALUE_MAX = 500
FIELDS_MAX = 40


def resolve_type(licence_type: LicenceType | str) -> LicenceType:
    """A licence type given as object, 证照类型代码 or slug; must be in use."""
    obj: LicenceType | None
    if isinstance(licence_type, LicenceType):
        obj = licence_type
    else:
        key = str(licence_type or "").strip()
        obj = LicenceType.objects.filter(Q(code=key.upper()) | Q(slug=key.lower())).first()
        if obj is None:
            raise ValidationError(
                _("证照目录中没有「%(key)s」。"), code="unknown_type", params={"key": key[:40]}
            )
    if obj.status != LicenceType.Status.ACTIVE:
        raise ValidationError(_("证照类型「%(name)s」已停用。"), params={"name": obj.name})
    return obj


def normalize_holder(
    licence_type: LicenceType, holder_name: str, holder_id: str, holder_id_type: str
) -> tuple[str, str, str]:
    """Check the holder against the type: the right kind of identifier, valid by its
    standard (GB 11643 / GB 32100). Returns (name, id, id type) normalised."""
    errors: dict[str, list[str]] = {}
    name = (holder_name or "").strip()
    if not name or len(name) > 100:
        errors["holder_name"] = [_("请填写持证主体名称（不超过 100 字）。")]
    id_type = (holder_id_type or "").strip()
    if id_type not in HolderIdType.values:
        errors["holder_id_type"] = [_("持证主体代码类型无效。")]
    else:
        problem = _holder_kind_problem(licence_type, id_type)
        if problem:
            errors["holder_id_type"] = [problem]
    try:
        hid = _holder_id(id_type, holder_id)
    except ValidationError as exc:
        errors["holder_id"] = exc.messages
    if errors:
        raise ValidationError(errors)
    return name, hid, id_type


def _holder_kind_problem(licence_type: LicenceType, id_type: str) -> str | None:
    """Why a holder with this kind of identifier cannot hold the type (None if they
    can): some licences are for 法人或其他组织 only, some for 自然人 only."""
    kind = licence_type.holder_kind
    is_entity = id_type in ENTITY_ID_TYPES
    if kind == LicenceType.HolderKind.ENTITY and not is_entity:
        return _("%(name)s的持证主体应为法人或其他组织。") % {"name": licence_type.name}
    if kind == LicenceType.HolderKind.PERSON and is_entity:
        return _("%(name)s的持证主体应为自然人。") % {"name": licence_type.name}
    return None


def _holder_id(id_type: str, holder_id: str) -> str:
    """持证主体代码, upper-cased and checked by its standard: 居民身份证号码 (GB 11643),
    统一社会信用代码 (GB 32100); any other kind must be present, at most 40 characters."""
    hid = (holder_id or "").strip().upper()
    if id_type == HolderIdType.ID_CARD:
        return validate_id_number(hid)
    if id_type == HolderIdType.USCC:
        return validate_credit_code(hid)
    if not hid or len(hid) > 40:
        raise ValidationError(_("请填写持证主体代码（不超过 40 位）。"))
    return hid


def clean_data(licence_type: LicenceType, data: Any) -> dict[str, str]:
    """照面信息 against the type's field list: required fields present, no unknown keys,
    every value text of at most 500 characters."""
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ValidationError({"data": [_("照面信息应为键值对象。")]})
    declared = {f["key"]: f for f in licence_type.fields or []}
    errors: list[str] = []
    out: dict[str, str] = {}
    if len(data) > FIELDS_MAX:
        errors.append(_("照面信息项过多。"))
    for key, value in data.items():
        key = str(key)
        if declared and key not in declared:
            errors.append(
                _("「%(name)s」没有信息项 %(key)s。") % {"name": licence_type.name, "key": key[:40]}
            )
            continue
        text = _data_text(key, value, errors)
        if text:
            out[key] = text
    for key, spec in declared.items():
        if spec.get("required") and not out.get(key):
            errors.append(_("请填写「%(label)s」。") % {"label": spec.get("label", key)})
    if errors:
        raise ValidationError({"data": errors})
    return out


def _data_text(key: str, value: Any, errors: list[str]) -> str:
    """One 照面信息 value as text of at most VALUE_MAX characters ("" when it is not)."""
    if isinstance(value, dict | list):
        errors.append(_("信息项 %(key)s 应为文本。") % {"key": key[:40]})
        return ""
    text = "" if value is None else str(value).strip()
    if len(text) > VALUE_MAX:
        errors.append(_("信息项 %(key)s 过长（不超过 500 字）。") % {"key": key[:40]})
        return ""
    return text


def _issuer(actor, licence_type: LicenceType, issuer: Department | None) -> Department:
    """The issuing department: as given; else the actor's own department when it is on the
    type's line; else the type's default department."""
    if issuer is None:
        unit = getattr(actor, "org_unit", None) if isinstance(actor, models.Model) else None
        if unit is not None and unit.department.line == licence_type.line:
            issuer = unit.department
        else:
            issuer = licence_type.department
    if issuer is None:
        raise ValidationError(
            _("证照类型「%(name)s」没有默认颁发部门，请指定颁发机构。"),
            params={"name": licence_type.name},
        )
    if not issuer.credit_code:
        raise ValidationError(_("颁发机构没有统一社会信用代码，不能生成电子证照标识。"))
    access.require_issue(actor, issuer)
    return issuer


def add_years(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def verify_url(identifier: str, token: str) -> str:
    """The public verification URL the QR code carries (absolute)."""
    return public_url(f"{reverse('licences:verify')}?{urlencode({'id': identifier, 't': token})}")


def format_date(day: dt.date | None) -> str:
    return f"{day.year}年{day.month}月{day.day}日" if day else ""


def validity_text(valid_from: dt.date, valid_until: dt.date | None) -> str:
    if valid_until is None:
        return f"自{format_date(valid_from)}起长期有效"
    return f"{format_date(valid_from)}至{format_date(valid_until)}"


def content_digest(licence: Licence) -> str:
    """SM3 of the licence record's content (identifier, number, holder, validity, data):
    signed with the document so a changed database row is noticed too."""
    return crypto.sm3_hex(
        audit.canonical(
            {
                "identifier": licence.identifier,
                "number": licence.number,
                "type": licence.licence_type.code,
                "issuer": licence.issuer_code,
                "holder_name": licence.holder_name,
                "holder_id": licence.holder_id,
                "holder_id_type": licence.holder_id_type,
                "issued_on": licence.issued_on.isoformat(),
                "valid_from": licence.valid_from.isoformat(),
                "valid_until": licence.valid_until.isoformat() if licence.valid_until else None,
                "data": licence.data,
            }
        )
    )


def licence_face(licence: Licence) -> LicenceFace:
    """What the PDF shows, from the record alone (so re-rendering gives the same bytes)."""
    t = licence.licence_type
    labels = {f["key"]: f.get("label", f["key"]) for f in t.fields or []}
    data = licence.data
    rows = [
        (labels.get(k, k), data[k])
        for k in [*labels, *sorted(set(data) - set(labels))]
        if data.get(k)
    ]
    id_label = (
        HolderIdType(licence.holder_id_type).label
        if licence.holder_id_type in HolderIdType.values
        else "代码"
    )
    seal = licence.seal
    return LicenceFace(
        title=t.name,
        number=licence.number,
        holder_label=t.holder_label or "持证人",
        holder_name=licence.holder_name,
        holder_id_label=str(id_label),
        holder_id=licence.holder_id,
        rows=rows,
        issuer_name=licence.issuer_name,
        issued_on=format_date(licence.issued_on),
        validity=validity_text(licence.valid_from, licence.valid_until),
        identifier=licence.identifier,
        verify_url=verify_url(licence.identifier, licence.token),
        seal_name=seal.name,
        seal_label=str(seal.get_kind_display()) if seal.kind != "official" else "",
        notes=["本证照由焦作一网电子证照系统签发，加盖电子印章，与纸质证照具有同等法律效力。"],
    )


def _holder_accounts(holder_id: str, id_type: str) -> list:
    """User accounts of the holder: citizens by ID-number blind index, enterprises by
    credit code (as core finds them)."""
    from yiwang.core.fields import index_for
    from yiwang.core.models import User

    if id_type in ENTITY_ID_TYPES:
        qs = User.objects.filter(kind=User.Kind.ENTERPRISE, credit_code=holder_id)
    else:
        qs = User.objects.filter(
            kind=User.Kind.CITIZEN, id_number_index=index_for(User, "id_number", holder_id)
        )
    return list(qs.filter(is_active=True)[:5])


def _tell_holder(
    actor, licence: Licence, title: Text, body: Text = "", notices: list | None = None
) -> None:
    """Tell the holder's accounts in-app (kept in ``notices`` when the caller sends its
    messages together)."""
    from yiwang.core.actions.notify import Notice, send_or_keep

    url = reverse("licences:wallet-detail", args=[licence.pk])
    for user in _holder_accounts(licence.holder_id, licence.holder_id_type):
        send_or_keep(notices, Notice(actor, user, title, body, url, channels=()))


@transaction.atomic
def do_issue_licence(
    *,
    actor,
    licence_type: LicenceType | str,
    holder_name: str,
    holder_id: str,
    holder_id_type: str = "111",
    data: dict | None = None,
    valid_until: dt.date | None = None,
    issuer: Department | None = None,
    source: str = "",
    notices: list | None = None,
    supersedes: bool = False,
) -> Licence:
    """签发电子证照 on approval: GB/T 36904 identifier, structured data, PDF with a QR code
    of the verification URL, sealed with the issuing department's e-seal (SM2 over the
    SM3 of the PDF); the seal use is logged, the holder told in-app (or the message kept
    in ``notices`` for a caller that sends its messages in one batch,
    ``core.actions.notify.do_notify_each``). ``supersedes``: the new licence replaces the
    holder's licences of the type (换发 — a 变更, 延续, 签注 or 补发), which are cancelled
    (注销) naming it, so one of them is ever valid."""
    t = resolve_type(licence_type)
    errors: dict[str, list[str]] = {}
    try:
        name, hid, id_type = normalize_holder(t, holder_name, holder_id, holder_id_type)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    try:
        values = clean_data(t, data)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    dept = _issuer(actor, t, issuer)
    today = timezone.localdate()
    if valid_until is None and t.validity_years:
        valid_until = add_years(today, t.validity_years) - dt.timedelta(days=1)
    if valid_until is not None and valid_until < today:
        raise ValidationError({"valid_until": [_("有效期截止日期不能早于今天。")]})
    source = (source or "").strip()[:120]
    seal = usable_seal(dept, t.seal_kind, today)

    seq = next_value(f"LIC-{t.pk}-{dept.pk}")
    serial = f"{today:%Y}{seq:07d}"
    identifier = make_licence_identifier(t.code, dept.credit_code, serial, 1)
    number = t.number_format.format(
        division=dept.division_id[:6], year=today.year, seq=seq, holder_id=hid
    )
    licence = Licence(
        identifier=identifier,
        licence_type=t,
        number=number[:64],
        serial=serial,
        version=1,
        issuer=dept,
        issuer_code=dept.credit_code,
        issuer_name=dept.name,
        holder_name=name,
        holder_id=hid,
        holder_id_type=id_type,
        issued_on=today,
        valid_from=today,
        valid_until=valid_until,
        status=Status.VALID,
        source=source,
        token=secrets.token_hex(8).upper(),
        seal=seal,
        issued_by=actor if isinstance(actor, User) else None,
    )
    licence.data = values
    pdf = render_licence_pdf(licence_face(licence))
    licence.pdf_digest = crypto.sm3_hex(pdf)
    licence.pdf_size = len(pdf)
    licence.signed_at = timezone.now()
    licence.sign_data = sealing.build_sign_data(
        seal=seal,
        identifier=identifier,
        doc_sm3=licence.pdf_digest,
        doc_size=len(pdf),
        content_sm3=content_digest(licence),
        signed_at=licence.signed_at.isoformat(timespec="seconds"),
    )
    licence.signature = sealing.b64(sealing.seal_sign(seal, licence.sign_data.encode()))
    # An unguessable file name: the media folder must never be a way around access rules.
    licence.pdf.save(f"{secrets.token_hex(12)}.pdf", ContentFile(pdf), save=False)
    licence.save(force_insert=True)
    LicenceEvent.objects.create(
        licence=licence,
        action="issue",
        from_status="",
        to_status=Status.VALID,
        reason=source,
        actor=licence.issued_by,
    )
    log_usage(
        actor=actor,
        seal=seal,
        document_ref=identifier,
        digest=licence.pdf_digest,
        purpose=_("签发%(name)s") % {"name": t.name},
        licence=licence,
    )
    audit.record(
        actor=actor,
        action="licences.licence.issue",
        obj=licence,
        purpose=_("签发电子证照"),
        change={
            "identifier": identifier,
            "type": t.code,
            "number": licence.number if id_type in ENTITY_ID_TYPES else "",
            "issuer": dept.code,
            "seal": seal.code,
            "sm3": licence.pdf_digest,
            "source": source,
            "valid_until": valid_until.isoformat() if valid_until else None,
        },
    )
    if supersedes:
        _supersede(actor, licence)
    _tell_holder(
        actor,
        licence,
        bilingual(lambda: _("您的%(name)s已签发") % {"name": t.display_name}),
        bilingual(
            lambda: _("证照编号 %(number)s，可在证照夹查看和下载。") % {"number": licence.number}
        ),
        notices,
    )
    return licence


def _supersede(actor, licence: Licence) -> int:
    """换发: the holder's other live licences of the new one's type are cancelled (注销),
    the reason naming the licence that replaces them. Returns how many."""
    older = (
        Licence.objects.select_for_update()
        .select_related("licence_type")
        .filter(
            licence_type=licence.licence_type,
            holder_id_index=access.holder_index(licence.holder_id),
            status__in=LIVE,
        )
        .exclude(pk=licence.pk)
        .order_by("pk")
    )
    count = 0
    for old in older:
        if old.holder_id != licence.holder_id:  # a blind-index collision: not the holder
            continue
        reason = _("已换发，由证照 %(number)s 替代") % {"number": licence.number}
        _set_status(actor, old, "supersede", Status.CANCELLED, reason)
        count += 1
    return count


# --- lifecycle (证照状态) ---


@dataclass(frozen=True)
class Transition:
    code: str
    label: str
    sources: frozenset[str]
    target: str


LIVE = frozenset({Status.VALID, Status.SUSPENDED})
TRANSITIONS: dict[str, Transition] = {
    t.code: t
    for t in (
        Transition("suspend", "暂扣", frozenset({Status.VALID}), Status.SUSPENDED),
        Transition("restore", "恢复", frozenset({Status.SUSPENDED}), Status.VALID),
        Transition("revoke", "撤销", LIVE, Status.REVOKED),
        Transition("cancel", "注销", LIVE, Status.CANCELLED),
        Transition("withdraw", "吊销", LIVE, Status.WITHDRAWN),
    )
}


def open_transitions(user, licence: Licence) -> list[Transition]:
    """The lifecycle actions the user may take on the licence now."""
    if not access.staff_licences(user, perm="licence.manage").filter(pk=licence.pk).exists():
        return []
    return [t for t in TRANSITIONS.values() if licence.status in t.sources]


@transaction.atomic
def do_change_status(*, actor, licence: Licence, action: str, reason: str) -> Licence:
    """暂扣 / 恢复 / 撤销 / 注销 / 吊销 one licence, with a reason; recorded in its history
    and the ledger, the holder told."""
    transition = TRANSITIONS.get(action)
    if transition is None:
        raise ValidationError(_("不支持的证照操作。"), code="invalid")
    access.require_status_change(actor, licence)
    reason = (reason or "").strip()
    if len(reason) < 2 or len(reason) > 500:
        raise ValidationError({"reason": [_("请填写原因（2 至 500 字）。")]})
    licence = Licence.objects.select_for_update().select_related("licence_type").get(pk=licence.pk)
    if licence.status not in transition.sources:
        raise Conflict(
            _("证照当前状态为「%(status)s」，不能%(action)s。"),
            code="conflict",
            params={"status": licence.get_status_display(), "action": transition.label},
        )
    return _set_status(actor, licence, transition.code, transition.target, reason)


def _set_status(actor, licence: Licence, action: str, target: str, reason: str) -> Licence:
    before = licence.status
    licence.status = target
    licence.status_reason = reason[:500]
    licence.status_changed_at = timezone.now()
    licence.save(update_fields=["status", "status_reason", "status_changed_at"])
    LicenceEvent.objects.create(
        licence=licence,
        action=action,
        from_status=before,
        to_status=target,
        reason=reason[:500],
        actor=actor if isinstance(actor, User) else None,
    )
    audit.record(
        actor=actor,
        action=f"licences.licence.{action}",
        obj=licence,
        purpose=reason[:200],
        change={"identifier": licence.identifier, "from": before, "to": target},
    )
    _tell_holder(
        actor,
        licence,
        bilingual(
            lambda: (
                _("您的%(name)s状态已变更为「%(status)s」")
                % {"name": licence.licence_type.display_name, "status": Status(target).label}
            )
        ),
        bilingual(
            lambda: (
                _("证照编号 %(number)s。原因：%(reason)s")
                % {"number": licence.number, "reason": reason}
            )
        ),
    )
    return licence


def do_expire_licences(*, actor=None, today: dt.date | None = None, batch: int = 500) -> int:
    """到期失效: mark 05 失效 every 有效/暂扣 licence whose validity ended before ``today``;
    one short transaction per licence, so a long run never blocks issuing."""
    today = today or timezone.localdate()
    done = 0
    while True:
        ids = list(
            Licence.objects.filter(status__in=LIVE, valid_until__lt=today)
            .order_by("pk")
            .values_list("pk", flat=True)[:batch]
        )
        if not ids:
            return done
        for pk in ids:
            with transaction.atomic():
                licence = (
                    Licence.objects.select_for_update()
                    .select_related("licence_type")
                    .filter(pk=pk, status__in=LIVE, valid_until__lt=today)
                    .first()
                )
                if licence is None:
                    continue
                _set_status(actor, licence, "expire", Status.EXPIRED, _("有效期届满"))
                done += 1
