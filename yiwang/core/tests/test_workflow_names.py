"""Workflow names in both languages: every state and action of every installed workflow
definition carries an English name, English pages show it, Chinese pages and the stored
events keep the Chinese one."""

from __future__ import annotations

import json
import re

import pytest
from django.utils import translation

from yiwang.core.actions.workflow import workflow_files
from yiwang.core.workflow import Definition, validate_definition

CJK = re.compile(r"[\u3400-\u9fff]")
DEFINITIONS = [(p.stem, json.loads(p.read_text(encoding="utf-8"))) for p in workflow_files()]


def test_there_are_definitions_to_walk():
    assert len(DEFINITIONS) >= 7


@pytest.mark.parametrize(("code", "data"), DEFINITIONS, ids=[c for c, _ in DEFINITIONS])
def test_every_state_and_action_is_named_in_english(code, data):
    validate_definition(data)
    for entry in [data, *data["states"], *data["actions"]]:
        english = entry.get("name_en", "")
        assert english and not CJK.search(english), f"{code}: {entry['name']} has no English name"
        assert CJK.search(entry["name"]), f"{code}: {entry['name']} should be Chinese"


@pytest.mark.parametrize(("code", "data"), DEFINITIONS, ids=[c for c, _ in DEFINITIONS])
def test_labels_follow_the_reader_language(code, data):
    d = Definition(data)
    for state in data["states"]:
        with translation.override("en"):
            assert d.state_name(state["code"]) == state["name_en"]
        with translation.override("zh-hans"):
            assert d.state_name(state["code"]) == state["name"]
    for entry in data["actions"]:
        action = d.action(entry["code"])
        assert action is not None
        with translation.override("en"):
            assert action.label == entry["name_en"] == d.event_label(entry["code"])
        with translation.override("zh-hans"):
            assert action.label == entry["name"] == d.event_label(entry["code"])
        assert action.name == entry["name"]  # what events and the ledger keep
