"""Sealing and verifying the audit ledger (全程留痕, 可溯可查): SM3 Merkle trees over
entry leaves, blocks chained by head and signed with the platform SM2 key.

Tree rules (a third party can reimplement them from this docstring):

* a leaf is the entry's stored ``leaf`` = SM3(0x00 ‖ canonical entry fields);
* an interior node is SM3(0x01 ‖ left ‖ right) over the raw 32-byte children;
* on a level with an odd number of nodes the last node is *promoted* unchanged to the
  next level (never duplicated, so no two leaf lists share a root);
* a block head is SM3 over the canonical JSON header (number, first/last entry id,
  count, SM3 digest of the id list, Merkle root, previous head, sealed time); the
  signature is SM2 with SM3 and the default ID over the 32 raw head bytes, DER, base64.
"""

from __future__ import annotations

import base64
import gc
import hashlib
import json
import logging
import multiprocessing
import os
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from django.conf import settings
from django.db import IntegrityError, connection, connections, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from yiwang.core import audit, crypto, signing

log = logging.getLogger(__name__)

ZERO_HEAD = "0" * 64
LEAF_FIELDS = (
    "id",
    "at",
    "actor_id",
    "actor_label",
    "action",
    "object_type",
    "object_id",
    "purpose",
    "digest",
    "change",
    "leaf",
    "block_id",
)
# Arbitrary constant naming the sealer's PostgreSQL advisory lock.
_SEAL_LOCK = 0x59_57_4C_45_44_47


# --- Merkle tree (默克尔树) ---


def node_hash(left: bytes, right: bytes) -> bytes:
    """Interior node: SM3(0x01 ‖ left ‖ right)."""
    return crypto.sm3(b"\x01" + left + right)


# A 0x01-prefixed SM3 state, copied per interior node.
_NODE_STATE = hashlib.new("sm3", b"\x01")


def _root(level: list[bytes]) -> bytes:
    """Root over raw 32-byte leaves (``merkle_root`` without hex)."""
    if not level:
        raise ValueError("a Merkle tree needs at least one leaf")
    copy = _NODE_STATE.copy
    while len(level) > 1:
        nxt = []
        for i in range(0, len(level) - 1, 2):
            h = copy()
            h.update(level[i])
            h.update(level[i + 1])
            nxt.append(h.digest())
        if len(level) % 2:
            nxt.append(level[-1])
        level = nxt
    return level[0]


def merkle_root(leaves: list[str]) -> str:
    """Root over hex leaf hashes; the last node of an odd level is promoted unchanged."""
    return _root([bytes.fromhex(h) for h in leaves]).hex()


def merkle_path(leaves: list[str], index: int) -> list[dict[str, str]]:
    """Sibling hashes from leaf ``index`` up to the root: ``[{"side", "hash"}]`` where
    ``side`` says on which side the sibling sits; promoted levels contribute nothing."""
    level = [bytes.fromhex(h) for h in leaves]
    path: list[dict[str, str]] = []
    while len(level) > 1:
        sibling = index ^ 1
        if sibling < len(level):
            side = "left" if sibling < index else "right"
            path.append({"side": side, "hash": level[sibling].hex()})
        nxt = [node_hash(level[i], level[i + 1]) for i in range(0, len(level) - 1, 2)]
        if len(level) % 2:
            nxt.append(level[-1])
        level, index = nxt, index // 2
    return path


def path_sides(index: int, count: int) -> list[str]:
    """The sibling sides a valid path for leaf ``index`` of ``count`` must have."""
    sides: list[str] = []
    while count > 1:
        sibling = index ^ 1
        if sibling < count:
            sides.append("left" if sibling < index else "right")
        index, count = index // 2, (count + 1) // 2
    return sides


def root_from_path(leaf: str, path: list[dict[str, str]]) -> str:
    """Fold a leaf up its path to the root it implies."""
    node = bytes.fromhex(leaf)
    for step in path:
        sibling = bytes.fromhex(step["hash"])
        node = node_hash(sibling, node) if step["side"] == "left" else node_hash(node, sibling)
    return node.hex()


# --- Block headers (区块头) ---


def ids_digest(ids: list[int]) -> str:
    """SM3 over the canonical id list: binds each leaf position to its entry id."""
    return crypto.sm3_hex(audit.canonical(ids))


def header_fields(block: Any) -> dict[str, Any]:
    """The signed header of a block (an AuditBlock or a dict with the same keys)."""
    get = block.get if isinstance(block, dict) else lambda k: getattr(block, k)
    sealed_at = get("sealed_at")
    if isinstance(sealed_at, datetime):
        sealed_at = sealed_at.isoformat(timespec="microseconds")
    return {
        "number": get("number"),
        "first_entry": get("first_entry"),
        "last_entry": get("last_entry"),
        "count": get("count"),
        "ids": get("ids"),
        "merkle_root": get("merkle_root"),
        "prev_head": get("prev_head"),
        "sealed_at": sealed_at,
    }


