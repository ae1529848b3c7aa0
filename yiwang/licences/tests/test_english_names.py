"""The 证照目录 in English: every shipped licence type names itself, its holder and every
照面信息 item in English, and English pages show those names while Chinese pages and the
signed licence keep the Chinese."""

from __future__ import annotations

import re

import pytest
from django.utils import translation

from yiwang.licences.actions.catalogue import catalogue_fixture

pytestmark = pytest.mark.django_db
CJK = re.compile(r"[\u3400-\u9fff]")
SPECS = catalogue_fixture()


@pytest.mark.parametrize("spec", SPECS, ids=[s["slug"] for s in SPECS])
def test_every_type_and_item_has_an_english_name(spec):
    for key in ("name_en", "holder_label_en"):
        assert spec.get(key) and not CJK.search(spec[key]), f"{spec['slug']}: {key}"
    for item in spec.get("fields", []):
        assert item.get("label_en") and not CJK.search(item["label_en"]), item["key"]


def test_loaded_types_answer_in_the_reader_language(licence_types):
    assert len(licence_types) == len(SPECS)
    for spec in SPECS:
        t = licence_types[spec["slug"]]
        with translation.override("en"):
            assert t.display_name == spec["name_en"]
            assert t.display_holder_label == spec["holder_label_en"]
            assert set(t.field_labels().values()) == {f["label_en"] for f in spec["fields"]}
        with translation.override("zh-hans"):
            assert t.display_name == spec["name"]
            assert set(t.field_labels().values()) == {f["label"] for f in spec["fields"]}


def test_wallet_in_english_shows_english_names(client, issue, citizen):
    permit = issue("residence_permit")
    client.force_login(citizen)
    english = {"HTTP_ACCEPT_LANGUAGE": "en"}
    listing = client.get("/licences/wallet/", **english).content.decode()
    assert "Residence permit" in listing and "居住证" not in listing
    detail = client.get(f"/licences/wallet/{permit.pk}/", **english).content.decode()
    assert "Residence permit" in detail and "Residential address" in detail
    chinese = client.get(f"/licences/wallet/{permit.pk}/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert "居住证" in chinese.content.decode()
    assert permit.licence_type.name == "居住证"  # what the signed record carries
