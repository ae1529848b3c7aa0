"""Model fields for personal data at rest: SM4-encrypted text and its keyed SM3 blind index."""

from __future__ import annotations

from django.db import models

from yiwang.core.crypto import blind_index, decrypt_field, encrypt_field


class EncryptedTextField(models.TextField):
    """Text stored as ``sm4:v{n}:…`` (SM4-GCM, key version n); Python sees clear text.

    The associated data is ``app_label.Model.field`` so ciphertexts cannot be swapped
    between columns. Lookups other than isnull are meaningless: use the blind index.
    """

    def contribute_to_class(self, cls, name, private_only=False):
        super().contribute_to_class(cls, name, private_only)
        self.context = f"{cls._meta.app_label}.{cls.__name__}.{name}"

    def from_db_value(self, value, expression, connection):
        if value is None or value == "":
            return value
        return decrypt_field(value, self.context)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        # Even text that looks like ``sm4:v…`` is encrypted: user input must never be able
        # to plant a ciphertext (or an undecryptable value) in the column.
        return encrypt_field(value, self.context)


class BlindIndexField(models.CharField):
    """HMAC-SM3 of another field's clear value, filled on save, for exact lookups."""

    def __init__(self, *args, source: str = "", **kwargs):
        kwargs.setdefault("max_length", 64)
        kwargs.setdefault("editable", False)
        kwargs.setdefault("blank", True)
        kwargs.setdefault("db_index", True)
        self.source = source
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        kwargs["source"] = self.source
        return name, path, args, kwargs

    def contribute_to_class(self, cls, name, private_only=False):
        super().contribute_to_class(cls, name, private_only)
        self.context = f"{cls._meta.app_label}.{cls.__name__}.{self.source}"

    def index_of(self, clear: str | None) -> str:
        return blind_index(clear, self.context) if clear else ""

    def pre_save(self, model_instance, add):
        value = self.index_of(getattr(model_instance, self.source))
        setattr(model_instance, self.attname, value)
        return value


def index_for(model: type[models.Model], field: str, clear: str) -> str:
    """The blind-index value to filter ``model`` by, e.g. ``id_number_index=index_for(...)``."""
    for f in model._meta.fields:
        if isinstance(f, BlindIndexField) and f.source == field:
            return f.index_of(clear)
    raise LookupError(f"{model.__name__}.{field} has no blind index")