def block_header(block: Any) -> dict[str, Any]:
    """Header of a stored AuditBlock, with the id digest computed from its leaf list."""
    fields = {
        "number": block.number,
        "first_entry": block.first_entry,
        "last_entry": block.last_entry,
        "count": block.count,
        "ids": ids_digest([int(i) for i, _ in block.leaves]),
        "merkle_root": block.merkle_root,
        "prev_head": block.prev_head,
        "sealed_at": block.sealed_at,
    }
    return header_fields(fields)


def head_hash(header: dict[str, Any]) -> str:
    """区块头哈希: SM3 over the canonical JSON header."""
    return crypto.sm3_hex(audit.canonical(header))


def sign_head(head: str) -> str:
    """SM2-sign the 32 head bytes with the platform key; base64 DER."""
    return base64.b64encode(signing.platform_sign(bytes.fromhex(head))).decode()


def signature_valid(head: str, signature: str, public_pem: str) -> bool:
    """Check a base64 DER SM2 signature over the 32 head bytes; False on any malformation."""
    try:
        sig = base64.b64decode(signature, validate=True)
        message = bytes.fromhex(head)
        return signing.platform_verify(sig, message, public_pem)
    except Exception:  # malformed base64, hex or PEM: not a valid signature
        return False


# --- Sealing (封存) ---


@dataclass
class SealResult:
    """What one ``seal_pending`` run did: block numbers made, entries sealed, and the id
    watermark it respected (PostgreSQL)."""

    blocks: list[int] = field(default_factory=list)
    entries: int = 0
    watermark: int | None = None


def _settings() -> dict[str, Any]:
    return getattr(settings, "YIWANG", {})


_WRITERS_SQL = """
    SELECT virtualtransaction::text FROM pg_locks
    WHERE locktype = 'relation' AND mode = 'RowExclusiveLock' AND granted
      AND relation = %(table)s::regclass AND pid <> pg_backend_pid()
      AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
"""


def _pg_watermark(wait_seconds: float) -> int | None:
    """Highest entry id below which no insert can still be in flight (PostgreSQL).

    An INSERT takes its table lock before it draws an id from the sequence, so after
    reading the sequence, every transaction still holding an id at or below it is among
    the current lock holders: wait for exactly those to end (newer writers never block
    sealing). Returns None when one is still open after ``wait_seconds``.
    """
    from yiwang.core.models import AuditEntry

    table = AuditEntry._meta.db_table
    with connection.cursor() as cur:
        cur.execute("SELECT pg_sequence_last_value(pg_get_serial_sequence(%s, 'id'))", [table])
        last = cur.fetchone()[0]
        if last is None:
            return 0
        cur.execute(_WRITERS_SQL, {"table": table})
        writers = [row[0] for row in cur.fetchall()]
        deadline = time.monotonic() + wait_seconds
        while writers:
            cur.execute(
                f"SELECT x FROM ({_WRITERS_SQL}) AS w(x) WHERE x = ANY(%(writers)s)",
                {"table": table, "writers": writers},
            )
            writers = [row[0] for row in cur.fetchall()]
            if writers and time.monotonic() >= deadline:
                log.info("ledger: %d writers still open, sealing later", len(writers))
                return None
            if writers:
                time.sleep(0.02)
    return int(last)


