"""What other rooms may call (e.g. 一网通办: 免证可办 and issuing on approval). Everything
else in the room is private to it."""

from __future__ import annotations

import datetime as dt

from django.db.models import Q
from django.utils import timezone

from yiwang.licences.access import holder_index
from yiwang.licences.actions.licences import do_issue_licence
from yiwang.licences.models import Licence, LicenceType, Status

__all__ = [
    "do_issue_licence",
    "find_valid_licence",
    "licence_by_identifier",
    "licence_label",
    "licence_type_by_slug",
]


def find_valid_licence(
    *, holder_id: str, type_code: str, on: dt.date | None = None
) -> Licence | None:
    """A licence of type ``type_code`` (证照类型代码, or its slug) held by ``holder_id`` (ID
    number or 统一社会信用代码) that is 01 有效 and valid on ``on`` (default today); None
    when there is none — revoked, suspended and expired ones do not count."""
    holder = (holder_id or "").strip().upper()
    key = (type_code or "").strip()
    if not holder or not key:
        return None
    on = on or timezone.localdate()
    return (
        Licence.objects.select_related("licence_type", "issuer")
        .filter(
            Q(licence_type__code=key.upper()) | Q(licence_type__slug=key.lower()),
            holder_id_index=holder_index(holder),
            status=Status.VALID,
            valid_from__lte=on,
        )
        .filter(Q(valid_until__isnull=True) | Q(valid_until__gte=on))
        .order_by("-issued_on", "-pk")
        .first()
    )


def licence_by_identifier(identifier: str) -> Licence | None:
    """The licence with this 电子证照标识 (GB/T 36904), whatever its status, or None."""
    if not identifier:
        return None
    return Licence.objects.select_related("licence_type").filter(identifier=identifier).first()


def licence_type_by_slug(slug: str) -> LicenceType | None:
    """The licence type with this stable slug (e.g. ``food_business``), or None."""
    return LicenceType.objects.filter(slug=(slug or "").strip().lower()).first()


def licence_label(licence: Licence) -> str:
    """How a licence is named in other rooms, e.g. "食品经营许可证 JY14108230001234"."""
    return f"{licence.licence_type.name} {licence.number}"
