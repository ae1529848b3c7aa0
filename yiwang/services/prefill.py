"""免填写: what an application form need not ask, because the platform already knows it.

A 申请表 field names where its answer comes from with ``prefill`` (checked by
``formspec``): the applicant's account (``phone``, ``name``, ``credit_code``), the base
registries through the data room (``address``, ``division`` — 人口库 for a citizen, 法人库
for an enterprise — and ``business_scope``, 经营范围, from 法人库), or the number of an
e-licence the applicant holds (``licence`` for the item's own licence type,
``licence:<slug>`` for another). A phone field without ``prefill`` reads the account's
phone too. The applicant may change every value: a prefilled answer is a suggestion
shown with where it came from, never a value they cannot see.

Three forms are filled this way, from one set of rules: a single item's online form
(``known_answers``), the combined form of a 一件事 (``bundle_answers``: each field as the
first item asking it declares it, so ``licence`` is that item's own type), and the form a
window clerk fills in for an applicant at the counter, 一窗受理 (``window_answers``: from
the applicant the clerk identified by ID number or credit code — their account when they
have one, else what the clerk typed — with the notes said of the applicant, not "您").

An applicant reading their own records for their own form is as at registration
(``data.identity``): not logged as a use of their data. A clerk reading an applicant's
records at the window is, by ``actions.reads.do_window_prefill``; the 免证 checks made
when an application is filed are logged by the filing action."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
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
# The same origins as a window clerk reads them, said of the applicant at the counter.
WINDOW_ORIGINS = {
    "account": _l("来自申请人的实名账号"),
    "window": _l("同上方录入的申请人信息"),
    "person": _l("来自人口库"),
    "legal_entity": _l("来自法人库"),
    "licence": _l("来自申请人的电子证照"),
}
# The base registry an identifier type is found in (居民身份证 → 人口库, 统一社会信用代码 →
# 法人库); other identifiers (passports, permits) are in neither.
REGISTRY_OF = {"111": "person", "001": "legal_entity"}


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
    """One answer the platform already knows, and where it came from (``ORIGINS``, or
    ``WINDOW_ORIGINS`` when a clerk fills the form in for the applicant)."""

    value: str
    origin: str
    for_clerk: bool = False

    @property
    def note(self) -> str:
        return str((WINDOW_ORIGINS if self.for_clerk else ORIGINS).get(self.origin, ""))


@dataclass(frozen=True)
class Holder:
    """Whose facts fill the form: their identifier (``id_type`` as on licences: 111 an
    ID card, 001 a credit code), their name and phone, and where those three came from
    (``account``, ``window`` for what a clerk typed, or a registry for a name)."""

    id_type: str
    id_number: str
    name: str = ""
    phone: str = ""
    name_from: str = "account"
    phone_from: str = "account"
    id_from: str = "account"

    @property
    def organisation(self) -> bool:
        return self.id_type == "001"


def holder_of(user) -> Holder | None:
    """The holder behind a citizen's or an enterprise's own account (None for staff)."""
    kind = getattr(user, "kind", "")
    if kind == "citizen":
        return Holder("111", user.id_number or "", user.full_name or "", user.phone or "")
    if kind == "enterprise":
        return Holder("001", user.credit_code or "", user.enterprise_name or "", user.phone or "")
    return None


class _Facts:
    """The holder's facts, each registry record read at most once."""

    def __init__(self, holder: Holder, *, for_clerk: bool = False) -> None:
        self.holder = holder
        self.for_clerk = for_clerk
        self.registry_name = REGISTRY_OF.get(holder.id_type, "")
        self._records: dict[str, Any] = {}
        self.used: set[str] = set()  # the registries and licences an answer came from

    def _known(self, value: str, origin: str) -> Known | None:
        if not value:
            return None
        if origin in ("person", "legal_entity", "licence"):
            self.used.add(origin)
        return Known(value, origin, self.for_clerk)

    def record(self):
        name = self.registry_name
        if not name:
            return None
        if name not in self._records:
            self._records[name] = registry_record(name, self.holder.id_type, self.holder.id_number)
        return self._records[name]

    def account(self, source: str) -> Known | None:
        holder = self.holder
        if source == "phone":
            found = self._known(holder.phone, holder.phone_from)
            return found or self.registry("phone")
        if source == "name":
            return self._known(holder.name, holder.name_from)
        if source == "credit_code" and holder.organisation:
            return self._known(holder.id_number, holder.id_from)
        return None

    def registry(self, name: str) -> Known | None:
        record = self.record()
        if record is None or (name == "business_scope" and self.registry_name != "legal_entity"):
            return None
        value = record.division_id if name == "division" else getattr(record, name, "")
        return self._known(str(value or ""), self.registry_name)

    def licence(self, slug: str) -> Known | None:
        licence = valid_licence(slug, self.holder.id_number)
        return self._known(licence.number, "licence") if licence is not None else None

    def known(self, source: str, item) -> Known | None:
        if source in ("phone", "name", "credit_code"):
            return self.account(source)
        if source in ("address", "division", "business_scope"):
            return self.registry(source)
        if source == "licence":
            return self.licence(item.licence_type_code or "")
        if source.startswith(LICENCE_PREFIX):
            return self.licence(source[len(LICENCE_PREFIX) :])
        return None

    def answers(self, forms: Iterable[tuple[Any, list[dict]]]) -> dict[str, Known]:
        """Field name → what is known, over ``(item, fields)`` pairs: each name answered
        as the first form asking it declares it (as ``formdata.merge_fields`` keeps it)."""
        out: dict[str, Known] = {}
        seen: set[str] = set()
        for item, fields in forms:
            for field in fields or []:
                name = field.get("name")
                if not name or name in seen:
                    continue
                seen.add(name)
                source = source_of(field)
                found = self.known(source, item) if source else None
                if found is not None:
                    out[name] = found
        return out