def _lock_sealer() -> None:
    """Only one sealer at a time: an advisory lock on PostgreSQL; on SQLite the
    IMMEDIATE transaction already holds the write lock."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute("SELECT pg_advisory_xact_lock(%s)", [_SEAL_LOCK])


def _seal_one(*, cutoff: datetime, watermark: int | None, size: int) -> tuple[int, int] | None:
    """Seal the next run of entries into one block; returns (number, count) or None."""
    from yiwang.core.models import AuditBlock, AuditEntry

    with transaction.atomic():
        _lock_sealer()
        last = AuditBlock.objects.defer("leaves").order_by("-number").first()
        after = last.last_entry if last else 0
        qs = AuditEntry.objects.filter(block__isnull=True, id__gt=after)
        if watermark is not None:
            qs = qs.filter(id__lte=watermark)
        rows = list(qs.order_by("id").values_list("id", "leaf", "at")[:size])
        # Seal in id order and stop at the first entry still inside the grace period.
        for n, row in enumerate(rows):
            if row[2] >= cutoff:
                rows = rows[:n]
                break
        if not rows:
            return None
        leaves: list[list[Any]] = [[entry_id, leaf] for entry_id, leaf, _ in rows]
        block = AuditBlock(
            number=(last.number + 1) if last else 1,
            first_entry=rows[0][0],
            last_entry=rows[-1][0],
            count=len(rows),
            leaves=leaves,
            merkle_root=merkle_root([leaf for _, leaf in leaves]),
            prev_head=last.head if last else ZERO_HEAD,
            sealed_at=timezone.now(),
            key_id=crypto.platform_key_id(),
        )
        block.head = head_hash(block_header(block))
        block.signature = sign_head(block.head)
        block.save(force_insert=True)
        ids = [entry_id for entry_id, _ in leaves]
        updated = AuditEntry.objects.filter(id__in=ids, block__isnull=True).update(block=block)
        if updated != block.count:
            # An entry vanished or appeared under us: undo this block, try again later.
            raise IntegrityError(f"ledger block {block.number}: {updated} != {block.count}")
        return block.number, block.count


def seal_pending(
    *,
    block_size: int | None = None,
    grace_seconds: float | None = None,
    max_blocks: int | None = None,
    wait_seconds: float = 10.0,
) -> SealResult:
    """Group unsealed entries (older than the grace period, in id order) into signed
    blocks chained to the previous head. Safe to run in several processes at once.

    Sealing is ledger bookkeeping, not a domain write, so it adds no entry of its own
    (that entry would need sealing in turn).
    """
    audit.flush()  # entries this transaction recorded are sealed like any other
    conf = _settings()
    size = int(block_size or conf.get("LEDGER_BLOCK_SIZE", 1000))
    grace = float(
        conf.get("LEDGER_SEAL_GRACE_SECONDS", 2) if grace_seconds is None else grace_seconds
    )
    result = SealResult()
    if connection.vendor == "postgresql":
        result.watermark = _pg_watermark(wait_seconds)
        if result.watermark is None:
            return result
    cutoff = timezone.now() - timedelta(seconds=grace)
    retries = 0
    while max_blocks is None or len(result.blocks) < max_blocks:
        try:
            sealed = _seal_one(cutoff=cutoff, watermark=result.watermark, size=size)
        except IntegrityError:
            # Another sealer took this block number (databases without the lock).
            retries += 1
            if retries > 5:
                raise
            continue
        if sealed is None:
            break
        result.blocks.append(sealed[0])
        result.entries += sealed[1]
    return result


# --- Sealing alarm (封存告警) ---


def alarm_seconds() -> float:
    """How long an entry may wait unsealed before it raises the alarm:
    ``YIWANG["LEDGER_SEAL_ALARM_SECONDS"]`` (60 s), and never less than two sealing
    rounds (twice interval + grace), so a seal merely due does not raise it."""
    conf = _settings()
    every = float(conf.get("LEDGER_SEAL_EVERY_SECONDS", 10))
    grace = float(conf.get("LEDGER_SEAL_GRACE_SECONDS", 2))
    return max(float(conf.get("LEDGER_SEAL_ALARM_SECONDS", 60)), 2 * (every + grace))


@dataclass(frozen=True)
class SealStatus:
    """封存状态: entries waiting to be sealed, and those waiting longer than
    ``alarm_after`` seconds (``overdue``, the oldest recorded at ``overdue_since``) —
    the ledger is not being sealed, e.g. no ``yiwang worker`` runs."""

    unsealed: int
    overdue: int
    overdue_since: datetime | None
    alarm_after: float
    last_sealed_at: datetime | None

    @property
    def alarm(self) -> bool:
        return self.overdue > 0


def seal_status() -> SealStatus:
    """How far sealing lags behind (for the audit page and the API)."""
    from django.db.models import Count, Min

    from yiwang.core.models import AuditBlock, AuditEntry

    after = alarm_seconds()
    cutoff = timezone.now() - timedelta(seconds=after)
    unsealed = AuditEntry.objects.filter(block__isnull=True)
    overdue = unsealed.filter(at__lt=cutoff).aggregate(n=Count("id"), since=Min("at"))
    last = AuditBlock.objects.order_by("-number").values_list("sealed_at", flat=True).first()
    return SealStatus(
        unsealed=unsealed.count(),
        overdue=overdue["n"],
        overdue_since=overdue["since"],
        alarm_after=after,
        last_sealed_at=last,
    )


# --- Verification (校验) ---

KIND_LABELS = {
    "edited": gettext_lazy("篡改"),
    "deleted": gettext_lazy("删除"),
    "inserted": gettext_lazy("插入"),
    "reordered": gettext_lazy("顺序被调换"),
    "broken_chain": gettext_lazy("链断裂"),
    "bad_head": gettext_lazy("区块头不符"),
    "bad_signature": gettext_lazy("签名无效"),
    "bad_root": gettext_lazy("默克尔根不符"),
}


@dataclass(frozen=True)
class Problem:
    """One finding: ``kind`` (see KIND_LABELS) at an entry id or a block number."""

    kind: str
    entry: int | None = None
    block: int | None = None
    detail: str = ""

    def describe(self) -> str:
        """One line naming the place first, e.g. ``记录 #42，区块 3：篡改 [edited] — …``."""
        where = []
        if self.entry is not None:
            where.append(_("记录 #%(id)s") % {"id": self.entry})
        if self.block is not None:
            where.append(_("区块 %(n)s") % {"n": self.block})
        label = KIND_LABELS.get(self.kind, self.kind)
        text = f"{'，'.join(where)}：{label} [{self.kind}]"
        return f"{text} — {self.detail}" if self.detail else text

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "entry": self.entry,
            "block": self.block,
            "detail": str(self.detail),
            "message": self.describe(),
        }


