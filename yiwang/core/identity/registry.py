"""Checking who registers against the base registries (人口库 / 法人库), through the
rooms that keep them (``Manifest.identity_registry``); core names no room. With no
registry installed nothing can be matched and accounts stay 未实名."""

from __future__ import annotations

from yiwang.core.rooms import identity_registries


def has_registry(kind: str) -> bool:
    """Whether an installed room provides the ``person`` or ``legal_entity`` check."""
    return bool(identity_registries(kind))


def match_person(full_name: str, id_number: str) -> dict | None:
    """The resident's registry facts (``phone`` …) when ``full_name`` and ``id_number``
    name the same person in the population registry; None otherwise."""
    name = "".join(full_name.split())
    for check in identity_registries("person"):
        facts = check(name, id_number)
        if facts is not None:
            return facts
    return None


def match_legal_entity(credit_code: str) -> dict | None:
    """The entity's registry facts (``name``, ``legal_rep_name``, ``legal_rep_id``) when
    the credit code is registered; None otherwise."""
    for check in identity_registries("legal_entity"):
        facts = check(credit_code)
        if facts is not None:
            return facts
    return None


def represented_by(id_number: str) -> list[str]:
    """The credit codes of the registered entities whose legal representative (法定代表人)
    holds ``id_number``; empty with no legal-person registry."""
    codes: list[str] = []
    for check in identity_registries("represented_by"):
        codes.extend(check(id_number))
    return sorted(set(codes))
