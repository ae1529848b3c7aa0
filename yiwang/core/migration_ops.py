"""Migration operations for the blind index's 16-byte form (盲索引二进制存储).

Blind indexes were stored as the whole HMAC-SM3 in hex (64 characters in a varchar);
``IndexToBytes`` turns such a column into the 16 bytes of its first 128 bits (the first
32 hex characters), BLOB on SQLite and bytea on PostgreSQL, empty values into NULL, and
keeps its indexes and uniqueness:

- PostgreSQL: one ``ALTER TABLE … ALTER COLUMN … TYPE bytea USING decode(…)`` rewrites
  the table once and rebuilds the column's indexes (the ``varchar_pattern_ops`` index
  Django adds beside an indexed varchar has no meaning for bytes and is dropped first);
- SQLite: Django rebuilds the table with the new column type (copying the text as it
  is), then one UPDATE turns each text value into its bytes.

Backwards gives back the varchar column holding the 32 hex characters of each stored
index: the shape of the old schema, not the old values (the other 128 bits are gone);
code from before the change would need its indexes made again to find rows by them.
"""

from __future__ import annotations

from typing import Any

from django.db import migrations

from yiwang.core.crypto import INDEX_BYTES

_HEX = 2 * INDEX_BYTES
_UNHEX = "yiwang_index_bytes"  # SQLite function for the conversion (no unhex() before 3.41)


def _sqlite_unhex(value: Any) -> bytes | None:
    """What an old index column value becomes: the bytes of its first 32 hex characters;
    NULL for empty. Already bytes (a re-run) stays as it is."""
    if value is None or value == "":
        return None
    if isinstance(value, bytes):
        return value
    return bytes.fromhex(str(value)[:_HEX])


class IndexToBytes(migrations.AlterField):
    """Alter a blind-index column from 64 hex characters (``fields.HexIndexField`` or a
    plain varchar holding a copy) to 16 bytes (``fields.IndexBytesField`` and its
    ``BlindIndexField``), converting the stored values (see the module's docstring)."""

    def describe(self) -> str:
        return f"Store blind index {self.model_name}.{self.name} as {INDEX_BYTES} bytes"

    @property
    def migration_name_fragment(self) -> str:
        return f"{self.model_name_lower}_{self.name_lower}_bytes"

    def _fields(self, app_label, from_state, to_state):
        from_model = from_state.apps.get_model(app_label, self.model_name)
        to_model = to_state.apps.get_model(app_label, self.model_name)
        return (
            from_model,
            to_model,
            from_model._meta.get_field(self.name),
            to_model._meta.get_field(self.name),
        )

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        from_model, to_model, old, new = self._fields(app_label, from_state, to_state)
        if not self.allow_migrate_model(schema_editor.connection.alias, to_model):
            return
        connection = schema_editor.connection
        qn = schema_editor.quote_name
        table, column = qn(to_model._meta.db_table), qn(new.column)
        if connection.vendor == "postgresql":
            like = schema_editor._create_index_name(
                from_model._meta.db_table, [old.column], suffix="_like"
            )
            schema_editor.execute(f"DROP INDEX IF EXISTS {qn(like)}")
            schema_editor.execute(
                f"ALTER TABLE {table} ALTER COLUMN {column} DROP NOT NULL, "
                f"ALTER COLUMN {column} TYPE bytea "
                f"USING decode(substr(NULLIF({column}, ''), 1, {_HEX}), 'hex')"
            )
            return
        schema_editor.alter_field(from_model, old, new)
        connection.connection.create_function(_UNHEX, 1, _sqlite_unhex, deterministic=True)
        schema_editor.execute(
            f"UPDATE {table} SET {column} = {_UNHEX}({column}) WHERE typeof({column}) = 'text'"
        )

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        # from_state holds the bytes (the later state), to_state the varchar.
        to_model, from_model, old, new = self._fields(app_label, to_state, from_state)
        if not self.allow_migrate_model(schema_editor.connection.alias, to_model):
            return
        qn = schema_editor.quote_name
        table, column = qn(to_model._meta.db_table), qn(old.column)
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(
                f"ALTER TABLE {table} ALTER COLUMN {column} "
                f"TYPE varchar({old.max_length}) USING COALESCE(encode({column}, 'hex'), ''), "
                f"ALTER COLUMN {column} SET NOT NULL"
            )
            if old.db_index or old.unique:
                like = schema_editor._create_like_index_sql(to_model, old)
                if like is not None:
                    schema_editor.execute(like)
            return
        schema_editor.execute(f"UPDATE {table} SET {column} = lower(hex({column}))")
        schema_editor.alter_field(from_model, new, old)
