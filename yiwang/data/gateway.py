"""共享交换网关: what a consuming system may read through its grant. Each call is
authorised by the grant behind its bearer token (fields, period, rate), carries X-Road
style client and request identifiers, and every served record is written to the 用数记录
(DataAccess) and the audit ledger. Nothing beyond the grant leaves the platform."""

from __future__ import annotations

import re
import threading
import uuid
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from yiwang.core import audit, authcache, ratelimit
from yiwang.core.fields import BlindIndexField, index_for
from yiwang.data.models import DataAccess, Person, ShareGrant
from yiwang.data.registry import REGISTRIES, get_value
from yiwang.data.standards import display

SCOPE = "exchange"
CLIENT_HEADER = "X-Road-Client"
ID_HEADER = "X-Road-Id"
IM_CLIENT_HEADER = "Information-Mediator-Client"  # GovStack's name for the same identifier
_ID_RE = re.compile(r"^[A-Za-z0-9._:-]{1,100}$")


class GatewayError(Exception):
    """A refused call: HTTP status, error code and a localised message."""

    def __init__(self, status: int, code: str, message: str):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


@dataclass
class Call:
    """One authorised gateway call: its grant, caller identifiers and the registry."""

    grant: ShareGrant
    registry: str
    client_id: str
    request_id: str
    fields: dict[str, str]  # registry field → item name, everything the grant allows
    user: Any


def client_identifier(grant: ShareGrant) -> str:
    """The X-Road style identifier a grant's system presents: CN/GOV/<dept code>/<system>."""
    system = grant.request.consumer_system if grant.request is not None else grant.client.name
    return f"CN/GOV/{grant.consumer.code}/{system}"


def request_ids(request) -> tuple[str, str]:
    """The caller's X-Road-Client and X-Road-Id (a fresh id when absent or malformed)."""
    client = (
        request.headers.get(CLIENT_HEADER) or request.headers.get(IM_CLIENT_HEADER) or ""
    ).strip()[:200]
    rid = (request.headers.get(ID_HEADER) or "").strip()
    if not _ID_RE.match(rid):
        rid = uuid.uuid4().hex
    return client, rid


_ITEMS: dict[int, list[tuple[str, str]]] = {}


def _items(resource) -> list[tuple[str, str]]:
    """(registry field, item name) of a resource; a published version is never edited,
    so the answer is kept per process."""
    found = _ITEMS.get(resource.pk)
    if found is None or resource.status != "published":
        found = [(f, n) for f, n in resource.items.values_list("field", "name") if f]
        if resource.status == "published" and len(_ITEMS) < 10_000:
            _ITEMS[resource.pk] = found
    return found


def _granted_fields(grant: ShareGrant) -> dict[str, str]:
    names = set(grant.fields)
    return {f: n for f, n in _items(grant.resource) if n in names}


def client_grants(user, registry: str) -> list[ShareGrant]:
    """The API client's share grants over ``registry`` (with resource, consumer, request
    and client), latest expiry first. Kept beside the client's cached account
    (``authcache.remember``): a grant issued, changed or revoked invalidates that account
    (``GrantQuerySet``, ``invalidate_client``), so a call costs no query for them.
    Validity is judged on every call (``open_call``)."""

    def load() -> list[ShareGrant]:
        return list(
            ShareGrant.objects.select_related("resource", "consumer", "request", "client")
            .filter(client__user_id=user.pk, resource__registry=registry)
            .order_by("-expires_at")
        )

    return authcache.remember(user, f"data.gateway.grants:{registry}", load)


def invalidate_client(sender, instance: ShareGrant, **kwargs) -> None:
    """post_save / post_delete of a share grant: its client's cached account and grants
    (also for a new grant, which a cached empty answer would hide)."""
    from yiwang.core.models import ApiClient

    owner = ApiClient.objects.filter(pk=instance.client_id).values_list("user_id", flat=True)
    authcache.invalidate(*owner)


def registry_exists(registry: str) -> bool:
    """A base registry, or a defined registry (自定义名册) that is not stopped."""
    from yiwang.data.models import RegistryDefinition

    if registry in REGISTRIES:
        return True
    return RegistryDefinition.objects.filter(code=registry, archived_at=None).exists()


