"""The audit ledger (全程留痕): sealing, tamper detection, inclusion proofs."""

from __future__ import annotations

import copy

import pytest
from django.core.management import CommandError, call_command

from yiwang.core import audit, ledger
from yiwang.core.models import AuditBlock, AuditEntry


def _record(n: int, start: int = 0) -> list[AuditEntry]:
    """``n`` entries, written at once (in a transaction they would wait for its commit
    or the next read of the ledger) so that they have their ids."""
    made = [
        audit.record(
            actor=None,
            action="core.test.touch",
            obj=("core.thing", str(start + i)),
            purpose=f"测试事由 {start + i}",
            change={"n": start + i, "phone": "13812345678", "note": "变更"},
        )
        for i in range(n)
    ]
    audit.flush()
    return made


def _seal(block_size: int = 4) -> ledger.SealResult:
    return ledger.seal_pending(block_size=block_size, grace_seconds=0)


def _verify_fails() -> str:
    with pytest.raises(CommandError) as err:
        call_command("audit", "verify")
    assert err.value.returncode == 1
    return str(err.value)


@pytest.fixture
def empty(db):
    """An empty ledger (data migrations leave a few unsealed entries behind)."""
    AuditEntry.objects.all().delete()


@pytest.fixture
def sealed(empty):
    """Ten entries sealed into blocks of four (4, 4, 2)."""
    entries = _record(10)
    result = _seal(4)
    assert result.blocks == [1, 2, 3] and result.entries == 10
    return entries


# --- Merkle tree ---


@pytest.mark.parametrize("count", [1, 2, 3, 5, 8, 13])
def test_every_leaf_path_folds_to_the_root(count):
    leaves = [audit.sm3_hex(bytes([i])) for i in range(count)]
    root = ledger.merkle_root(leaves)
    for index, leaf in enumerate(leaves):
        path = ledger.merkle_path(leaves, index)
        assert ledger.root_from_path(leaf, path) == root
        assert [s["side"] for s in path] == ledger.path_sides(index, count)


def test_odd_node_is_promoted_not_duplicated():
    a, b, c = (audit.sm3_hex(x) for x in (b"a", b"b", b"c"))
    ab = ledger.node_hash(bytes.fromhex(a), bytes.fromhex(b))
    assert ledger.merkle_root([a, b, c]) == ledger.node_hash(ab, bytes.fromhex(c)).hex()
    # Duplicating the last leaf would give [a, b, c, c] the same root; promotion does not.
    assert ledger.merkle_root([a, b, c]) != ledger.merkle_root([a, b, c, c])


# --- sealing ---


def test_seal_chains_signed_blocks(sealed):
    blocks = list(AuditBlock.objects.order_by("number"))
    assert [b.count for b in blocks] == [4, 4, 2]
    assert blocks[0].prev_head == "0" * 64
    assert blocks[1].prev_head == blocks[0].head and blocks[2].prev_head == blocks[1].head
    assert [i for i, _ in blocks[0].leaves] == [e.pk for e in sealed[:4]]
    assert not AuditEntry.objects.filter(block__isnull=True).exists()
    assert AuditEntry.objects.get(pk=sealed[5].pk).block_id == blocks[1].pk
    assert blocks[0].key_id == ledger.crypto.platform_key_id()


def test_grace_period_leaves_recent_entries_unsealed(empty):
    _record(3)
    assert ledger.seal_pending(grace_seconds=3600).blocks == []
    assert AuditEntry.objects.filter(block__isnull=True).count() == 3
    assert ledger.verify_ledger().unsealed == 3


def test_second_seal_continues_the_chain(sealed):
    _record(3, start=10)
    result = _seal(4)
    assert result.blocks == [4]
    block = AuditBlock.objects.get(number=4)
    assert block.prev_head == AuditBlock.objects.get(number=3).head
    assert ledger.verify_ledger().ok


def test_seal_task_seals(empty, settings):
    from yiwang.core.tasks import seal_ledger

    settings.YIWANG = {**settings.YIWANG, "LEDGER_SEAL_GRACE_SECONDS": 0, "LEDGER_BLOCK_SIZE": 2}
    _record(3)
    assert seal_ledger.call() == {"blocks": [1, 2], "entries": 3}


def test_seal_command(empty, capsys):
    _record(2)
    call_command("audit", "seal", "--grace", "0")
    assert "已封存 2 条记录" in capsys.readouterr().out
    assert AuditBlock.objects.count() == 1


# --- verification ---


def test_sound_ledger_verifies(sealed, capsys):
    _record(2, start=100)  # unsealed entries are counted, not problems
    call_command("audit", "verify")
    out = capsys.readouterr().out
    assert "账本完好" in out and "区块 3 个" in out and "待封存 2 条" in out
    result = ledger.verify_ledger()
    assert result.ok and result.entries == 10 and result.unsealed == 2


