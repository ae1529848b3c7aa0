"""Entries wait for their transaction (审计记录缓冲): written together before commit or
the next read of the ledger, never kept when the transaction (or the savepoint that
recorded them) rolls back, and byte for byte what ``record`` hashed."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.db import DatabaseError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from yiwang.core import audit, ledger
from yiwang.core.models import AuditEntry, RateCounter


def _act(marker: str, entries: int = 3, *, fail: bool = False) -> list[AuditEntry]:
    """A stand-in action: one domain write and ``entries`` ledger entries, atomic."""
    with transaction.atomic():
        RateCounter.objects.create(key=marker, expires_at=timezone.now())
        made = [
            audit.record(actor=None, action="core.test.act", obj=("core.thing", f"{marker}-{i}"))
            for i in range(entries)
        ]
        if fail:
            raise RuntimeError("the action fails after recording")
    return made


def _ledger_inserts(queries) -> list[str]:
    table = AuditEntry._meta.db_table
    return [q["sql"] for q in queries if "INSERT INTO" in q["sql"] and table in q["sql"]]


def _ids(prefix: str) -> list[int]:
    return list(
        AuditEntry.objects.filter(object_id__startswith=prefix)
        .order_by("id")
        .values_list("id", flat=True)
    )


@pytest.fixture
def empty(db):
    AuditEntry.objects.all().delete()


@pytest.mark.django_db(transaction=True)
def test_an_actions_entries_wait_for_its_commit_and_go_in_one_statement():
    AuditEntry.objects.all().delete()
    with CaptureQueriesContext(connection) as queries, transaction.atomic():
        made = [
            audit.record(actor=None, action="core.test.act", obj=("core.thing", f"a-{i}"))
            for i in range(40)
        ]
        assert not _ledger_inserts(queries.captured_queries)
        assert all(e.pk is None for e in made)
    assert len(_ledger_inserts(queries.captured_queries)) == 1
    ids = [e.pk for e in made]
    assert ids == _ids("a-") and ids == sorted(ids) and len(set(ids)) == 40
    assert [e.object_id for e in AuditEntry.objects.filter(pk__in=ids)] == [
        f"a-{i}" for i in range(40)
    ]


@pytest.mark.django_db(transaction=True)
def test_outside_a_transaction_an_entry_is_written_at_once():
    entry = audit.record(actor=None, action="core.test.now", obj=("core.thing", "now"))
    assert entry.pk is not None
    assert AuditEntry.objects.get(pk=entry.pk).object_id == "now"


def test_a_transaction_reads_its_own_entries(empty):
    with transaction.atomic():
        made = _act("r", 2)
        assert AuditEntry.objects.filter(object_id__startswith="r-").count() == 2
        assert {e.pk for e in made} == set(_ids("r-"))
        audit.record(actor=None, action="core.test.act", obj=("core.thing", "r-late"))
        assert AuditEntry.objects.filter(object_id="r-late").exists()


@pytest.mark.django_db(transaction=True)
def test_a_failed_action_leaves_no_entry():
    AuditEntry.objects.all().delete()
    with pytest.raises(RuntimeError):
        _act("f", fail=True)
    _act("ok")
    assert _ids("f-") == [] and not RateCounter.objects.filter(key="f").exists()
    assert len(_ids("ok-")) == 3


def test_a_rolled_back_savepoint_takes_only_its_own_entries(empty):
    with transaction.atomic():
        outer = audit.record(actor=None, action="core.test.act", obj=("core.thing", "s-outer"))
        with pytest.raises(RuntimeError):
            _act("s-inner", fail=True)
        kept = _act("s-kept", 1)
    assert _ids("s-outer") == [outer.pk]
    assert _ids("s-inner") == [] and not RateCounter.objects.filter(key="s-inner").exists()
    assert _ids("s-kept") == [kept[0].pk]


def test_an_entry_written_inside_a_savepoint_that_rolls_back_is_written_again(empty):
    """A read inside a savepoint writes an entry recorded before it; the savepoint's
    rollback takes that row away, yet the entry stands with the outer transaction."""
    with transaction.atomic():
        early = audit.record(actor=None, action="core.test.act", obj=("core.thing", "w-early"))
        with pytest.raises(RuntimeError), transaction.atomic():
            assert AuditEntry.objects.filter(object_id="w-early").exists()  # written here
            assert early.pk is not None
            raise RuntimeError("the savepoint rolls back")
        assert early.pk is None  # waiting again
        assert _ids("w-early") == [early.pk] and early.pk is not None


@pytest.mark.django_db(transaction=True)
def test_an_entry_that_cannot_be_written_rolls_the_action_back(monkeypatch):
    def refuse(conn, items):
        raise DatabaseError("disk full")

    monkeypatch.setattr(audit, "write_entries", refuse)
    with pytest.raises(DatabaseError):
        _act("x")
    monkeypatch.undo()
    assert not RateCounter.objects.filter(key="x").exists() and _ids("x-") == []
    _act("y")  # the connection is usable again
    assert len(_ids("y-")) == 3


def test_an_overlong_action_name_is_refused_when_recorded(empty):
    with pytest.raises(ValueError):
        audit.record(actor=None, action="core." + "x" * 64, obj=("core.thing", "1"))


def test_the_stored_entry_is_what_record_hashed(empty, make_staff):
    actor = make_staff("auditor")
    change = {
        "when": dt.date(2026, 3, 9),
        "pair": (1, 2.5),
        "text": 'quote " backslash \\ tab \t newline \n bell \x07 中文 🙂',
        "nested": {"phone": "13800000000", "none": None, "flag": True},
    }
    made = audit.record(
        actor=actor, action="core.test.bytes", obj=actor, purpose="核对\u2028原文", change=change
    )
    audit.flush()
    stored = AuditEntry.objects.get(pk=made.pk)
    assert stored.change == made.change == json.loads(audit.canonical(audit.redact(change)))
    assert stored.change["nested"]["phone"].startswith("hmac-sm3:")
    assert bytes(stored.body) == audit.canonical(audit.leaf_fields(stored)) == made.body
    assert stored.leaf == audit.leaf_hash(stored) == made.leaf
    assert stored.digest == audit.sm3_hex(audit.canonical(stored.change))
    for f in ("at", "actor_id", "actor_label", "action", "object_type", "object_id", "purpose"):
        assert getattr(stored, f) == getattr(made, f), f
    assert made.actor == actor and made.at <= timezone.now()


@pytest.mark.parametrize(
    "text", ["", "plain", '"', "\\", "\x00\x1f\x7f", "\u2028\u2029", "中文🙂", "</script>"]
)
def test_leaf_text_is_the_canonical_encoding(text):
    fields = {
        "at": "2026-03-09T01:30:00.000001+00:00",
        "actor": 7,
        "actor_label": text,
        "action": text,
        "object_type": text,
        "object_id": text,
        "purpose": text,
        "digest": text,
        "change": {"k": text},
    }
    joined = audit.leaf_text(
        fields["at"], 7, text, text, text, text, text, text, audit.canonical_text({"k": text})
    )
    assert joined.encode() == audit.canonical(fields)
    nobody = {**fields, "actor": None, "change": {}}
    assert audit.leaf_text(
        fields["at"], None, text, text, text, text, text, text, "{}"
    ).encode() == audit.canonical(nobody)


def test_sealing_and_verifying_in_the_recording_transaction(empty):
    made = _act("v", 5)
    result = ledger.seal_pending(grace_seconds=0)
    assert result.entries == 5
    assert all(AuditEntry.objects.get(pk=e.pk).block_id for e in made)
    assert ledger.verify_ledger().ok
