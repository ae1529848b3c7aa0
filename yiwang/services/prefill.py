"""免填写: what an application form need not ask, because the platform already knows it.

A 申请表 field names where its answer comes from with ``prefill`` (checked by
``formspec``): the applicant's account (``phone``, ``name``, ``credit_code``), the base
registries through the data room (``address``, ``division`` — 人口库 for a citizen, 法人库
for an enterprise — and ``business_scope``, 经营范围, from 法人库), or the number of an
e-licence the applicant holds (``licence`` for the item's own licence type,
``licence:<slug>`` for another). A phone field without ``prefill`` reads the account's
phone too. The applicant may change every value: a prefilled answer is a suggestion
shown with where it came from, never a value they cannot see.

The applicant is reading their own records for their own form, as at registration
(``data.identity``), so these reads are not logged as uses of their data; the 免证
checks made when the application is filed are (``materials.log_registry_checks``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext_lazy as _l

from yiwang.services.materials import registry_record, valid_licence

SOURCES: dict[str, Any] = {
    "phone": _l("联系电话"),
    "name": _l("申请人名称"),
    "credit_code": _l("统一社会信用代码"),
    "address": _l("住址或住所"),
    "division": _l("户籍或登记所在区划"),
    "business_scope": _l("经营范围"),
    "licence": _l("本事项证照的编号"),
}
LICENCE_PREFIX = "licence:"
ORIGINS = {
    "account": _l("来自您的实名账号"),
    "person": _l("来自人口库"),
    "legal_entity": _l("来自法人库"),
    "licence": _l("来自您的电子证照"),
}


def is_source(value: Any) -> bool:
    """Whether ``value`` names a prefill source (``SOURCES`` or ``licence:<slug>``)."""
    if not isinstance(value, str):
        return False
    if value.startswith(LICENCE_PREFIX):
        slug = value[len(LICENCE_PREFIX) :]
        return bool(slug) and slug.replace("_", "").isalnum() and slug.islower()
    return value in SOURCES


def source_of(field: dict) -> str:
    """The prefill source of one field: its own ``prefill``, or the account's phone for
    a phone field."""
    declared = field.get("prefill")
    if isinstance(declared, str) and declared:
        return declared
    return "phone" if field.get("type") == "phone" else ""


@dataclass
class Known:
    """One answer the platform already knows, and where it came from (``ORIGINS``)."""

    value: str
    origin: str

    @property
    def note(self) -> str:
        return str(ORIGINS.get(self.origin, ""))


class _Facts:
    """The applicant's facts, each registry record read at most once."""

    def __init__(self, user, item) -> None:
        self.user = user
        self.item = item
        self.citizen = getattr(user, "kind", "") == "citizen"
        self.id_type = "111" if self.citizen else "001"
        self.id_number = (user.id_number if self.citizen else user.credit_code) or ""
        self._records: dict[str, Any] = {}

    def record(self):
        registry = "person" if self.citizen else "legal_entity"
        if registry not in self._records:
            self._records[registry] = registry_record(registry, self.id_type, self.id_number)
        return registry, self._records[registry]

    def account(self, source: str) -> Known | None:
        user = self.user
        if source == "phone":
            phone = user.phone or ""
            if phone:
                return Known(phone, "account")
            return self.registry("phone")
        if source == "name":
            name = (user.full_name if self.citizen else user.enterprise_name) or ""
            return Known(name, "account") if name else None
        if source == "credit_code":
            return None if self.citizen else Known(user.credit_code or "", "account")
        return None

    def registry(self, name: str) -> Known | None:
        registry, record = self.record()
        if record is None or (name == "business_scope" and registry != "legal_entity"):
            return None
        value = record.division_id if name == "division" else getattr(record, name, "")
        return Known(str(value), registry) if value else None

    def licence(self, slug: str) -> Known | None:
        licence = valid_licence(slug, self.id_number)
        return Known(licence.number, "licence") if licence is not None else None

    def known(self, source: str) -> Known | None:
        if source in ("phone", "name", "credit_code"):
            return self.account(source)
        if source in ("address", "division", "business_scope"):
            return self.registry(source)
        if source == "licence":
            return self.licence(self.item.licence_type_code or "")
        if source.startswith(LICENCE_PREFIX):
            return self.licence(source[len(LICENCE_PREFIX) :])
        return None


def known_answers(user, item, fields: list[dict]) -> dict[str, Known]:
    """免填写: field name → what the platform knows for it, for the applicant ``user``
    (a citizen or an enterprise account) applying for ``item``; fields it knows
    nothing for are left out."""
    if getattr(user, "kind", "") not in ("citizen", "enterprise"):
        return {}
    facts = _Facts(user, item)
    out = {}
    for field in fields or []:
        source = source_of(field)
        if not source or not field.get("name"):
            continue
        found = facts.known(source)
        if found is not None and found.value:
            out[field["name"]] = found
    return out