def test_edited_entry_is_named(sealed):
    victim = sealed[5]
    AuditEntry.objects.filter(pk=victim.pk).update(action="core.test.erase")
    message = _verify_fails()
    assert f"记录 #{victim.pk}" in message and "[edited]" in message
    first = ledger.verify_ledger().first
    assert (first.kind, first.entry, first.block) == ("edited", victim.pk, 2)


def test_edit_with_recomputed_leaf_is_caught_by_the_block(sealed):
    victim = AuditEntry.objects.get(pk=sealed[2].pk)
    victim.change = {"n": 999}
    victim.digest = audit.sm3_hex(audit.canonical(victim.change))
    AuditEntry.objects.filter(pk=victim.pk).update(
        change=victim.change, digest=victim.digest, leaf=audit.leaf_hash(victim)
    )
    message = _verify_fails()
    assert f"记录 #{victim.pk}" in message and "[edited]" in message


def test_deleted_entry_is_named(sealed):
    victim = sealed[7]
    AuditEntry.objects.filter(pk=victim.pk).delete()
    message = _verify_fails()
    assert f"记录 #{victim.pk}" in message and "[deleted]" in message


def test_inserted_entry_in_sealed_range_is_named(empty):
    entries = _record(5)
    gap = entries[2].pk
    AuditEntry.objects.filter(pk=gap).delete()  # a rolled-back id: a gap before sealing
    _seal(10)
    assert ledger.verify_ledger().ok
    forged = AuditEntry(
        id=gap,
        at=entries[2].at,
        actor_label="system",
        action="core.test.forged",
        object_type="core.thing",
        object_id="x",
        change={},
        digest=audit.sm3_hex(audit.canonical({})),
    )
    forged.leaf = audit.leaf_hash(forged)
    forged.save(force_insert=True)
    message = _verify_fails()
    assert f"记录 #{gap}" in message and "[inserted]" in message


def test_row_claiming_a_block_that_does_not_list_it(sealed):
    block = AuditBlock.objects.get(number=1)
    extra = _record(1, start=50)[0]
    AuditEntry.objects.filter(pk=extra.pk).update(block=block)
    message = _verify_fails()
    assert f"记录 #{extra.pk}" in message and "[inserted]" in message


def test_reordered_entries_are_named(sealed):
    a, b = (AuditEntry.objects.get(pk=e.pk) for e in sealed[4:6])
    fields = ["at", "actor_label", "action", "object_type", "object_id", "purpose", "change"]
    fields += ["digest", "leaf"]
    AuditEntry.objects.filter(pk=a.pk).update(**{f: getattr(b, f) for f in fields})
    AuditEntry.objects.filter(pk=b.pk).update(**{f: getattr(a, f) for f in fields})
    message = _verify_fails()
    assert f"记录 #{a.pk}" in message and "[reordered]" in message
    kinds = [(p.kind, p.entry) for p in ledger.verify_ledger().problems]
    assert kinds == [("reordered", a.pk), ("reordered", b.pk)]


def test_rewritten_block_breaks_signature_or_chain(sealed):
    block = AuditBlock.objects.get(number=2)
    leaves = copy.deepcopy(block.leaves)
    leaves[0], leaves[1] = leaves[1], leaves[0]
    AuditBlock.objects.filter(pk=block.pk).update(leaves=leaves)
    kinds = {p.kind for p in ledger.verify_ledger().problems}
    assert {"reordered", "bad_root", "bad_head"} <= kinds
    # A forger who re-roots the block still cannot sign the new head.
    fake_root = ledger.merkle_root([leaf for _, leaf in leaves])
    AuditBlock.objects.filter(pk=block.pk).update(merkle_root=fake_root, head="ab" * 32)
    kinds = {p.kind for p in ledger.verify_ledger().problems}
    assert {"bad_signature", "broken_chain"} <= kinds
    assert ledger.verify_ledger().first.block == 2


def test_deleted_block_breaks_the_chain(sealed):
    AuditEntry.objects.filter(block__number=3).update(block=None)
    AuditBlock.objects.filter(number=2).update(number=9)
    AuditBlock.objects.filter(number=3).delete()
    AuditBlock.objects.filter(number=9).update(number=3)
    problems = ledger.verify_ledger().problems
    assert any(p.kind == "broken_chain" and p.block == 3 for p in problems)


