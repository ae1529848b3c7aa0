"""The English message catalogues: complete (no empty or fuzzy msgstr) and written with
English punctuation — half-width commas, stops, colons, brackets and straight quotes,
never the full-width ones of the Chinese source (，。：；（）「」“”)."""

from __future__ import annotations

import gettext
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]  # the yiwang package
CATALOGUES = sorted(ROOT.rglob("locale/en/LC_MESSAGES/django.po"))
FULL_WIDTH = re.compile("[，。：；（）「」“”]")
_STRING = re.compile(r'"((?:[^"\\]|\\.)*)"')


def _entries(po: Path) -> list[dict[str, str]]:
    """The .po entries as {"flags", "msgid", "msgstr" …} (continued lines joined)."""
    out = []
    for block in po.read_text("utf-8").split("\n\n"):
        entry: dict[str, str] = {"flags": ""}
        key = ""
        for line in block.splitlines():
            if line.startswith("#,"):
                entry["flags"] += line
            elif line.startswith("#"):
                continue
            elif line.startswith("msg"):
                key, _sep, rest = line.partition(" ")
                entry[key] = "".join(_STRING.findall(rest))
            elif line.startswith('"') and key:
                entry[key] += "".join(_STRING.findall(line))
        if entry.get("msgid"):
            out.append(entry)
    return out


def test_catalogues_are_found():
    assert ROOT / "locale/en/LC_MESSAGES/django.po" in CATALOGUES


@pytest.mark.parametrize("po", CATALOGUES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_entry_is_translated(po):
    entries = _entries(po)
    assert len(entries) > 10
    fuzzy = [e["msgid"] for e in entries if "fuzzy" in e["flags"]]
    assert fuzzy == []
    empty = [
        e["msgid"]
        for e in entries
        if not any(v for k, v in e.items() if k.startswith("msgstr"))
        or any(not v for k, v in e.items() if k.startswith("msgstr["))
    ]
    assert empty == []


@pytest.mark.parametrize("po", CATALOGUES, ids=lambda p: str(p.relative_to(ROOT)))
def test_compiled_english_uses_half_width_punctuation(po):
    with po.with_suffix(".mo").open("rb") as fp:
        catalogue = gettext.GNUTranslations(fp)._catalog
    assert len(catalogue) > 10
    bad = {
        str(k): v for k, v in catalogue.items() if k and isinstance(v, str) and FULL_WIDTH.search(v)
    }
    assert bad == {}


def test_english_says_one_day_and_two_days():
    from django.utils import translation
    from django.utils.translation import ngettext

    with translation.override("en"):
        one = ngettext("%(n)s 个工作日", "%(n)s 个工作日", 1) % {"n": 1}
        two = ngettext("%(n)s 个工作日", "%(n)s 个工作日", 2) % {"n": 2}
    assert (one, two) == ("1 working day", "2 working days")
    with translation.override("zh-hans"):
        assert ngettext("%(n)s 个工作日", "%(n)s 个工作日", 1) % {"n": 1} == "1 个工作日"
