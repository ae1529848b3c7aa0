"""电子印章 writes: make a seal (own SM2 key, image, seal data signed by the platform as
seal maker), disable it, and log each use (用章记录)."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from yiwang.core import audit, crypto
from yiwang.core.errors import Conflict
from yiwang.core.models import Department, User
from yiwang.core.numbering import next_value
from yiwang.licences import access, sealing
from yiwang.licences.models import Seal, SealUsage

DEFAULT_SEAL_YEARS = 5
NAME_MAX = 24


def seal_code(department: Department) -> str:
    """印章编码: the owner's division code + year + a six-digit sequence, e.g.
    ``4108002026000001``."""
    year = timezone.localdate().year
    division = department.division_id[:6]
    return f"{division}{year}{next_value(f'SEAL-{division}-{year}'):06d}"


@transaction.atomic
def do_create_seal(
    *,
    actor,
    department: Department,
    kind: str,
    name: str = "",
    valid_until: dt.date | None = None,
) -> Seal:
    """制作电子印章 for ``department``: a fresh SM2 key pair (private half SM4-encrypted),
    the image drawn from the name, and seal data signed by the platform key."""
    access.require_seal_manage(actor, department)
    name = (name or department.name).strip()
    errors: dict[str, list[str]] = {}
    if kind not in Seal.Kind.values:
        errors["kind"] = [_("请选择印章类型。")]
    if not name or len(name) > NAME_MAX:
        errors["name"] = [_("印章名称应为 1 至 %(n)s 个字。") % {"n": NAME_MAX}]
    today = timezone.localdate()
    until = valid_until or today.replace(year=today.year + DEFAULT_SEAL_YEARS) - dt.timedelta(1)
    if until <= today:
        errors["valid_until"] = [_("印章有效期截止日期应晚于今天。")]
    elif (until - today).days > 366 * 10:
        errors["valid_until"] = [_("印章有效期不能超过十年。")]
    if not department.credit_code:
        errors["department"] = [_("用章部门没有统一社会信用代码，不能制作印章。")]
    if errors:
        raise ValidationError(errors)
    label = Seal.Kind(kind).label if kind != Seal.Kind.OFFICIAL else ""
    image = sealing.seal_svg(name, str(label))
    public_pem, private_enc = sealing.new_seal_key()
    code = seal_code(department)
    seal_data = sealing.build_seal_data(
        code=code,
        name=name,
        kind=kind,
        owner_name=department.name,
        owner_code=department.credit_code,
        public_pem=public_pem,
        image_svg=image,
        valid_from=today.isoformat(),
        valid_until=until.isoformat(),
        made_at=timezone.now().isoformat(timespec="seconds"),
    )
    seal = Seal.objects.create(
        owner=department,
        name=name,
        kind=kind,
        code=code,
        sm2_public_pem=public_pem,
        sm2_private_enc=private_enc,
        image_svg=image,
        seal_data=seal_data,
        maker_signature=sealing.maker_sign(seal_data),
        maker_key_id=crypto.platform_key_id(),
        valid_from=today,
        valid_until=until,
        created_by=actor if isinstance(actor, User) else None,
    )
    audit.record(
        actor=actor,
        action="licences.seal.create",
        obj=seal,
        purpose=_("制作电子印章"),
        change={
            "code": code,
            "kind": kind,
            "owner": department.code,
            "key_id": crypto.sm3_hex(public_pem.encode())[:16],
            "valid_until": until.isoformat(),
        },
    )
    return seal


@transaction.atomic
def do_disable_seal(*, actor, seal: Seal, reason: str) -> Seal:
    """停用电子印章: it signs nothing more; documents it signed still verify."""
    access.require_seal_manage(actor, seal.owner)
    reason = (reason or "").strip()
    if len(reason) < 2 or len(reason) > 500:
        raise ValidationError({"reason": [_("请填写停用原因（2 至 500 字）。")]})
    seal = Seal.objects.select_for_update().get(pk=seal.pk)
    if seal.status == Seal.Status.DISABLED:
        raise Conflict(_("该印章已停用。"), code="conflict")
    seal.status = Seal.Status.DISABLED
    seal.disabled_reason = reason
    seal.disabled_at = timezone.now()
    seal.save(update_fields=["status", "disabled_reason", "disabled_at"])
    audit.record(
        actor=actor,
        action="licences.seal.disable",
        obj=seal,
        purpose=_("停用电子印章"),
        change={"code": seal.code, "reason": reason},
    )
    return seal


def usable_seal(department: Department, prefer: str = "", on: dt.date | None = None) -> Seal:
    """The department's active, unexpired seal to sign with: the preferred kind first,
    then 行政审批专用章, then 公章; raises ValidationError when there is none."""
    on = on or timezone.localdate()
    order = [k for k in (prefer, Seal.Kind.LICENSING, Seal.Kind.OFFICIAL) if k]
    candidates = list(
        Seal.objects.filter(
            owner=department,
            status=Seal.Status.ACTIVE,
            valid_from__lte=on,
            valid_until__gte=on,
        ).order_by("-pk")
    )
    for kind in order:
        for seal in candidates:
            if seal.kind == kind:
                return seal
    if candidates:
        return candidates[0]
    raise ValidationError(
        _("颁发机构「%(name)s」没有可用的电子印章，请部门管理员先制作印章。"),
        code="no_seal",
        params={"name": department.name},
    )


def log_usage(
    *, actor, seal: Seal, document_ref: str, digest: str, purpose: str, licence=None
) -> SealUsage:
    """Append one 用章记录 (called inside the signing action's transaction)."""
    user = actor if isinstance(actor, User) else None
    return SealUsage.objects.create(
        seal=seal,
        licence=licence,
        document_type="licence" if licence is not None else "document",
        document_ref=document_ref[:128],
        digest=digest,
        purpose=purpose[:200],
        actor=user,
        actor_label=(user.get_username() if user else str(actor or "system"))[:150],
    )
