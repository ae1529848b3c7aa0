"""API shapes for the audit ledger (审计账本): entries, signed heads, proofs, findings."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from ninja import Schema
from pydantic import Field


class AuditEntryOut(Schema):
    """One audit entry (审计记录) with the block that seals it, if any."""

    id: int
    at: datetime
    actor: int | None = Field(None, alias="actor_id")
    actor_label: str
    action: str
    object_type: str
    object_id: str
    purpose: str
    change: dict[str, Any]
    digest: str
    leaf: str
    block: int | None = Field(None, alias="block_number")


class AuditEntryFilter(Schema):
    """Search filters; every one optional, combined with AND."""

    actor: str | None = Field(None, max_length=150, description="操作人用户名（精确）")
    action: str | None = Field(None, max_length=64, description="操作代码（前缀）")
    object_type: str | None = Field(None, max_length=64)
    object_id: str | None = Field(None, max_length=64)
    purpose: str | None = Field(None, max_length=200, description="事由包含的文字")
    date_from: date | None = None
    date_to: date | None = None


class BlockHeaderOut(Schema):
    number: int
    first_entry: int
    last_entry: int
    count: int
    ids: str
    merkle_root: str
    prev_head: str
    sealed_at: str


class LedgerHeadOut(Schema):
    """The latest signed block head (最新区块头) with the key to check it."""

    block_number: int
    header: BlockHeaderOut
    head: str
    signature: str
    key_id: str
    public_key: str


class LedgerStatusOut(Schema):
    """封存状态: how far sealing lags; ``alarm`` when ``overdue`` entries have waited
    longer than ``alarm_after`` seconds, the oldest since ``overdue_since``."""

    alarm: bool
    unsealed: int
    overdue: int
    overdue_since: datetime | None
    alarm_after: float
    last_sealed_at: datetime | None


class ProofPathStep(Schema):
    side: str
    hash: str


class ProofBlockOut(BlockHeaderOut):
    ids_list: list[int]


class InclusionProofOut(Schema):
    """Inclusion proof (存在性证明): checkable without the database."""

    entry: dict[str, Any]
    leaf: str
    index: int
    path: list[ProofPathStep]
    root: str
    block: ProofBlockOut
    block_number: int
    head: str
    prev_head: str
    signature: str
    key_id: str
    public_key: str
    algorithms: dict[str, str]
    verified: bool


class LedgerProblemOut(Schema):
    kind: str
    entry: int | None
    block: int | None
    detail: str
    message: str


class LedgerVerifyOut(Schema):
    """Result of a full ledger verification (账本校验)."""

    ok: bool
    blocks: int
    entries: int
    unsealed: int
    head: str | None
    problems: list[LedgerProblemOut]