def test_verify_from_a_trusted_block(sealed):
    AuditEntry.objects.filter(pk=sealed[0].pk).update(purpose="改写")  # in block 1
    assert not ledger.verify_ledger().ok
    later = ledger.verify_ledger(from_block=2)
    assert later.ok and later.blocks == 2 and later.entries == 6
    AuditEntry.objects.filter(pk=sealed[9].pk).update(purpose="改写")  # in block 3
    with pytest.raises(CommandError, match=f"记录 #{sealed[9].pk}"):
        call_command("audit", "verify", "--from-block", "3")
    AuditBlock.objects.filter(number=2).update(number=20)
    assert ledger.verify_ledger(from_block=3).first.kind == "broken_chain"


def test_cut_off_tail_is_caught_by_a_published_head(sealed):
    published = ledger.latest_head()["head"]
    call_command("audit", "verify", "--anchor", published)
    AuditEntry.objects.filter(block__number=3).delete()
    AuditBlock.objects.filter(number=3).delete()
    assert ledger.verify_ledger().ok  # without an anchor a clean cut looks whole
    with pytest.raises(CommandError, match=published):
        call_command("audit", "verify", "--anchor", published)


def test_verify_json_output(sealed, capsys):
    AuditEntry.objects.filter(pk=sealed[0].pk).update(purpose="改写")
    with pytest.raises(CommandError):
        call_command("audit", "verify", "--json")
    import json

    data = json.loads(capsys.readouterr().out)
    assert data["ok"] is False and data["problems"][0]["entry"] == sealed[0].pk


# --- inclusion proofs ---


def test_inclusion_proof_verifies_against_signed_head(sealed):
    for entry in (sealed[0], sealed[6], sealed[9]):
        proof = ledger.inclusion_proof(entry.pk)
        assert proof["entry"]["id"] == entry.pk
        block = AuditBlock.objects.get(pk=AuditEntry.objects.get(pk=entry.pk).block_id)
        assert proof["head"] == block.head and proof["block_number"] == block.number
        assert ledger.verify_proof(proof).ok, ledger.verify_proof(proof).reason


def test_altered_proofs_fail(sealed):
    proof = ledger.inclusion_proof(sealed[1].pk)
    bad_path = copy.deepcopy(proof)
    bad_path["path"][0]["hash"] = "00" * 32
    assert not ledger.verify_proof(bad_path)
    assert "默克尔根" in ledger.verify_proof(bad_path).reason
    bad_entry = copy.deepcopy(proof)
    bad_entry["entry"]["purpose"] = "改写"
    assert not ledger.verify_proof(bad_entry)
    bad_sig = copy.deepcopy(proof)
    other = ledger.inclusion_proof(sealed[5].pk)
    bad_sig["signature"] = other["signature"]
    assert "签名" in ledger.verify_proof(bad_sig).reason
    bad_index = copy.deepcopy(proof)
    bad_index["index"] = 0
    assert not ledger.verify_proof(bad_index)
    assert not ledger.verify_proof({"entry": {}})


def test_unsealed_entry_has_no_proof(empty):
    entry = _record(1)[0]
    with pytest.raises(ledger.NotSealed):
        ledger.inclusion_proof(entry.pk)


@pytest.mark.django_db(transaction=True)
def test_seal_task_runs_on_the_database_worker(settings):
    from django_tasks_db.models import DBTaskResult

    from yiwang.core.tasks import seal_ledger

    AuditEntry.objects.all().delete()

    settings.YIWANG = {**settings.YIWANG, "LEDGER_SEAL_GRACE_SECONDS": 0}
    _record(3)
    queued = seal_ledger.enqueue()
    call_command("db_worker", "--batch", "--no-startup-delay", verbosity=0)
    row = DBTaskResult.objects.get(pk=queued.id)
    assert row.status == "SUCCESSFUL"
    assert row.return_value == {"blocks": [1], "entries": 3}
    assert ledger.verify_ledger().ok and not AuditEntry.objects.filter(block=None).exists()


def test_malformed_head_and_signature_are_reported(sealed):
    AuditBlock.objects.filter(number=1).update(head="not hex", signature="%%%")
    kinds = [(p.kind, p.block) for p in ledger.verify_ledger().problems]
    assert ("bad_head", 1) in kinds and ("bad_signature", 1) in kinds
    assert ("broken_chain", 2) in kinds


def test_malformed_leaf_list_is_reported_not_a_crash(sealed):
    AuditBlock.objects.filter(number=2).update(leaves={"not": "a list"})
    AuditBlock.objects.filter(number=3).update(leaves=[[1, "zz"]])
    problems = ledger.verify_ledger().problems
    assert [(p.kind, p.block) for p in problems if p.entry is None][:2] == [
        ("bad_root", 2),
        ("bad_root", 3),
    ]


# --- stored leaf bytes (记录原文) ---


