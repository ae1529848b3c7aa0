"""Django's PostgreSQL backend with the audit ledger's per-transaction buffer."""

from __future__ import annotations

from django.db.backends.postgresql import base

from yiwang.core.db.buffer import LedgerBuffer


class DatabaseWrapper(LedgerBuffer, base.DatabaseWrapper):
    """PostgreSQL, flushing buffered ledger entries before every commit."""
