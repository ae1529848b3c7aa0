"""A test database a subprocess can open (for tests that kill a writer mid-way)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from django.db import connection


class SharedDatabase:
    """The test database as a subprocess can open it: PostgreSQL by name; SQLite's
    in-memory test database copied to a file and back."""

    def __init__(self, tmp: Path) -> None:
        self.sqlite = connection.vendor == "sqlite"
        self.file = tmp / "shared.sqlite3"
        self.env: dict[str, str] = {}

    def url(self) -> str:
        if self.sqlite:
            return f"sqlite:///{self.file}"
        s = connection.settings_dict
        auth = s["USER"] + (f":{s['PASSWORD']}" if s.get("PASSWORD") else "")
        return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"

    def push(self) -> None:
        if self.sqlite:
            connection.ensure_connection()
            target = sqlite3.connect(self.file)
            connection.connection.backup(target)
            target.close()

    def pull(self) -> None:
        if self.sqlite:
            source = sqlite3.connect(self.file)
            connection.ensure_connection()
            source.backup(connection.connection)
            source.close()