@dataclass
class VerifyResult:
    """Outcome of ``verify_ledger``: problems in ledger order, first problem first."""

    problems: list[Problem] = field(default_factory=list)
    blocks: int = 0
    entries: int = 0
    unsealed: int = 0
    head: str | None = None

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def first(self) -> Problem | None:
        return self.problems[0] if self.problems else None


# Columns verification reads for an entry it checks in full, in this order.
_ENTRY_COLUMNS = (
    "id",
    "block_id",
    "leaf",
    "body",
    "at",
    "actor_id",
    "actor_label",
    "action",
    "object_type",
    "object_id",
    "purpose",
    "digest",
    "change",
)
_FETCH_ROWS = 2000
# A 0x00-prefixed SM3 state, copied per leaf: cheaper than a new context per hash.
_LEAF_STATE = hashlib.new("sm3", b"\x00")

# "The stored leaf bytes are exactly these columns" (``same``), asked for every entry in
# the query that reads its bytes. SQLite answers it: the canonical JSON joined from the
# columns (json_quote encodes a string as one JSON string token, the change column holds
# the canonical JSON record() wrote, the time is Django's UTC text, without fraction at
# a whole second) compared with body. On PostgreSQL the same joining costs the server
# more than Python (jsonb has no canonical text), so Python joins the columns, the
# change re-encoded from jsonb. Equal bytes mean equal columns (each part is one
# self-delimiting token); anything else, including a false from a spelling quoted
# differently, goes to the full check in Python.
_SQLITE_SAME = """body = CAST(
  '{"action":' || json_quote(action) || ',"actor":' || coalesce(actor_id, 'null')
  || ',"actor_label":' || json_quote(actor_label)
  || ',"at":' || json_quote(replace(CAST("at" AS TEXT), ' ', 'T')
    || CASE length(CAST("at" AS TEXT)) WHEN 19 THEN '.000000' ELSE '' END || '+00:00')
  || ',"change":' || change || ',"digest":' || json_quote(digest)
  || ',"object_id":' || json_quote(object_id) || ',"object_type":' || json_quote(object_type)
  || ',"purpose":' || json_quote(purpose) || '}' AS BLOB)"""
# PostgreSQL: the columns for Python to join, the time already as the leaf has it.
_POSTGRES_COLUMNS = """to_char(e.at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"+00:00"'),
  e.actor_id, e.actor_label, e.action, e.object_type, e.object_id, e.purpose, e.digest,
  e.change::text"""


class _Link(NamedTuple):
    """What chaining needs of a block: its number, head and last entry id."""

    number: int
    head: str
    last_entry: int


