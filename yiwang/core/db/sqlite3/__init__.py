"""Django's SQLite backend with the audit ledger's per-transaction buffer."""
