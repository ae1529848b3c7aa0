"""Database engines: Django's SQLite and PostgreSQL backends with the audit ledger's
per-transaction buffer (审计记录缓冲, see ``buffer``). Settings name them as ENGINE
(``yiwang.core.db.sqlite3``, ``yiwang.core.db.postgresql``)."""
