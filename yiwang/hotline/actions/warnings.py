"""预警信息发布: a warning (暴雨、大风、寒潮 …) is drafted, published to the people of chosen
areas and groups through the notification channels, and lifted (解除) when the danger has
passed. Every person sent a warning is recorded (WarningRecipient, with the in-app
message and its channel deliveries), so "who was reached" can be answered later.

Who is in an area:
- 群众 (``citizens``): citizen accounts carry no division, so a citizen belongs to the
  division of their 户籍 in the 人口库 (base registry, matched by ID number). When the city
  itself is chosen every active citizen account is included, registered or not; below
  the city a citizen without a registry record cannot be placed and is not reached.
- 工作人员 (``staff``): staff whose org unit lies in the area.
- 网格员 (``grid_workers``): workers of grids lying in the area.
- 企业 (``enterprises``): enterprise accounts whose 法人库 record is registered in the
  area (by credit code); the city includes every active enterprise account.

Small audiences are sent at once; larger ones (more than ``HOTLINE_WARNING_SYNC_MAX``,
default 500) by a background task in batches, each batch committed so the page shows the
``reached`` count rising."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from functools import partial
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l

from yiwang.core import audit, notify
from yiwang.core.actions.notify import do_notify, do_notify_many
from yiwang.core.errors import Conflict
from yiwang.core.fields import index_for
from yiwang.core.models import AuditEntry, Division, User
from yiwang.core.notify.text import Bilingual, bilingual
from yiwang.core.numbering import next_number
from yiwang.hotline import access
from yiwang.hotline.models import Warning, WarningRecipient

CITY_CODE = "410800"
CITY_PATH = f"/{CITY_CODE}/"
GROUPS = {
    "citizens": _l("群众"),
    "staff": _l("工作人员"),
    "grid_workers": _l("网格员"),
    "enterprises": _l("企业"),
}
KINDS = [
    "暴雨",
    "大风",
    "暴雪",
    "寒潮",
    "高温",
    "大雾",
    "冰雹",
    "雷电",
    "道路结冰",
    "地质灾害",
    "森林火险",
    "突发公共卫生事件",
    "停水停电",
    "其他",
]
IN_APP = "in_app"
TITLE_MAX, BODY_MAX, KIND_MAX = 120, 2000, 30
BATCH = 200
LOOKUP_CHUNK = 500


def sync_max() -> int:
    """Audiences up to this size are sent within the request; larger ones in the background."""
    return int(settings.YIWANG.get("HOTLINE_WARNING_SYNC_MAX", 500))


def _chunks(items: list, size: int) -> Iterator[list]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


# --- who is in an area ---


def _citizens_in(division: Division) -> set[int]:
    users = User.objects.filter(kind=User.Kind.CITIZEN, is_active=True)
    if division.level == Division.Level.CITY:
        return set(users.values_list("pk", flat=True))
    from yiwang.data.models import Person

    # Both ID columns are encrypted with per-column blind indexes: the registry's ID
    # numbers of the area are read (decrypted) and re-indexed for the account table.
    numbers = Person.objects.filter(division__path__startswith=division.path).values_list(
        "id_number", flat=True
    )
    found: set[int] = set()
    batch: list[str] = []
    for number in numbers.iterator(chunk_size=2000):
        if number:
            batch.append(index_for(User, "id_number", number))
        if len(batch) >= LOOKUP_CHUNK:
            found |= set(users.filter(id_number_index__in=batch).values_list("pk", flat=True))
            batch = []
    if batch:
        found |= set(users.filter(id_number_index__in=batch).values_list("pk", flat=True))
    return found


def _enterprises_in(division: Division) -> set[int]:
    users = User.objects.filter(kind=User.Kind.ENTERPRISE, is_active=True)
    if division.level == Division.Level.CITY:
        return set(users.values_list("pk", flat=True))
    from yiwang.data.models import LegalEntity

    codes = LegalEntity.objects.filter(division__path__startswith=division.path).values(
        "credit_code"
    )
    return set(users.filter(credit_code__in=codes).values_list("pk", flat=True))


def _staff_in(division: Division) -> set[int]:
    return set(
        User.objects.filter(
            kind=User.Kind.STAFF,
            is_active=True,
            org_unit__division__path__startswith=division.path,
        ).values_list("pk", flat=True)
    )


def _grid_workers_in(division: Division) -> set[int]:
    return set(
        User.objects.filter(is_active=True, grids__division__path__startswith=division.path)
        .distinct()
        .values_list("pk", flat=True)
    )


MEMBERS = {
    "citizens": _citizens_in,
    "staff": _staff_in,
    "grid_workers": _grid_workers_in,
    "enterprises": _enterprises_in,
}


def audience(warning: Warning) -> dict[str, dict[str, set[int]]]:
    """The accounts a warning is for: {division code: {group: user ids}}."""
    out: dict[str, dict[str, set[int]]] = {}
    for division in warning.divisions.all():
        out[division.code] = {g: MEMBERS[g](division) for g in warning.groups if g in MEMBERS}
    return out


def recipient_ids(warning: Warning) -> list[int]:
    """Every account the warning is for, once each, in id order."""
    ids: set[int] = set()
    for groups in audience(warning).values():
        for members in groups.values():
            ids |= members
    return sorted(ids)


def estimate(warning: Warning) -> int:
    """An upper bound of the audience from counts alone (no ID number is decrypted), to
    choose between sending at once and in the background."""
    from yiwang.data.models import LegalEntity, Person

    total = 0
    for division in warning.divisions.all():
        city = division.level == Division.Level.CITY
        for group in warning.groups:
            if group == "citizens":
                qs = (
                    User.objects.filter(kind=User.Kind.CITIZEN, is_active=True)
                    if city
                    else Person.objects.filter(division__path__startswith=division.path)
                )
                total += qs.count()
            elif group == "enterprises" and not city:
                total += LegalEntity.objects.filter(
                    division__path__startswith=division.path
                ).count()
            elif group in MEMBERS:
                total += len(MEMBERS[group](division))
    return total


# --- drafting ---


def _clean(title, body, kind, level, divisions, groups, channels) -> dict:
    """Check a draft 预警 (warning); the first problem found is raised, with a code
    naming it. The texts are checked in the order of the form: 标题, 预警内容, 预警类别."""
    title = _required_text("title", title, TITLE_MAX, _title_too_long)
    body = _required_text("body", body, BODY_MAX, _body_too_long)
    kind = _required_text("kind", kind, KIND_MAX, _kind_too_long)
    if level not in Warning.Level.values:
        raise ValidationError(
            {"level": _("预警级别须为蓝色、黄色、橙色或红色。")}, code="level_unknown"
        )
    return {
        "title": title,
        "body": body,
        "kind": kind,
        "level": level,
        "divisions": _target_divisions(divisions),
        "groups": _target_groups(groups),
        "channels": _extra_channels(channels),
    }


def _title_too_long(text: str) -> str:
    return _("标题不能超过 %d 字。") % TITLE_MAX


def _body_too_long(text: str) -> str:
    return _("预警内容不能超过 %(max)d 字（现有 %(n)d 字）。") % {"max": BODY_MAX, "n": len(text)}


def _kind_too_long(text: str) -> str:
    return _("预警类别不能超过 %d 字。") % KIND_MAX


# Message when a required text of a warning is left empty, by field.
_EMPTY_TEXT = {
    "title": lambda: _("标题不能为空。"),
    "body": lambda: _("预警内容不能为空。"),
    "kind": lambda: _("请填写预警类别。"),
}


def _required_text(field: str, value: Any, limit: int, too_long) -> str:
    """A required text, stripped, at most ``limit`` characters; the error codes are
    ``<field>_empty`` and ``<field>_too_long``."""
    text = (value or "").strip()
    if not text:
        raise ValidationError({field: _EMPTY_TEXT[field]()}, code=f"{field}_empty")
    if len(text) > limit:
        raise ValidationError({field: too_long(text)}, code=f"{field}_too_long")
    return text


def _target_divisions(divisions) -> list[Division]:
    """发布区域: at least one 区划, all within the city (codes or Division objects,
    repeats ignored)."""
    codes = []
    for d in divisions or ():
        code = d.code if isinstance(d, Division) else str(d).strip()
        if code and code not in codes:
            codes.append(code)
    if not codes:
        raise ValidationError({"divisions": _("请至少选择一个发布区域。")}, code="divisions_empty")
    found = list(Division.objects.filter(code__in=codes, path__startswith=CITY_PATH))
    if len(found) != len(codes):
        unknown = sorted(set(codes) - {d.code for d in found})
        raise ValidationError(
            {"divisions": _("发布区域须在本市范围内：%s") % "、".join(unknown)},
            code="division_outside",
        )
    return found


def _target_groups(groups) -> list[str]:
    """发布对象: at least one known group, repeats ignored."""
    groups = [g for g in dict.fromkeys(groups or ()) if g]
    if not groups:
        raise ValidationError({"groups": _("请至少选择一类发布对象。")}, code="groups_empty")
    bad = [g for g in groups if g not in GROUPS]
    if bad:
        raise ValidationError(
            {"groups": _("未知的发布对象：%s") % "、".join(bad)}, code="group_unknown"
        )
    return groups


def _extra_channels(channels) -> list[str]:
    """发布渠道 beyond the site message (站内消息, always sent): each must be configured."""
    configured = notify.channel_names()
    channels = [c for c in dict.fromkeys(channels or ()) if c and c != IN_APP]
    bad = [c for c in channels if c not in configured]
    if bad:
        raise ValidationError(
            {"channels": _("未配置的发布渠道：%s") % "、".join(bad)}, code="channel_unknown"
        )
    return channels


@transaction.atomic
def do_draft_warning(
    *,
    actor,
    title: str,
    body: str,
    kind: str,
    level: str,
    divisions: Iterable,
    groups: Iterable[str],
    channels: Iterable[str] = (),
) -> Warning:
    """起草预警: checked and numbered, nothing sent yet. Site messages (站内消息) always
    go out; ``channels`` adds configured ones (e.g. sms, email)."""
    access.require_publish(actor)
    if actor is None:
        raise PermissionDenied(_("预警信息须由发布人起草。"))
    clean = _clean(title, body, kind, level, divisions, groups, list(channels))
    access.require_publish_in(actor, clean["divisions"])
    warning = Warning.objects.create(
        number=next_number(CITY_CODE, "YJ"),
        title=clean["title"],
        body=clean["body"],
        kind=clean["kind"],
        level=clean["level"],
        groups=clean["groups"],
        channels=clean["channels"],
        created_by=actor,
    )
    warning.divisions.set(clean["divisions"])
    audit.record(
        actor=actor,
        action="hotline.warning.draft",
        obj=warning,
        change={
            "number": warning.number,
            "title": warning.title,
            "level": warning.level,
            "divisions": [d.code for d in clean["divisions"]],
            "groups": warning.groups,
            "channels": warning.channels,
        },
    )
    return warning


# --- publishing ---


def message_title(warning: Warning, cancelled: bool = False) -> Bilingual:
    """The message's title, in both languages (the warning's own title is as typed)."""

    def make() -> str:
        level = Warning.Level(warning.level).label
        if cancelled:
            return _("【解除%(level)s预警】%(title)s") % {"level": level, "title": warning.title}
        return _("【%(level)s预警】%(title)s") % {"level": level, "title": warning.title}

    return bilingual(make)


def _url(warning: Warning) -> str:
    return reverse("hotline:warning", args=[warning.pk])


def _send(actor, warning: Warning, ids: list[int]) -> int:
    """Notify the accounts ``ids`` (skipping any already recorded) and record them."""
    done = set(
        WarningRecipient.objects.filter(warning=warning, user_id__in=ids).values_list(
            "user_id", flat=True
        )
    )
    users = list(
        User.objects.filter(pk__in=[i for i in ids if i not in done], is_active=True).order_by("pk")
    )
    notes = do_notify_many(
        actor=actor,
        users=users,
        title=message_title(warning),
        body=warning.body,
        url=_url(warning),
        channels=warning.channels,
    )
    rows = [
        WarningRecipient(warning=warning, user=user, notification=note)
        for user, note in zip(users, notes, strict=True)
    ]
    WarningRecipient.objects.bulk_create(rows)
    Warning.objects.filter(pk=warning.pk).update(reached=F("reached") + len(rows))
    warning.reached += len(rows)
    return len(rows)


@transaction.atomic
def do_publish_warning(*, actor, warning: Warning) -> Warning:
    """发布预警: lock the draft, find its audience and send it — at once when small,
    otherwise by the ``deliver_warning`` task after commit (the page polls ``reached``).
    A warning is published once; a second publish is refused."""
    access.require_keep_warning(actor, warning)
    row = Warning.objects.select_for_update().get(pk=warning.pk)
    if row.state != Warning.State.DRAFT:
        raise Conflict(
            _("预警 %(number)s 已%(state)s，不能重复发布。")
            % {"number": row.number, "state": row.get_state_display()},
            code="already_published",
        )
    # The exact audience of a large area is found in the background: placing citizens
    # means reading the registry's ID numbers, too slow for a request.
    background = estimate(row) > sync_max()
    ids = [] if background else recipient_ids(row)
    row.state, row.published_at, row.reached = Warning.State.PUBLISHED, timezone.now(), 0
    row.save(update_fields=["state", "published_at", "reached"])
    audit.record(
        actor=actor,
        action="hotline.warning.publish",
        obj=row,
        change={
            "number": row.number,
            "audience": None if background else len(ids),
            "background": background,
        },
    )
    if background:
        from yiwang.hotline.tasks import deliver_warning

        transaction.on_commit(partial(deliver_warning.enqueue, row.pk))
    else:
        for chunk in _chunks(ids, BATCH):
            _send(actor, row, chunk)
        _finish(actor, row)
    warning.state, warning.published_at, warning.reached = row.state, row.published_at, row.reached
    return row


def _finish(actor, warning: Warning) -> None:
    audit.record(
        actor=actor,
        action="hotline.warning.delivered",
        obj=warning,
        change={"number": warning.number, "reached": warning.reached},
    )


@transaction.atomic
def do_deliver_warning_batch(*, actor, warning: Warning, pending: list[int]) -> int:
    """One batch of a large publication: send to ``pending`` accounts not yet reached
    and commit, so progress is visible; stops quietly once the warning is lifted."""
    row = Warning.objects.select_for_update().get(pk=warning.pk)
    if row.state != Warning.State.PUBLISHED:
        return 0
    sent = _send(actor, row, pending)
    audit.record(
        actor=actor,
        action="hotline.warning.deliver",
        obj=row,
        change={"number": row.number, "sent": sent, "reached": row.reached},
    )
    return sent


def deliver_in_batches(warning_id: int) -> int:
    """The background publication: the audience resolved again, those not yet recorded
    sent batch by batch (a crashed run resumes where it stopped). Returns reached."""
    warning = Warning.objects.filter(pk=warning_id).first()
    if warning is None or warning.state != Warning.State.PUBLISHED:
        return 0
    everyone = recipient_ids(warning)
    with transaction.atomic():
        audit.record(
            actor=None,
            action="hotline.warning.audience",
            obj=warning,
            change={"number": warning.number, "audience": len(everyone)},
        )
    done = set(WarningRecipient.objects.filter(warning=warning).values_list("user_id", flat=True))
    pending = [i for i in everyone if i not in done]
    for chunk in _chunks(pending, BATCH):
        do_deliver_warning_batch(actor=None, warning=warning, pending=chunk)
        warning.refresh_from_db(fields=["state", "reached"])
        if warning.state != Warning.State.PUBLISHED:
            break
    with transaction.atomic():
        warning.refresh_from_db()
        _finish(None, warning)
    return warning.reached


# --- lifting (解除) ---


@transaction.atomic
def do_cancel_warning(*, actor, warning: Warning, reason: str = "") -> Warning:
    """解除预警: the warning stops showing as current and everyone it reached is told —
    at once when few, otherwise in the background."""
    access.require_keep_warning(actor, warning)
    row = Warning.objects.select_for_update().get(pk=warning.pk)
    if row.state != Warning.State.PUBLISHED:
        raise Conflict(_("只有已发布的预警可以解除。"), code="not_published")
    reason = (reason or "").strip()
    if len(reason) > 500:
        raise ValidationError({"reason": _("解除说明不能超过 500 字。")}, code="reason_too_long")
    row.state = Warning.State.CANCELLED
    row.save(update_fields=["state"])
    count = WarningRecipient.objects.filter(warning=row).count()
    background = count > sync_max()
    audit.record(
        actor=actor,
        action="hotline.warning.cancel",
        obj=row,
        change={"number": row.number, "reason": reason, "told": count, "background": background},
    )
    if background:
        from yiwang.hotline.tasks import tell_cancelled

        transaction.on_commit(partial(tell_cancelled.enqueue, row.pk, reason))
    else:
        _tell_cancelled(actor, row, reason, WarningRecipient.objects.filter(warning=row))
    warning.state = row.state
    return row


def _tell_cancelled(actor, warning: Warning, reason: str, recipients) -> int:
    title, url = message_title(warning, cancelled=True), _url(warning)
    body = reason or bilingual(lambda: _("%(title)s 已解除。") % {"title": warning.title})
    n = 0
    for rec in recipients.select_related("user").filter(user__is_active=True).order_by("pk"):
        do_notify(
            actor=actor, user=rec.user, title=title, body=body, url=url, channels=warning.channels
        )
        n += 1
    return n


def tell_cancelled_in_batches(warning_id: int, reason: str = "") -> int:
    """The background part of 解除: everyone reached is told, batch by batch."""
    warning = Warning.objects.filter(pk=warning_id).first()
    if warning is None:
        return 0
    ids = list(
        WarningRecipient.objects.filter(warning=warning).order_by("pk").values_list("pk", flat=True)
    )
    told = 0
    for chunk in _chunks(ids, BATCH):
        with transaction.atomic():
            told += _tell_cancelled(
                None, warning, reason, WarningRecipient.objects.filter(pk__in=chunk)
            )
    return told


# --- reading: progress and who was reached ---


def progress(warning: Warning) -> dict:
    """发布进度: the audience (None while the background task is still finding it), how
    many were reached so far, and whether sending has finished. Read from the ledger
    entries of the publication."""
    entries = dict(
        AuditEntry.objects.filter(
            object_type="hotline.warning",
            object_id=str(warning.pk),
            action__in=[
                "hotline.warning.publish",
                "hotline.warning.audience",
                "hotline.warning.delivered",
            ],
        )
        .order_by("id")
        .values_list("action", "change")
    )
    published = entries.get("hotline.warning.publish") or {}
    found = (entries.get("hotline.warning.audience") or published).get("audience")
    total = int(found) if found is not None else None
    finished = "hotline.warning.delivered" in entries or warning.state == Warning.State.DRAFT
    if finished:
        pct = 100
    elif not total:
        pct = 0
    else:
        pct = min(99, int(warning.reached * 100 / total))
    return {
        "audience": total,
        "reached": warning.reached,
        "percent": pct,
        "finished": finished,
        "background": bool(published.get("background")),
    }


SUMMARY_CACHE_SECONDS = 300


def _area_counts(warning: Warning, reached: set[int]) -> list[dict]:
    """Reached / audience per area × group. Finding the audience again reads the
    registry, so the counts are cached for a few minutes per (warning, state, reached)."""
    from django.core.cache import cache

    key = f"hotline:warning-areas:{warning.pk}:{warning.state}:{len(reached)}"
    found = cache.get(key)
    if found is not None:
        return found
    out = []
    for code, groups in audience(warning).items():
        row: dict[str, Any] = {"code": code, "groups": []}
        everyone: set[int] = set()
        for group in warning.groups:
            members = groups.get(group, set())
            row["groups"].append(
                {"group": group, "reached": len(members & reached), "audience": len(members)}
            )
            everyone |= members
        # One person may be in several groups (a grid worker is staff too): counted once.
        row["total"] = len(everyone & reached)
        row["audience"] = len(everyone)
        out.append(row)
    cache.set(key, out, SUMMARY_CACHE_SECONDS)
    return out


def reach_summary(warning: Warning) -> dict:
    """送达情况: reached counts per area × group and per channel with delivery status
    (pending/sent/failed), and how many read the in-app message."""
    from django.db.models import Count

    from yiwang.core.models import Delivery

    reached = set(
        WarningRecipient.objects.filter(warning=warning).values_list("user_id", flat=True)
    )
    names = dict(warning.divisions.values_list("code", "name"))
    areas = []
    for row in _area_counts(warning, reached):
        groups = [{**g, "label": str(GROUPS.get(g["group"], g["group"]))} for g in row["groups"]]
        areas.append({**row, "name": names.get(row["code"], row["code"]), "groups": groups})
    notes = WarningRecipient.objects.filter(warning=warning).values("notification_id")
    read = WarningRecipient.objects.filter(
        warning=warning, notification__read_at__isnull=False
    ).count()
    channels = [
        {
            "channel": IN_APP,
            "label": _("站内消息"),
            "sent": len(reached),
            "pending": 0,
            "failed": 0,
            "read": read,
        }
    ]
    counts: dict[str, dict[str, int]] = {}
    for r in (
        Delivery.objects.filter(notification_id__in=notes)
        .values("channel", "status")
        .annotate(n=Count("id"))
    ):
        counts.setdefault(r["channel"], {})[r["status"]] = r["n"]
    labels = {"sms": _("短信"), "email": _("邮件")}
    for name in warning.channels:
        c = counts.get(name, {})
        channels.append(
            {
                "channel": name,
                "label": labels.get(name, name),
                "sent": c.get("sent", 0),
                "pending": c.get("pending", 0),
                "failed": c.get("failed", 0),
                "unreachable": len(reached) - sum(c.values()),
            }
        )
    return {"areas": areas, "channels": channels, "reached": len(reached)}


def current(qs=None):
    """Warnings in force (已发布, not lifted), newest first."""
    qs = qs if qs is not None else Warning.objects.all()
    return qs.filter(state=Warning.State.PUBLISHED).order_by("-published_at", "-id")


def public(qs=None):
    """Warnings the public may read: published or lifted (never drafts)."""
    qs = qs if qs is not None else Warning.objects.all()
    return qs.filter(Q(state=Warning.State.PUBLISHED) | Q(state=Warning.State.CANCELLED))
