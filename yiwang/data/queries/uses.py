"""谁用了我的数据: one list of every use of a citizen's data — the exchange gateway's
reads of their 人口库 record (用数记录, ``DataAccess``) and the platform's own uses
(``core.DataUse``: base-registry checks while their applications are handled,
verifications and staff views of their e-licences, clear values revealed by staff for a
stated purpose) — newest first.

Paged by cursor (游标分页) over (time, source, id): each page reads at most a page and
one row from each source through its subject index (``subject_index, at, id`` and
``subject, at, id``) and merges them, so a page costs the same for a person read a
million times. Nothing is counted beyond ``paging.capped_count``."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.core import signing
from django.db.models import Q, QuerySet
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from yiwang.core import datause
from yiwang.core.identity import assurance
from yiwang.core.models import DataUse
from yiwang.core.paging import Capped, capped_count

SALT = "data.uses.cursor"
PAGE = 50
GATEWAY, PLATFORM = "g", "p"


@dataclass
class Use:
    """One use as the citizen reads it."""

    at: dt.datetime
    source: str  # GATEWAY / PLATFORM
    id: int
    kind: str
    kind_label: str
    user: str  # the department or party that used it
    system: str  # the calling system (gateway reads)
    what: str  # which information, in words
    purpose: str

    @property
    def key(self) -> tuple:
        return (self.at, self.source, self.id)


@dataclass
class UsePage:
    rows: list[Use]
    next: str  # cursor of the next page, "" on the last
    previous_cursor: str  # the cursor this page was read from ("" for the first)


def _holder(user) -> str:
    """The ID number whose uses ``user`` may see: a 实名 citizen's own, else none."""
    if not getattr(user, "is_authenticated", False) or user.kind != "citizen":
        return ""
    if not user.id_number or not assurance.is_verified(user):
        return ""
    return user.id_number


def gateway_reads(user) -> QuerySet:
    from yiwang.data.access import accesses_of_citizen

    return accesses_of_citizen(user)


def platform_uses(user) -> QuerySet:
    holder = _holder(user)
    return datause.uses_of(holder) if holder else DataUse.objects.none()


def count(user) -> Capped:
    """How many uses there are (capped per source), for the 个人中心 link."""
    a, b = capped_count(gateway_reads(user)), capped_count(platform_uses(user))
    return Capped(a.n + b.n, a.more or b.more)


class Centre:
    """What 个人中心 links with its count (``ReadSource.query``): ``count()`` is the
    capped number of uses ("37", "1000+")."""

    def __init__(self, user) -> None:
        self.user = user

    def count(self) -> Capped:
        return count(self.user)


def for_centre(user) -> Centre:
    """谁用了我的数据 for the 个人中心 link (``data`` manifest's ``data_reads``)."""
    return Centre(user)


def _after(source: str, cursor: tuple | None) -> Q:
    """Rows of ``source`` that come after ``cursor`` in (at, source, id) descending."""
    if cursor is None:
        return Q()
    at, c_source, c_id = cursor
    same = Q(at=at)
    if source == c_source:
        same &= Q(id__lt=c_id)
    elif source > c_source:
        same = Q(pk__in=[])
    return Q(at__lt=at) | same


def _field_names(resource_ids: set[int]) -> dict[int, dict[str, str]]:
    """Item names (姓名, not ``name``) of the resources the page's gateway reads used."""
    from yiwang.data.models import DataItem

    out: dict[int, dict[str, str]] = {r: {} for r in resource_ids}
    rows = DataItem.objects.filter(resource_id__in=resource_ids).values_list(
        "resource_id", "field", "name"
    )
    for resource_id, field, name in rows:
        out[resource_id][field] = name
    return out


def _gateway_rows(user, cursor: tuple | None, limit: int) -> list[Use]:
    from yiwang.data.models import DataAccess

    kinds = dict(DataAccess.Kind.choices)
    rows = list(
        gateway_reads(user)
        .filter(_after(GATEWAY, cursor))
        .order_by("-at", "-id")
        .values(
            "id", "at", "kind", "consumer__name", "client_id", "fields", "purpose", "resource_id"
        )[:limit]
    )
    names = _field_names({r["resource_id"] for r in rows})
    return [
        Use(
            at=r["at"],
            source=GATEWAY,
            id=r["id"],
            kind="exchange_" + r["kind"],
            kind_label=_("共享交换：%s") % kinds.get(r["kind"], r["kind"]),
            user=r["consumer__name"],
            system=r["client_id"],
            what="、".join(names[r["resource_id"]].get(f, f) for f in r["fields"] or []),
            purpose=r["purpose"],
        )
        for r in rows
    ]


def _platform_rows(user, cursor: tuple | None, limit: int) -> list[Use]:
    kinds = dict(DataUse.Kind.choices)
    rows = (
        platform_uses(user)
        .filter(_after(PLATFORM, cursor))
        .order_by("-at", "-id")
        .values("id", "at", "kind", "user_label", "what", "purpose", "what_en", "purpose_en")[
            :limit
        ]
    )
    english = (get_language() or "").startswith("en")
    return [
        Use(
            at=r["at"],
            source=PLATFORM,
            id=r["id"],
            kind=r["kind"],
            kind_label=str(kinds.get(r["kind"], r["kind"])),
            user=r["user_label"],
            system="",
            what=(english and r["what_en"]) or r["what"],
            purpose=(english and r["purpose_en"]) or r["purpose"],
        )
        for r in rows
    ]


def _load(cursor: str) -> tuple | None:
    if not cursor:
        return None
    try:
        at, source, pk = signing.loads(cursor, salt=SALT)
        return (dt.datetime.fromisoformat(at), str(source), int(pk))
    except (signing.BadSignature, ValueError, TypeError):
        return None


def _dump(use: Use) -> str:
    return signing.dumps([use.at.isoformat(), use.source, use.id], salt=SALT)


def uses_page(user, cursor: str = "", limit: int = PAGE) -> UsePage:
    """One page of the citizen's data uses after ``cursor`` (a bad cursor starts over);
    empty for anyone who is not a 实名 citizen."""
    limit = max(1, min(int(limit), 200))
    after = _load(cursor)
    merged = _gateway_rows(user, after, limit + 1) + _platform_rows(user, after, limit + 1)
    merged.sort(key=lambda u: u.key, reverse=True)
    page = merged[:limit]
    more = len(merged) > limit
    return UsePage(page, _dump(page[-1]) if more and page else "", cursor if after else "")


def use_out(use: Use) -> dict[str, Any]:
    """A use as the API gives it."""
    return {
        "at": use.at,
        "kind": use.kind,
        "kind_label": use.kind_label,
        "user": use.user,
        "system": use.system,
        "what": use.what,
        "purpose": use.purpose,
    }