class _Rows:
    """Reads a block's entries for verification.

    ``fetch`` gives ``(id, block_id, leaf, body, same)`` per row, ``same`` being the
    database's answer whether the stored bytes are exactly the columns (see
    ``_SQLITE_SAME``); ``full`` reads whole rows for the entries that need the exact
    check, which rebuilds the leaf bytes in Python with Django's converters."""

    def __init__(self, conn) -> None:
        self.conn = conn
        quote = conn.ops.quote_name
        table = quote(_entry_table())
        self.joined_here = conn.vendor == "postgresql"
        if self.joined_here:
            same = _POSTGRES_COLUMNS
        elif conn.vendor == "sqlite" and conn.timezone_name == "UTC":
            same = _SQLITE_SAME
        else:
            same = "NULL"
        head = f"SELECT e.id, e.block_id, e.leaf, e.body, {same} FROM {table} e"
        self.in_range = f"{head} WHERE e.id >= %s AND e.id <= %s ORDER BY e.id"
        self.strays = f"{head} WHERE e.block_id = %s AND (e.id < %s OR e.id > %s) ORDER BY e.id"
        columns = ", ".join(quote(c) for c in _ENTRY_COLUMNS)
        self.whole = f"SELECT {columns} FROM {table} WHERE id IN (%s) ORDER BY id"

    def fetch(self, block) -> Iterator[tuple]:
        """``(id, block_id, leaf, body, same)`` for the rows inside the block's id range,
        then for rows outside it claiming the block."""
        lo, hi = block.first_entry, block.last_entry
        with self.conn.cursor() as cur:
            for sql, params in ((self.in_range, [lo, hi]), (self.strays, [block.pk, lo, hi])):
                cur.execute(sql, params)
                while rows := cur.fetchmany(_FETCH_ROWS):
                    if self.joined_here:
                        yield from map(_joined_same, rows)
                    else:
                        yield from rows

    def full(self, ids: list[int]) -> Iterator[tuple]:
        """Whole rows (``_ENTRY_COLUMNS``) for ``ids``."""
        with self.conn.cursor() as cur:
            for start in range(0, len(ids), 500):
                chunk = ids[start : start + 500]
                cur.execute(self.whole % ", ".join(["%s"] * len(chunk)), chunk)
                yield from cur.fetchall()

    def at(self, value: Any) -> str:
        if not (isinstance(value, datetime) and value.tzinfo is not None):
            value = self.conn.ops.convert_datetimefield_value(value, None, self.conn)
        return value.isoformat(timespec="microseconds")

    def leaf_bytes(self, row: tuple) -> bytes:
        """The canonical leaf bytes of a whole row, as ``audit.leaf_fields`` would give
        them for the entry read through the ORM."""
        change = row[12]
        change = audit.canonical_text(json.loads(change) if isinstance(change, str) else change)
        actor, label, action, object_type, object_id, purpose, digest = row[5:12]
        return audit.leaf_text(
            self.at(row[4]), actor, label, action, object_type, object_id, purpose, digest, change
        ).encode()


def _joined_same(row: tuple) -> tuple:
    """``(id, block_id, leaf, body, same)`` from a PostgreSQL row of ``_POSTGRES_COLUMNS``:
    the leaf bytes joined from the columns, the change re-encoded canonically."""
    eid, block_id, leaf, body, at, actor, label, action, otype, oid, purpose, digest, change = row
    if body is None:
        return eid, block_id, leaf, body, False
    try:
        change = audit.canonical_text(json.loads(change))
    except ValueError:
        return eid, block_id, leaf, body, False
    joined = audit.leaf_text(at, actor, label, action, otype, oid, purpose, digest, change)
    return eid, block_id, leaf, body, joined.encode() == body


def _entry_table() -> str:
    from yiwang.core.models import AuditEntry

    return AuditEntry._meta.db_table


def _entry_problem(row: tuple, block, listed: dict[int, str], rows: _Rows) -> Problem | None:
    """Why an entry failed the quick check (or None: it was sound after all). Same
    findings as comparing the leaf recomputed from the fields with the stored and the
    listed leaf; and the stored leaf bytes, where present, must be those fields'."""
    eid, n = row[0], block.number
    built = rows.leaf_bytes(row)
    recomputed = crypto.sm3_hex(b"\x00" + built)
    if recomputed == listed[eid] == row[2]:
        if row[1] != block.pk:
            return Problem("edited", eid, n, _("所属区块被改动"))
        if row[3] is not None and bytes(row[3]) != built:
            return Problem("edited", eid, n, _("存储的记录原文与记录内容不符"))
        return None
    elsewhere = [int(i) for i, leaf in block.leaves if leaf == recomputed and int(i) != eid]
    if elsewhere:
        detail = _("内容与区块中记录 #%(id)s 的哈希一致") % {"id": elsewhere[0]}
        return Problem("reordered", eid, n, detail)
    if recomputed != row[2]:
        return Problem("edited", eid, n, _("重新计算的记录哈希与存储值不符"))
    return Problem("edited", eid, n, _("存储的记录哈希与封存时不符"))


def _check_entries(block, rows: _Rows) -> tuple[list[Problem], int]:
    """Compare the rows found for a block with the leaves it lists; (problems, rows).

    The hot loop: where the database found the stored bytes to be exactly the columns,
    hash the bytes once and compare with the listed and the stored leaf. Every other
    row gets the exact check (``_entry_problem``)."""
    listed: dict[int, str] = dict(block.leaves)  # well formed: [id, leaf] pairs
    out: list[Problem] = []
    seen: set[int] = set()
    again: list[int] = []
    n, pk = block.number, block.pk
    copy = _LEAF_STATE.copy
    for eid, block_id, leaf, body, same in rows.fetch(block):
        seen.add(eid)
        want = listed.get(eid)
        if want is None:
            if block_id == pk:
                detail = _("指向该区块，但不在其记录清单中")
            else:
                detail = _("位于该区块的编号范围内，但不在其记录清单中")
            out.append(Problem("inserted", eid, n, detail))
            continue
        if same and block_id == pk:
            h = copy()
            h.update(body)
            if h.hexdigest() == want == leaf:
                continue
        again.append(eid)
    for row in rows.full(again):
        problem = _entry_problem(row, block, listed, rows)
        if problem is not None:
            out.append(problem)
    out.extend(
        Problem("deleted", i, n, _("区块清单中有此记录，但已不存在"))
        for i in listed
        if i not in seen
    )
    out.sort(key=lambda p: p.entry or 0)
    return out, len(seen)