def open_call(request, registry: str, client_id: str, request_id: str) -> Call:
    """Find the live grant of the calling client for ``registry``, or refuse (403/404).

    A caller naming itself (``X-Road-Client`` / ``Information-Mediator-Client``) must name
    the whole identifier of one of its live grants — instance, class, member and
    subsystem — since that name is what citizens read in "who used my data"."""
    if not registry_exists(registry):
        raise GatewayError(404, "not_found", _("没有这个基础库：%s") % registry[:40])
    scopes = getattr(request, "auth_scopes", None)
    user = request.user
    if scopes is None or SCOPE not in scopes or user.kind != "system":
        raise GatewayError(403, "no_grant", _("共享交换须使用共享授权的接口客户端令牌。"))
    now = timezone.now()
    grants = client_grants(user, registry)
    if not grants:
        raise GatewayError(403, "no_grant", _("您没有该基础库的共享授权。"))
    live = [g for g in grants if g.revoked_at is None and g.starts_at <= now < g.expires_at]
    if not live:
        g = grants[0]
        if g.revoked_at is not None:
            raise GatewayError(403, "grant_revoked", _("该共享授权已被收回。"))
        if g.starts_at > now:
            raise GatewayError(403, "grant_not_started", _("该共享授权尚未生效。"))
        raise GatewayError(403, "grant_expired", _("该共享授权已过期。"))
    if client_id:
        named = [g for g in live if client_identifier(g) == client_id]
        if not named:
            raise GatewayError(
                403, "client_mismatch", _("X-Road-Client 与访问令牌的共享授权不符。")
            )
        grant = named[0]
    else:
        grant = live[0]
        client_id = client_identifier(grant)
    return Call(grant, registry, client_id, request_id, _granted_fields(grant), user)


def throttle(call: Call, n: int = 1) -> None:
    """Count ``n`` records against the grant's per-minute limit (the shared counters of
    ``core.ratelimit``, so every worker counts against one number); 429 over."""
    used = ratelimit.hit(f"gw:{call.grant.pk}", 60, n)
    if used > call.grant.rate_per_minute:
        raise GatewayError(
            429,
            "rate_limited",
            _("调用过于频繁：本授权每分钟最多 %(n)s 条，请稍后再试。")
            % {"n": call.grant.rate_per_minute},
        )


def pick_fields(call: Call, asked: list[str] | None) -> list[str]:
    """The registry fields to return: those asked (by field or item name) or all granted;
    asking for anything outside the grant is refused outright."""
    if not asked:
        return list(call.fields)
    by_name = {v: k for k, v in call.fields.items()}
    out, refused = [], []
    for a in asked:
        a = str(a).strip()
        f = a if a in call.fields else by_name.get(a)
        if f is None:
            refused.append(a[:40])
        elif f not in out:
            out.append(f)
    if refused:
        raise GatewayError(
            403,
            "field_not_granted",
            _("以下信息项不在共享授权范围内：%s") % "、".join(refused[:10]),
        )
    return out


