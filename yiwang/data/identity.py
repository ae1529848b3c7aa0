"""实名核验 against the base registries: the population registry (人口库) answers whether a
name and ID number belong to one resident, the legal-person registry (法人库) what it
holds for a credit code. Lookups go through the blind indexes only; nothing is logged
as a data read, since the person is proving who they are, not being looked up."""

from __future__ import annotations

from yiwang.core.fields import index_for


def match_person(full_name: str, id_number: str) -> dict | None:
    """The resident's facts when both the ID number's and the name's blind index match
    one record (so a wrong name and an unknown ID number look the same)."""
    from yiwang.data.models import Person

    if not full_name or not id_number:
        return None
    person = (
        Person.objects.filter(
            id_number_index=index_for(Person, "id_number", id_number),
            name_index=index_for(Person, "name", full_name),
        )
        .only("id", "phone")
        .first()
    )
    if person is None:
        return None
    return {"phone": person.phone or ""}


def match_legal_entity(credit_code: str) -> dict | None:
    """The registered entity's name and legal representative, or None."""
    from yiwang.data.models import LegalEntity

    entity = LegalEntity.objects.filter(credit_code=credit_code.strip().upper()).first()
    if entity is None:
        return None
    return {
        "name": entity.name,
        "legal_rep_name": entity.legal_rep_name or "",
        "legal_rep_id": entity.legal_rep_id or "",
        "status": entity.status,
    }


def entities_represented_by(id_number: str) -> list[str]:
    """The credit codes of the entities whose 法定代表人 holds ``id_number`` (through the
    blind index of the representative's ID number)."""
    from yiwang.data.models import LegalEntity

    if not id_number:
        return []
    key = index_for(LegalEntity, "legal_rep_id", id_number)
    return list(
        LegalEntity.objects.filter(legal_rep_id_index=key).values_list("credit_code", flat=True)
    )