def test_changed_stored_bytes_are_named(sealed):
    """The columns still give the sealed leaf, but the stored bytes were rewritten."""
    victim = sealed[3]
    body = bytes(AuditEntry.objects.get(pk=victim.pk).body).replace(b"core.thing", b"core.thinG")
    AuditEntry.objects.filter(pk=victim.pk).update(body=body)
    first = ledger.verify_ledger().first
    assert (first.kind, first.entry) == ("edited", victim.pk)
    assert "记录原文" in first.detail


def test_fields_and_bytes_rewritten_together_are_caught_by_the_block(sealed):
    """A forger who rewrites the columns, the stored bytes and the leaf consistently
    still cannot change the leaf the signed block lists."""
    victim = AuditEntry.objects.get(pk=sealed[6].pk)
    victim.purpose = "改写"
    body = audit.canonical(audit.leaf_fields(victim))
    AuditEntry.objects.filter(pk=victim.pk).update(
        purpose=victim.purpose, body=body, leaf=audit.sm3_hex(b"\x00" + body)
    )
    first = ledger.verify_ledger().first
    assert (first.kind, first.entry, first.block) == ("edited", victim.pk, 2)


def test_entries_without_stored_bytes_or_in_another_json_spelling_verify(sealed):
    """Entries from before ``body`` (not yet backfilled) are checked from their fields;
    a change column rewritten with the same value in another JSON spelling is the same
    entry."""
    AuditEntry.objects.filter(pk=sealed[0].pk).update(body=None)
    entry = AuditEntry.objects.get(pk=sealed[1].pk)
    AuditEntry.objects.filter(pk=entry.pk).update(change=dict(reversed(entry.change.items())))
    assert ledger.verify_ledger().ok
    AuditEntry.objects.filter(pk=sealed[0].pk).update(object_id="改写")
    assert ledger.verify_ledger().first.entry == sealed[0].pk


def test_backfill_writes_the_canonical_bytes(sealed):
    from importlib import import_module

    from django.apps import apps
    from django.db import connection

    AuditEntry.objects.update(body=None)
    backfill = import_module("yiwang.core.migrations.0012_ledger_entry_body_backfill").backfill

    class Editor:
        pass

    editor = Editor()
    editor.connection = connection
    backfill(apps, editor)
    for entry in AuditEntry.objects.all():
        assert bytes(entry.body) == audit.canonical(audit.leaf_fields(entry))
    assert ledger.verify_ledger().ok


def test_verify_in_runs_of_blocks_finds_the_same(sealed):
    """Split into runs (as worker processes verify them), the findings and their order
    are those of one pass."""
    _record(9, start=20)
    _seal(2)
    AuditEntry.objects.filter(pk=sealed[5].pk).update(action="core.test.erase")
    AuditBlock.objects.filter(number=5).update(prev_head="ab" * 32)
    one = ledger.verify_ledger()
    links = [
        ledger._Link(*row)
        for row in AuditBlock.objects.order_by("number").values_list("number", "head", "last_entry")
    ]
    for parts in (2, 3, 7):
        runs = ledger._runs(links, None, parts)
        assert len(runs) > 1
        split = [p for a, b, prev in runs for p in ledger._verify_blocks(a, b, prev, 1).problems]
        assert split == one.problems[: len(split)]
    assert ledger.verify_ledger(processes=4).problems == one.problems  # in a transaction: one pass
    kinds = [(p.kind, p.entry, p.block) for p in one.problems]
    assert ("edited", sealed[5].pk, 2) in kinds and ("broken_chain", None, 5) in kinds


def test_the_database_confirms_the_stored_bytes_of_sound_entries(sealed):
    """Verification's fast path: the database says the stored bytes are exactly the
    columns for every entry record() wrote (with tricky text too), and not once a
    column changes, so only those rows get the full check in Python."""
    from django.db import connection

    tricky = audit.record(
        actor=None,
        action="core.test.touch",
        obj=("core.thing", 'q"\\\t\n中🙂'),
        purpose="\x01\u2028</>",
        change={"b": [1, 2.5, None, True], "a": {"z": "é", "y": 10**20}},
    )
    audit.flush()
    _seal(100)
    rows = ledger._Rows(connection)

    def same() -> dict[int, bool]:
        return {
            eid: bool(ok)
            for block in AuditBlock.objects.all()
            for eid, _, _, _, ok in rows.fetch(block)
        }

    assert all(same().values()) and tricky.pk in same()
    AuditEntry.objects.filter(pk=sealed[2].pk).update(object_type="core.other")
    AuditEntry.objects.filter(pk=tricky.pk).update(change={"a": {"y": 10**20, "z": "é"}})
    found = same()
    assert not found[sealed[2].pk] and not found[tricky.pk]
    assert sum(not ok for ok in found.values()) == 2
    problems = [(p.kind, p.entry) for p in ledger.verify_ledger().problems]
    assert problems == [("edited", sealed[2].pk), ("edited", tricky.pk)]