def _json(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return display(value)


def subject_of(call: Call, record) -> str:
    """The blind index of the person a served record is about (人口库 ID number), so
    the citizen finds the read in "who used my data"; for a defined registry, the value
    of its field masked as an ID number (身份证号码), if it has one."""
    if call.registry == "person":
        return record.id_number_index
    if call.registry not in REGISTRIES and record is not None:
        from yiwang.data.defined import decode

        definition = record.definition
        for f in definition.fields:
            if f.get("mask") == "id_number":
                value = decode(record).get(f["name"])
                if isinstance(value, str) and value.strip():
                    return index_for(Person, "id_number", value.strip().upper())
    return ""


def log(call: Call, kind: str, served: list[tuple[Any, str, list[str]]]) -> None:
    """用数记录 and ledger entries for served records: (record or None, subject, fields)."""
    if not served:
        return
    now = timezone.now()
    g = call.grant
    purpose = g.purpose[:200]
    rows = []
    for record, subject, fields in served:
        rows.append(
            DataAccess(
                at=now,
                kind=kind,
                grant=g,
                consumer_id=g.consumer_id,
                provider_id=g.resource.provider_id,
                resource=g.resource,
                registry=call.registry,
                record_id=getattr(record, "pk", None),
                subject_index=subject,
                fields=fields,
                purpose=purpose,
                client_id=call.client_id,
                request_id=call.request_id,
            )
        )
    entries = [
        {
            "actor": call.user,
            "action": f"data.exchange.{kind}",
            "obj": (f"data.{call.registry}", getattr(record, "pk", "") or "-"),
            "purpose": purpose,
            "change": {
                "grant": g.pk,
                "fields": fields,
                "client": call.client_id,
                "request_id": call.request_id,
            },
        }
        for record, _subject_index, fields in served
    ]
    if transaction.get_connection().in_atomic_block:
        _write_log([(rows, entries)])  # inside the caller's transaction, with it
    else:
        LOG_WRITER.write(rows, entries)


def _write_log(parts: list[tuple[list, list[dict]]]) -> None:
    """One transaction: every part's access rows in one bulk insert, then its ledger
    entries."""
    with transaction.atomic():
        DataAccess.objects.bulk_create([row for rows, _entries in parts for row in rows])
        for _rows, entries in parts:
            for entry in entries:
                audit.record(**entry)


class _Waiting:
    """One call's log rows, waiting for the transaction that writes them."""

    def __init__(self, rows: list, entries: list[dict]) -> None:
        self.part = (rows, entries)
        self.done = False
        self.error: BaseException | None = None


class GroupWriter:
    """用数记录 of concurrent calls written together (group commit). A call hands its
    rows over and waits; the first waiting call of a process writes every waiting call's
    rows in one transaction (``_write_log``) and wakes them; calls that arrive meanwhile
    form the next group. No answer leaves before its rows are committed — a failed group
    fails each of its calls — so batching loses nothing a client was told; what it saves
    is a transaction (and, on PostgreSQL, a WAL flush; on SQLite, a turn of the write
    lock) per call when calls come in parallel (a server's threads)."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._pending: list[_Waiting] = []
        self._writing = False

    def write(self, rows: list, entries: list[dict]) -> None:
        """Write ``rows`` (DataAccess) and ``entries`` (ledger) and return once committed."""
        mine = _Waiting(rows, entries)
        with self._cond:
            self._pending.append(mine)
            while not mine.done and self._writing:
                self._cond.wait()
            if mine.done:
                if mine.error is not None:
                    raise mine.error
                return
            self._writing = True
            group, self._pending = self._pending, []
        error: BaseException | None = None
        try:
            _write_log([w.part for w in group])
        except BaseException as exc:  # every call of the group learns it failed
            error = exc
        with self._cond:
            for w in group:
                w.done, w.error = True, error
            self._writing = False
            self._cond.notify_all()
        if error is not None:
            raise error


LOG_WRITER = GroupWriter()


def find(call: Call, keys: list[str]) -> dict[str, Any]:
    """Records of the call's registry by natural key (blind index for persons)."""
    s = REGISTRIES[call.registry]
    keys = [str(k).strip().upper() if s.blind_key else str(k).strip() for k in keys]
    found = {}
    cols = set(call.fields) | {s.key}
    if s.blind_key:
        cols.add(f"{s.key}_index")
    for r in s.model._default_manager.filter(s.key_filter(keys)).only(*cols):
        found[display(getattr(r, s.key))] = r
    return {k: found.get(k) for k in keys}


def values(record, fields: list[str]) -> dict[str, Any]:
    return {f: _json(get_value(record, f)) for f in fields}


def read(call: Call, keys: list[str], asked: list[str] | None, kind: str) -> list[dict]:
    """Records by key, with only the chosen granted fields; each served record logged."""
    fields = pick_fields(call, asked)
    s = REGISTRIES[call.registry]
    throttle(call, max(1, len(keys)))
    records = find(call, keys)
    out, served = [], []
    for key, record in records.items():
        if record is None:
            out.append({"key": key, "found": False, "fields": {}})
            continue
        out.append({"key": key, "found": True, "fields": values(record, fields)})
        served.append((record, subject_of(call, record), fields))
    del s
    log(call, kind, served)
    return out


def verify(call: Call, key: str, claims: dict[str, str], *, require_claims: bool = True) -> bool:
    """核验: whether the record with ``key`` holds exactly ``claims`` — yes or no, nothing
    else. Blind-indexed fields compare by index (nothing decrypted)."""
    if not claims and require_claims:
        raise GatewayError(422, "invalid", _("请至少提供一项待核验的信息。"))
    fields = pick_fields(call, list(claims)) if claims else []
    s = REGISTRIES[call.registry]
    if s.key not in call.fields:
        raise GatewayError(403, "field_not_granted", _("以下信息项不在共享授权范围内：%s") % s.key)
    throttle(call)
    model = s.model
    blind = {f.source: f for f in model._meta.fields if isinstance(f, BlindIndexField)}
    key = str(key).strip()
    # Only the primary key and the compared columns are loaded: blind indexes for
    # encrypted fields, so a verification decrypts nothing.
    cols = {
        f: blind[f].attname if f in blind else (f"{f}_id" if f in s.fk_fields else f)
        for f in fields
    }
    if s.blind_key:
        key = key.upper()
        subject = index_for(model, s.key, key)
        qs = model._default_manager.filter(**{f"{s.key}_index": subject})
    else:
        subject = ""
        qs = model._default_manager.filter(**{s.key: key})
    row = next(iter(qs.values("pk", *cols.values()).order_by()[:1]), None)
    match = row is not None and _holds(call, claims, row, cols, blind)
    record = _Ref(row["pk"]) if row is not None else None
    log(call, "verify", [(record, subject if model is Person else "", sorted({s.key, *fields}))])
    return bool(match)


def _holds(call: Call, claims: dict[str, str], row: dict, cols: dict, blind: dict) -> bool:
    """Whether the loaded ``row`` holds every claim (a claim may name the field or its
    shared name): encrypted fields compare by blind index (盲索引), others by their
    canonical text. Every claim is compared, without stopping at the first that fails."""
    model = REGISTRIES[call.registry].model
    match = True
    for f, col in cols.items():
        wanted = str(claims.get(f, claims.get(call.fields[f], ""))).strip()
        if f in blind:
            match &= row[col] == index_for(model, f, wanted)
        else:
            match &= display(row[col]) == wanted
    return match


@dataclass
class _Ref:
    pk: int


def batch_max() -> int:
    return int(settings.YIWANG.get("SHARE_BATCH_MAX", 100))
