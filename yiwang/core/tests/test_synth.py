"""Synthetic 焦作: deterministic, valid and unique identifiers."""

from collections import Counter

from yiwang.core.identifiers import (
    credit_code_type,
    id_birth_date,
    id_sex,
    is_valid_credit_code,
    is_valid_id_number,
    validate_mobile,
)
from yiwang.core.synth import COUNTIES, CitySynth, enterprises, people

COUNTY_CODES = {c for c, _n, _p in COUNTIES}


def test_same_seed_same_people_and_prefix_property():
    a = list(people(300))
    b = list(CitySynth().people(300))
    assert a == b
    # A shorter run is a prefix of a longer one, so seeding can resume.
    assert list(people(100)) == a[:100]
    assert list(people(50, seed=7)) != a[:50]


def test_people_have_valid_unique_ids_matching_sex_birth_and_county():
    rows = list(people(20000))
    ids = [r["id_number"] for r in rows]
    assert len(set(ids)) == len(ids)
    for r in rows:
        assert is_valid_id_number(r["id_number"]), r
        assert r["id_number"][:6] == r["division"] in COUNTY_CODES
        assert id_sex(r["id_number"]) == r["sex"]
        assert id_birth_date(r["id_number"]) == r["birth_date"]
        assert 1940 <= r["birth_date"].year <= 2010
        assert validate_mobile(r["phone"]) == r["phone"]
        assert 2 <= len(r["full_name"]) <= 4
    # Population-weighted: 武陟 (713,896) outnumbers 中站 (106,057) several times over.
    by_county = Counter(r["division"] for r in rows)
    assert by_county["410823"] > 4 * by_county["410803"]


def test_enterprises_have_valid_unique_credit_codes_and_names():
    rows = list(enterprises(5000))
    codes = [r["credit_code"] for r in rows]
    assert len(set(codes)) == len(codes)
    kinds = Counter(r["entity_type"] for r in rows)
    assert set(kinds) == {"91", "92", "93"} and kinds["91"] > kinds["92"] > kinds["93"]
    for r in rows:
        assert is_valid_credit_code(r["credit_code"]), r
        assert r["credit_code"][:2] == r["entity_type"]
        assert r["credit_code"][2:8] == r["division"]
        assert r["division"] == "410800" or r["division"] in COUNTY_CODES
        assert credit_code_type(r["credit_code"]) in {"企业", "个体工商户", "农民专业合作社"}
        if r["entity_type"] == "91":
            assert r["name"].endswith("有限公司")
        if r["entity_type"] == "93":
            assert r["name"].endswith("专业合作社")
    assert list(enterprises(20)) == rows[:20]
