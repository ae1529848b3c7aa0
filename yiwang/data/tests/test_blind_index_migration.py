"""The migrations to 16-byte blind indexes (盲索引) on a database holding old values: the
schema is taken back to the 64-hex-character columns, rows are given the indexes the old
code wrote (the whole HMAC-SM3 in hex, "" when empty), and the migrations run forward."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor

from yiwang.core.crypto import keyed_digest
from yiwang.core.fields import index_for
from yiwang.core.tests.test_blind_index_storage import make_row

BEFORE = [
    ("core", "0013_merge"),
    ("data", "0004_registry_search_order"),
    ("hotline", "0004_list_fields"),
    ("licences", "0002_personal_item_kinds"),
    ("services", "0007_merge"),
]
IDN, OTHER = "410823199001011234", "41082319900101123X"


def _migrate(targets) -> None:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)


def _leaves() -> list[tuple[str, str]]:
    graph = MigrationExecutor(connection).loader.graph
    apps = {app for app, _name in BEFORE}
    return [node for node in graph.leaf_nodes() if node[0] in apps]


def _set_old(table: str, column: str, pk: int, value: str) -> None:
    qn = connection.ops.quote_name
    with connection.cursor() as cur:
        cur.execute(f"UPDATE {qn(table)} SET {qn(column)} = %s WHERE id = %s", [value, pk])


def _raw(table: str, column: str, pk: int):
    qn = connection.ops.quote_name
    with connection.cursor() as cur:
        cur.execute(f"SELECT {qn(column)} FROM {qn(table)} WHERE id = %s", [pk])
        return cur.fetchone()[0]


@pytest.mark.django_db(transaction=True)
def test_old_hex_indexes_become_their_first_16_bytes_and_still_find_rows(city):
    from django.apps import apps

    User, Person = apps.get_model("core", "User"), apps.get_model("data", "Person")

    person = make_row(Person, {"id_number": IDN, "name": "张三", "phone": ""})
    other = make_row(Person, {"id_number": OTHER, "name": "李四", "phone": "13812345678"})
    user = make_row(User, {"id_number": IDN, "phone": "13812345678", "kind": "citizen"})
    table, users = Person._meta.db_table, User._meta.db_table
    try:
        _migrate(BEFORE)
        # What the old code stored: the whole HMAC-SM3 in hex, "" for an empty value.
        _set_old(table, "id_number_index", person.pk, keyed_digest(IDN, "data.Person.id_number"))
        _set_old(table, "name_index", person.pk, keyed_digest("张三", "data.Person.name"))
        _set_old(table, "phone_index", person.pk, "")
        _set_old(table, "id_number_index", other.pk, keyed_digest(OTHER, "data.Person.id_number"))
        _set_old(users, "id_number_index", user.pk, keyed_digest(IDN, "core.User.id_number"))
        assert len(_raw(table, "id_number_index", person.pk)) == 64
    finally:
        _migrate(_leaves())

    raw = _raw(table, "id_number_index", person.pk)
    assert bytes(raw) == bytes.fromhex(keyed_digest(IDN, "data.Person.id_number"))[:16]
    assert _raw(table, "phone_index", person.pk) is None
    found = Person.objects.get(id_number_index=index_for(Person, "id_number", IDN))
    assert found.pk == person.pk and found.name == "张三" and found.phone == ""
    assert Person.objects.get(name_index=index_for(Person, "name", "张三")).pk == person.pk
    assert Person.objects.get(id_number_index=index_for(Person, "id_number", OTHER)).pk == other.pk
    assert User.objects.get(id_number_index=index_for(User, "id_number", IDN)).pk == user.pk
    # Uniqueness kept: the person index is unique, and one citizen account per ID number.
    with pytest.raises(IntegrityError), transaction.atomic():
        _set_old(table, "id_number_index", other.pk, raw)
    with pytest.raises(IntegrityError), transaction.atomic():
        make_row(User, {"id_number": IDN, "kind": "citizen"})
    with connection.cursor() as cur:
        constraints = connection.introspection.get_constraints(cur, table)
    on = {name: c for name, c in constraints.items() if c["columns"] == ["id_number_index"]}
    assert any(c["unique"] for c in on.values())
    if connection.vendor == "postgresql":  # no LIKE index left beside a blind index
        with connection.cursor() as cur:
            cur.execute("SELECT indexdef FROM pg_indexes WHERE tablename = %s", [table])
            assert not any("_index varchar_pattern_ops" in d for (d,) in cur.fetchall())
    name_indexes = [c for c in constraints.values() if c["columns"] == ["name_index"]]
    assert any(c["index"] for c in name_indexes)
