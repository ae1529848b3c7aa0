"""The audit ledger's per-transaction buffer (审计记录缓冲, group commit).

Inside a transaction, ``audit.record`` does not insert: it leaves the finished entry
(canonical bytes, digests) on the connection, and the buffer writes every waiting entry
with one multi-row INSERT

* before the transaction commits (``commit``: Django has no pre-commit hook, so the
  database wrapper is the hook — nothing can commit without passing here),
* before the ledger is read in the same transaction (``AuditEntryQuerySet`` and the
  ledger's own SQL call ``audit.flush``), so a transaction always reads its own entries.

A rollback drops the waiting entries with the transaction; rolling back to a savepoint
drops the entries recorded inside it. An entry written early (a read inside a savepoint)
for a record made outside that savepoint is put back to wait if the savepoint is rolled
back, since the rollback took its row away while the record still stands. So the
ledger holds an entry exactly when the transaction that recorded it commits, as when
each entry was one INSERT — only fewer statements.
"""

from __future__ import annotations

from typing import Any

from django.db import DatabaseError


class Pending:
    """One entry waiting to be written: the unsaved model (its ``pk`` is set once
    written), its column values in insert order, and the savepoints open when it was
    recorded."""

    __slots__ = ("entry", "row", "sids")

    def __init__(self, entry: Any, row: tuple, sids: tuple) -> None:
        self.entry = entry
        self.row = row
        self.sids = sids


class LedgerBuffer:
    """Mixin for a Django ``DatabaseWrapper``: holds this connection's waiting ledger
    entries and writes them before commit (see the module docstring)."""

    ledger_pending: list[Pending]
    # Entries written inside savepoints they were not recorded in: (entry, those savepoints).
    ledger_exposed: list[tuple[Pending, frozenset[str]]]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.ledger_pending = []
        self.ledger_exposed = []

    # --- the buffer ---

    def ledger_defer(self, item: Pending) -> bool:
        """Keep ``item`` for the write before commit; False outside a transaction (the
        caller then writes it at once)."""
        if not self.in_atomic_block:  # type: ignore[attr-defined]
            return False
        self.ledger_pending.append(item)
        return True

    def ledger_flush(self) -> None:
        """Write every waiting entry now, inside the current transaction."""
        if not self.ledger_pending:
            return
        from yiwang.core import audit

        items, self.ledger_pending = self.ledger_pending, []
        open_sids = frozenset(s for s in self.savepoint_ids if s)  # type: ignore[attr-defined]
        try:
            audit.write_entries(self, items)
        except BaseException:
            self.ledger_pending = items + self.ledger_pending
            raise
        if open_sids:
            for item in items:
                outside = open_sids.difference(item.sids)
                if outside:
                    self.ledger_exposed.append((item, outside))

    def _ledger_forget(self) -> None:
        self.ledger_pending = []
        self.ledger_exposed = []

    # --- transaction hooks ---

    def commit(self) -> None:
        try:
            self.ledger_flush()
        except DatabaseError:
            raise
        except Exception as exc:
            # Anything else would let Django's atomic() skip its rollback.
            raise DatabaseError(f"audit ledger entries could not be written: {exc}") from exc
        super().commit()  # type: ignore[misc]
        self._ledger_forget()

    def rollback(self) -> None:
        self._ledger_forget()
        super().rollback()  # type: ignore[misc]

    def savepoint_rollback(self, sid: str) -> None:
        super().savepoint_rollback(sid)  # type: ignore[misc]
        if self.ledger_pending:
            self.ledger_pending = [p for p in self.ledger_pending if sid not in p.sids]
        if self.ledger_exposed:
            back = [p for p, outside in self.ledger_exposed if sid in outside]
            if back:
                for p in back:
                    p.entry.pk = None
                    p.entry._state.adding = True
                kept = [(p, o) for p, o in self.ledger_exposed if sid not in o]
                self.ledger_exposed = kept
                self.ledger_pending = back + self.ledger_pending

    def close(self) -> None:
        self._ledger_forget()
        super().close()  # type: ignore[misc]

    def connect(self) -> None:
        self._ledger_forget()
        super().connect()  # type: ignore[misc]