def known_answers(user, item, fields: list[dict]) -> dict[str, Known]:
    """免填写: field name → what the platform knows for it, for the applicant ``user``
    (a citizen or an enterprise account) applying for ``item``; fields it knows
    nothing for are left out."""
    holder = holder_of(user)
    if holder is None:
        return {}
    return _Facts(holder).answers([(item, fields)])


def bundle_answers(user, items) -> dict[str, Known]:
    """免填写 on a 一件事's combined form: the same answers as each item's own form would
    get, each field once (the first item asking it decides its source)."""
    holder = holder_of(user)
    if holder is None:
        return {}
    return _Facts(holder).answers([(item, item.form_fields) for item in items])


@dataclass
class WindowAnswers:
    """What a window clerk's form is filled with: the item's fields (``known``), the
    applicant's name and phone when the clerk left them empty, and which registries and
    licences were read for them (``used``: 人口库 ``person``, 法人库 ``legal_entity``,
    ``licence``), for the record of the clerk's use of the applicant's data."""

    known: dict[str, Known]
    name: Known | None
    phone: Known | None
    used: set[str]


def window_answers(applicant, item, *, account=None) -> WindowAnswers:
    """免填写 at the window (一窗受理): ``applicant`` as the clerk entered it (``name``,
    ``id_type``, ``id_number``, ``phone``, as ``actions.applications.Applicant``) and
    ``account``, their platform account when they have one. The name is the account's,
    else the one typed, else the registry's; the phone the one typed, else the
    account's, else the registry's; the registries and licences are read by the
    identifier either way. The applicant's own name and phone are offered only where the
    clerk left them empty."""
    own = holder_of(account) if account is not None else None
    named = bool(own and own.name)
    holder = Holder(
        applicant.id_type,
        applicant.id_number,
        name=own.name if own and named else applicant.name,
        phone=applicant.phone or (own.phone if own else ""),
        name_from="account" if named else "window",
        phone_from="window" if applicant.phone else "account",
        id_from="account" if own else "window",
    )
    facts = _Facts(holder, for_clerk=True)
    if not holder.name and (registered := facts.registry("name")) is not None:
        facts.holder = replace(holder, name=registered.value, name_from=registered.origin)
    known = facts.answers([(item, item.form_fields)])
    name = None if applicant.name else facts.account("name")
    phone = None if applicant.phone else facts.account("phone")
    return WindowAnswers(known, name, phone, facts.used)
