"""双语消息: a message is written once in both languages when the event happens, so a
reader on English pages reads English whatever language the person acting used, while the
stored Chinese text is what the ledger keeps. Every message the code sends is walked: its
text goes through ``bilingual`` and each of its strings has an English translation."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from django.utils import translation
from django.utils.translation import gettext as _

from yiwang.core.actions.notify import Notice, do_notify, do_notify_each, do_notify_many
from yiwang.core.models import AuditEntry
from yiwang.core.notify.text import bilingual

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[3]
CJK = re.compile(r"[\u3400-\u9fff]")
# Calls that hand a message text on to be sent (the rooms' own helpers included).
SENDERS = {
    "do_notify",
    "do_notify_many",
    "Notice",
    "_tell",
    "_tell_citizen",
    "_tell_holder",
    "_tell_registered",
}
GETTEXT = {"_", "gettext", "ngettext", "pgettext"}


def _name(node: ast.AST) -> str:
    if isinstance(node, ast.Call):
        f = node.func
        return f.id if isinstance(f, ast.Name) else getattr(f, "attr", "")
    return ""


def _bare_gettext(node: ast.AST) -> list[ast.AST]:
    """gettext calls under ``node`` that are not inside a ``bilingual(...)``."""
    if _name(node) == "bilingual":
        return []
    found = [node] if _name(node) in GETTEXT else []
    for child in ast.iter_child_nodes(node):
        found += _bare_gettext(child)
    return found


def _sources() -> list[Path]:
    return [
        p
        for p in (ROOT / "yiwang").rglob("*.py")
        if "tests" not in p.parts and "migrations" not in p.parts
    ]


def _message_msgids() -> set[str]:
    """Every translatable string written inside a ``bilingual(...)`` message text."""
    out: set[str] = set()
    for path in _sources():
        tree = ast.parse(path.read_text("utf-8"))
        for node in ast.walk(tree):
            if _name(node) != "bilingual":
                continue
            for inner in ast.walk(node):
                if _name(inner) in GETTEXT and inner.args:  # type: ignore[attr-defined]
                    first = inner.args[0]  # type: ignore[attr-defined]
                    if isinstance(first, ast.Constant) and isinstance(first.value, str):
                        out.add(first.value)
    return out


def test_every_message_sender_writes_both_languages():
    bare = []
    for path in _sources():
        tree = ast.parse(path.read_text("utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and _name(node) in SENDERS:
                for arg in [*node.args, *(k.value for k in node.keywords)]:
                    bare += [
                        f"{path.relative_to(ROOT)}:{getattr(c, 'lineno', 0)}"
                        for c in _bare_gettext(arg)
                    ]
    assert len(_sources()) > 100
    assert not bare, f"message text not written with bilingual(): {bare}"


def test_every_message_string_has_an_english_translation():
    msgids = _message_msgids()
    assert len(msgids) >= 40  # every kind of message the rooms send
    with translation.override("en"):
        untranslated = [m for m in msgids if CJK.search(_(m))]
    assert not untranslated, untranslated


def test_bilingual_renders_each_language():
    text = bilingual(lambda: _("我的消息"))
    assert (text.zh, text.en) == ("我的消息", "My messages")


def test_reader_sees_their_language_whoever_wrote_it(client, citizen):
    with translation.override("en"):  # the person acting reads English
        do_notify(
            actor=None,
            user=citizen,
            title=bilingual(lambda: _("您的%(name)s已签发") % {"name": "居住证"}),
            body="焦作市山阳区",  # data: the same in both languages
        )
    client.force_login(citizen)
    english = client.get("/messages/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Your 居住证 has been issued" in english and "焦作市山阳区" in english
    chinese = client.get("/messages/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "您的居住证已签发" in chinese and "has been issued" not in chinese
    entry = AuditEntry.objects.filter(action="core.notification.send").latest("pk")
    assert entry.change["title"] == "您的居住证已签发"  # the ledger keeps the Chinese


def test_batched_messages_are_bilingual_too(client, citizen, make_staff):
    staff = make_staff("bureau_admin")
    title = bilingual(lambda: _("督办：%s") % "A1")
    do_notify_many(actor=None, users=[citizen, staff], title=title, channels=())
    do_notify_each([Notice(None, citizen, bilingual(lambda: _("数据异议 %s 已答复") % "B2"))])
    client.force_login(citizen)
    english = client.get("/messages/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    with translation.override("en"):
        assert _("督办：%s") % "A1" in english
        assert _("数据异议 %s 已答复") % "B2" in english
    assert "督办" not in english and "已答复" not in english
    assert staff.notifications.get().title == "督办：A1"