def _chain_problem(block, prev: _Link | None, start: int) -> Problem | None:
    """How ``block`` fails to follow ``prev`` in the chain (区块链式): a missing block
    before it, or a previous-head link that does not match. ``start`` > 1 means the
    check begins part-way, so a block before it must exist."""
    n = block.number
    expected_number = prev.number + 1 if prev else start
    expected_prev = prev.head if prev else ZERO_HEAD
    if n != expected_number or (start > 1 and prev is None):
        missing = expected_number if n != expected_number else start - 1
        return Problem("broken_chain", None, n, _("缺少区块 %(n)s") % {"n": missing})
    if block.prev_head != expected_prev:
        return Problem("broken_chain", None, n, _("上一区块头与前一区块不符"))
    return None


def _check_block(
    block, leaves: list[bytes], prev: _Link | None, keys: tuple[str, str], start: int = 1
) -> list[Problem]:
    n = block.number
    out: list[Problem] = []
    chain = _chain_problem(block, prev, start)
    if chain is not None:
        out.append(chain)
    ids = [int(i) for i, _ in block.leaves]
    if ids != sorted(set(ids)):
        out.append(Problem("reordered", None, n, _("记录清单未按编号排序")))
    if not ids or (ids[0], ids[-1], len(ids)) != (block.first_entry, block.last_entry, block.count):
        out.append(Problem("bad_head", None, n, _("记录清单与首尾编号或条数不符")))
    if head_hash(block_header(block)) != block.head:
        out.append(Problem("bad_head", None, n, _("重新计算的区块头与存储值不符")))
    public_pem, key_id = keys
    if block.key_id != key_id or not signature_valid(block.head, block.signature, public_pem):
        out.append(Problem("bad_signature", None, n, _("SM2 签名验证失败")))
    if leaves and _root(leaves).hex() != block.merkle_root:
        out.append(Problem("bad_root", None, n, _("重新计算的默克尔根与存储值不符")))
    return out


def _listed_leaves(leaves: Any) -> list[bytes] | None:
    """The raw leaf hashes when ``leaves`` is a list of [integer id, 64-hex leaf] pairs;
    None when it is not (a malformed list)."""
    if not isinstance(leaves, list) or not leaves:
        return None
    out: list[bytes] = []
    append, fromhex = out.append, bytes.fromhex
    try:
        for item in leaves:
            if type(item) is not list or len(item) != 2:
                return None
            entry_id, leaf = item
            if type(entry_id) is not int or type(leaf) is not str or len(leaf) != 64:
                return None
            append(fromhex(leaf))
    except ValueError:
        return None
    return out


@dataclass
class _Part:
    """What verifying one run of blocks found (merged in block order)."""

    problems: list[Problem] = field(default_factory=list)
    blocks: int = 0
    entries: int = 0


def _verify_blocks(first: int, last: int, prev: _Link | None, start: int) -> _Part:
    """Verify blocks ``first``..``last``, ``prev`` being the block before ``first``.
    Runs in the calling process or in a worker process (its own connection)."""
    from django.db import router

    from yiwang.core.models import AuditBlock, AuditEntry

    part = _Part()
    keys = (crypto.platform_public_pem(), crypto.platform_key_id())
    rows = _Rows(connections[router.db_for_read(AuditEntry)])
    blocks = AuditBlock.objects.filter(number__gte=first, number__lte=last).order_by("number")
    for block in blocks.iterator(chunk_size=20):
        part.blocks += 1
        leaves = _listed_leaves(block.leaves)
        if leaves is None:
            part.problems.append(Problem("bad_root", None, block.number, _("记录清单格式错误")))
        else:
            part.problems += _check_block(block, leaves, prev, keys, start=start)
            entry_problems, count = _check_entries(block, rows)
            part.problems += entry_problems
            part.entries += count
        prev = _Link(block.number, block.head, block.last_entry)
    return part


