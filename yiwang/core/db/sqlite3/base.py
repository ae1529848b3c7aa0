"""Django's SQLite backend with the audit ledger's per-transaction buffer."""

from __future__ import annotations

from django.db.backends.sqlite3 import base

from yiwang.core.db.buffer import LedgerBuffer


class DatabaseWrapper(LedgerBuffer, base.DatabaseWrapper):
    """SQLite, flushing buffered ledger entries before every commit."""
