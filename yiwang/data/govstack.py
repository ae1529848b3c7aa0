"""GovStack Digital Registries (数字登记簿) over our registries: one reading of a call's
registry — a base registry (人口库、法人库 …) or a defined one (自定义名册) — that the
API's operations share: find records by any combination of fields (all given must
match), search, filter, order and page them, and give a record's granted values. Reads
only; what a call served is logged through ``gateway.log`` by the API."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from yiwang.core.fields import BlindIndexField, EncryptedTextField, index_for
from yiwang.data import defined as dr
from yiwang.data import gateway as gw
from yiwang.data.models import DefinedRecord, RegistryDefinition
from yiwang.data.registry import REGISTRIES, RegistrySpec


def definition_of(registry: str) -> RegistryDefinition | None:
    """The live definition of ``registry`` (base registries have a built-in one)."""
    return RegistryDefinition.objects.filter(code=registry, archived_at=None).first()


def invalid(message: str) -> gw.GatewayError:
    return gw.GatewayError(422, "invalid", message)


@dataclass
class Registry:
    """One registry as the GovStack operations see it."""

    code: str
    definition: RegistryDefinition | None

    @property
    def spec(self) -> RegistrySpec | None:
        return REGISTRIES.get(self.code)

    @property
    def key(self) -> str:
        if self.spec is not None:
            return self.spec.key
        assert self.definition is not None
        return self.definition.primary_key

    def fields(self) -> list[str]:
        if self.spec is not None:
            return self.spec.fields()
        assert self.definition is not None
        return [f["name"] for f in self.definition.fields]

    def all(self) -> QuerySet:
        if self.spec is not None:
            return self.spec.model._default_manager.all()
        assert self.definition is not None
        return dr.records(self.definition)

    # --- matching -----------------------------------------------------------------

    def _base_q(self, name: str, value: Any) -> Q:
        spec = self.spec
        assert spec is not None
        model = spec.model
        fields = {f.name: f for f in model._meta.concrete_fields}
        blind = {f.source for f in fields.values() if isinstance(f, BlindIndexField)}
        text = dr.canonical(value).strip()
        if name in blind:
            if spec.blind_key and name == spec.key:
                text = text.upper()
            return Q(**{f"{name}_index": index_for(model, name, text)})
        if isinstance(fields.get(name), EncryptedTextField):
            raise invalid(_("“%s”加密存储且无盲索引，不能作为查询条件。") % name)
        if name in spec.fk_fields:
            return Q(**{f"{name}_id": text})
        if name not in fields:
            raise invalid(_("名册没有这个字段：%s") % name[:40])
        return Q(**{name: value})

    def match(self, content: dict[str, Any]) -> QuerySet:
        """Records holding every value of ``content``."""
        if not content:
            raise invalid(_("请至少提供一项查询条件。"))
        if self.spec is None:
            assert self.definition is not None
            unknown = [k for k in content if self.definition.field(k) is None]
            if unknown:
                raise invalid(_("名册没有这个字段：%s") % unknown[0][:40])
            return self.all().filter(dr.match_q(self.definition, content)).order_by("pk")
        q = Q()
        for name, value in content.items():
            q &= self._base_q(name, value)
        return self.all().filter(q).order_by("pk")

    def first(self, content: dict[str, Any]):
        """The first record matching ``content`` (by storage order), or None; a value of
        the wrong form for its column is a 422, not an error page."""
        try:
            return next(iter(self.match(content)[:1]), None)
        except (ValidationError, ValueError, TypeError):
            raise invalid(_("查询条件的取值格式不正确。")) from None

    def by_id(self, ident: str):
        """A record by its primary key value, or for a defined registry by its uuid."""
        if self.spec is None:
            qs = self.all()
            try:
                found = qs.filter(uuid=ident).first()
            except ValidationError:
                found = None
            if found is not None:
                return found
        return self.first({self.key: ident})

    # --- values -------------------------------------------------------------------

    def values(self, record, fields: list[str]) -> dict[str, Any]:
        """The record's values of ``fields`` (JSON-ready)."""
        if isinstance(record, DefinedRecord):
            stored = dr.decode(record)
            return {f: stored.get(f) for f in fields if f in stored}
        return gw.values(record, fields)

    # --- lists --------------------------------------------------------------------

    def _text_fields(self) -> list[str]:
        spec = self.spec
        assert spec is not None
        from django.db import models

        return [
            f.name
            for f in spec.model._meta.concrete_fields
            if isinstance(f, models.CharField | models.TextField)
            and not isinstance(f, EncryptedTextField)
            and f.name in spec.fields()
        ]

    def search(self, qs: QuerySet, text: str, only: str | None) -> QuerySet:
        """Records with ``text`` inside a plain text field (``only``, or any)."""
        if only is not None and only not in self.fields():
            raise invalid(_("名册没有这个字段：%s") % only[:40])
        if self.spec is None:
            assert self.definition is not None
            return qs.filter(dr.search_q(self.definition, text, only))
        names = [n for n in self._text_fields() if only is None or n == only]
        q = Q(pk__in=[])
        for name in names:
            q |= Q(**{f"{name}__icontains": text})
        return qs.filter(q)

    def order(self, qs: QuerySet, ordering: str) -> QuerySet:
        """``ascending``/``descending`` (by primary key), or a field name with an optional
        leading ``-`` (personal and encrypted fields cannot be ordered by)."""
        word = (ordering or "").strip()
        if word in ("", "ascending", "asc"):
            return qs.order_by("pk")
        if word in ("descending", "desc"):
            return qs.order_by("-pk")
        desc, name = word.startswith("-"), word.lstrip("-")
        if name not in self.fields():
            raise invalid(_("不能按“%s”排序。") % name[:40])
        if self.spec is None:
            assert self.definition is not None
            f = self.definition.field(name)
            if f is None or f["personal"]:
                raise invalid(_("不能按“%s”排序。") % name[:40])
            column = "key" if name == self.key else f"data__{name}"
        else:
            model_field = self.spec.model._meta.get_field(name)
            if isinstance(model_field, EncryptedTextField):
                raise invalid(_("不能按“%s”排序。") % name[:40])
            column = f"{name}_id" if name in self.spec.fk_fields else name
        return qs.order_by(f"-{column}" if desc else column, "-pk" if desc else "pk")


def registry(code: str) -> Registry:
    """The registry named in a call's path (the caller's grant is checked before)."""
    return Registry(code, definition_of(code))