def _runs(links: list[_Link], prev: _Link | None, parts: int) -> list[tuple]:
    """Split the blocks into up to ``parts`` consecutive runs of about equal size:
    ``(first, last, block before first)`` each."""
    if not links:
        return []
    size = max(1, -(-len(links) // max(1, parts)))
    runs = []
    for i in range(0, len(links), size):
        chunk = links[i : i + size]
        runs.append((chunk[0].number, chunk[-1].number, links[i - 1] if i else prev))
    return runs


def _may_fork(processes: int, blocks: int) -> bool:
    """Worker processes only from a plain process state: a command, not a transaction
    (a worker cannot see it), not an in-memory database, and enough blocks to share."""
    if processes < 2 or blocks < 2 * processes:
        return False
    if connection.in_atomic_block:
        return False
    if connection.vendor == "sqlite" and connection.is_in_memory_db():  # type: ignore[attr-defined]
        return False
    return "fork" in multiprocessing.get_all_start_methods()


def _verify_parts(runs: list[tuple], start: int, processes: int) -> list[_Part]:
    """Each run's findings, in order: in this process, or in ``processes`` workers."""
    if processes < 2:
        return [_verify_blocks(a, b, p, start) for a, b, p in runs]
    # Children open their own connections: none may inherit this process's socket.
    connections.close_all()
    # Objects that exist before the fork stay out of the children's garbage collection,
    # which would otherwise touch (and so copy) every inherited page.
    gc.freeze()
    try:
        with multiprocessing.get_context("fork").Pool(processes) as pool:
            return pool.starmap(_verify_blocks, [(a, b, p, start) for a, b, p in runs])
    finally:
        gc.unfreeze()


def default_processes() -> int:
    """Worker processes for ``yiwang audit verify``: ``YIWANG["LEDGER_VERIFY_PROCESSES"]``,
    else one per CPU (at most 8)."""
    conf = _settings().get("LEDGER_VERIFY_PROCESSES")
    return int(conf) if conf else min(8, os.cpu_count() or 1)


def verify_ledger(
    *, from_block: int = 1, anchors: Iterable[str] = (), processes: int = 1
) -> VerifyResult:
    """Re-derive every leaf, root, head and signature; report what does not hold.

    ``from_block`` > 1 checks only that block onwards, trusting the head of the block
    before it (one verified earlier or published), so routine checks stay short.
    ``anchors`` are heads published earlier: each must still be in the chain, which
    catches a ledger cut off at its end (the last blocks deleted with their entries).
    ``processes`` > 1 verifies runs of blocks in that many worker processes where it
    can (``_may_fork``); the findings are the same, in the same order.
    """
    from yiwang.core.models import AuditBlock, AuditEntry

    audit.flush()
    result = VerifyResult()
    from_block = max(1, from_block)
    before = (
        AuditBlock.objects.filter(number=from_block - 1)
        .values_list("number", "head", "last_entry")
        .first()
        if from_block > 1
        else None
    )
    prev = _Link(*before) if before else None
    links = [
        _Link(*row)
        for row in AuditBlock.objects.filter(number__gte=from_block)
        .order_by("number")
        .values_list("number", "head", "last_entry")
    ]
    runs = _runs(links, prev, processes * 2 if processes > 1 else 1)
    parallel = _may_fork(processes, len(links))
    for part in _verify_parts(runs, from_block, processes if parallel else 1):
        result.problems += part.problems
        result.blocks += part.blocks
        result.entries += part.entries
    last_sealed = max([prev.last_entry if prev else 0, *(link.last_entry for link in links)])
    result.head = links[-1].head if links else (prev.head if prev else None)
    wanted = {a.strip().lower() for a in anchors if a.strip()}
    if wanted:
        found = set(AuditBlock.objects.filter(head__in=wanted).values_list("head", flat=True))
        for head in sorted(wanted - found):
            detail = _("已发布的区块头 %(head)s 不在账本中") % {"head": head}
            result.problems.append(Problem("broken_chain", None, None, detail))
    for eid in (
        AuditEntry.objects.filter(block__isnull=True, id__lte=last_sealed)
        .order_by("id")
        .values_list("id", flat=True)
    ):
        result.problems.append(
            Problem("inserted", eid, None, _("未封存的记录出现在已封存的编号范围内"))
        )
    result.unsealed = AuditEntry.objects.filter(block__isnull=True).count()
    return result


# --- Inclusion proofs (存在性证明) ---


class NotSealed(LookupError):
    """The entry exists but no block holds it yet."""


class NotListed(LookupError):
    """The entry points at a block that does not list it (see ``verify_ledger``)."""


def inclusion_proof(entry_id: int) -> dict[str, Any]:
    """Everything a third party needs to check that entry ``entry_id`` is in a signed
    block: its fields, leaf, position, Merkle path, block header, head and signature."""
    from yiwang.core.models import AuditEntry

    entry = AuditEntry.objects.select_related("block").get(pk=entry_id)
    block = entry.block
    if block is None:
        raise NotSealed(entry_id)
    ids = [int(i) for i, _ in block.leaves]
    leaves = [leaf for _, leaf in block.leaves]
    if entry.pk not in ids:
        raise NotListed(entry_id)
    index = ids.index(entry.pk)
    return {
        "entry": {"id": entry.pk, **audit.leaf_fields(entry)},
        "leaf": leaves[index],
        "index": index,
        "path": merkle_path(leaves, index),
        "root": block.merkle_root,
        "block": {**block_header(block), "ids_list": ids},
        "block_number": block.number,
        "head": block.head,
        "prev_head": block.prev_head,
        "signature": block.signature,
        "key_id": block.key_id,
        "public_key": crypto.platform_public_pem(),
        "algorithms": {
            "leaf": "SM3(0x00 || canonical JSON of entry fields without id)",
            "node": "SM3(0x01 || left || right); odd last node promoted",
            "head": "SM3(canonical JSON of block header)",
            "signature": "SM2 with SM3, default ID, over the 32 head bytes; DER, base64",
        },
    }


@dataclass(frozen=True)
class ProofCheck:
    """Outcome of ``verify_proof``: truthy when sound, else ``reason`` names the failed step."""

    ok: bool
    reason: str = ""

    def __bool__(self) -> bool:
        return self.ok


def verify_proof(proof: dict[str, Any]) -> ProofCheck:
    """Check an inclusion proof using only its own content (no database): leaf from the
    entry fields, path to the root, header to the head, SM2 signature over the head.
    The checks run in that order and the first that fails is reported."""
    try:
        for check in (_proof_entry, _proof_position, _proof_path, _proof_head):
            problem = check(proof)
            if problem is not None:
                return ProofCheck(False, problem)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        return ProofCheck(False, _("证明格式有误：%(error)s") % {"error": exc})
    return ProofCheck(True)


def _proof_entry(proof: dict[str, Any]) -> str | None:
    """The leaf is the SM3 hash of the entry's fields, and the entry's digest that of
    its change (变更摘要)."""
    entry = dict(proof["entry"])
    entry.pop("id")
    fields = {
        "at": entry["at"],
        "actor": entry["actor"],
        "actor_label": entry["actor_label"],
        "action": entry["action"],
        "object_type": entry["object_type"],
        "object_id": entry["object_id"],
        "purpose": entry["purpose"],
        "digest": entry["digest"],
        "change": entry["change"],
    }
    if crypto.sm3_hex(b"\x00" + audit.canonical(fields)) != proof["leaf"]:
        return _("记录哈希与记录内容不符")
    if crypto.sm3_hex(audit.canonical(entry["change"])) != entry["digest"]:
        return _("变更摘要与变更内容不符")
    return None


def _proof_position(proof: dict[str, Any]) -> str | None:
    """The entry sits at the stated index of the block's id list, and that list is the
    one the block header commits to."""
    entry_id = dict(proof["entry"])["id"]
    block = proof["block"]
    ids = [int(i) for i in block["ids_list"]]
    index = int(proof["index"])
    if not 0 <= index < len(ids) or ids[index] != entry_id:
        return _("记录编号不在所述位置")
    if len(ids) != block["count"] or ids_digest(ids) != block["ids"]:
        return _("编号清单与区块头不符")
    return None


def _proof_path(proof: dict[str, Any]) -> str | None:
    """The Merkle path (默克尔路径) has the shape the position calls for and leads from
    the leaf to the block's root."""
    block = proof["block"]
    path = proof["path"]
    if [step["side"] for step in path] != path_sides(int(proof["index"]), block["count"]):
        return _("默克尔路径形状与位置不符")
    if root_from_path(proof["leaf"], path) != block["merkle_root"]:
        return _("默克尔路径推不出区块的默克尔根")
    if proof["root"] != block["merkle_root"]:
        return _("所述默克尔根与区块头不符")
    return None


def _proof_head(proof: dict[str, Any]) -> str | None:
    """The block header hashes to the head, links to the stated previous head, and the
    head carries a valid SM2 signature by the key named."""
    block = proof["block"]
    if head_hash(header_fields(block)) != proof["head"]:
        return _("区块头内容与区块头哈希不符")
    if block["prev_head"] != proof["prev_head"]:
        return _("上一区块头与区块头内容不符")
    if crypto.sm3_hex(proof["public_key"].encode())[:16] != proof["key_id"]:
        return _("公钥与密钥标识不符")
    if not signature_valid(proof["head"], proof["signature"], proof["public_key"]):
        return _("区块头的 SM2 签名验证失败")
    return None


def latest_head() -> dict[str, Any] | None:
    """The newest block's signed head, for publishing (e.g. to a notary or the public)."""
    from yiwang.core.models import AuditBlock

    block = AuditBlock.objects.order_by("-number").first()
    if block is None:
        return None
    return {
        "block_number": block.number,
        "header": block_header(block),
        "head": block.head,
        "signature": block.signature,
        "key_id": block.key_id,
        "public_key": crypto.platform_public_pem(),
    }
