"""Django's PostgreSQL backend with the audit ledger's per-transaction buffer."""
