"""Message text in both languages (双语消息): a notification is written at the time of the
event, in whatever language the person acting reads, but read later by someone who may
read the other one. The text is therefore rendered once in Chinese and once in English
when the message is created, and the inbox shows the reader's language; the ledger and
the channels (SMS, email) keep the Chinese."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeAlias

from django.utils import translation


@dataclass(frozen=True)
class Bilingual:
    """One message text as Chinese (``zh``) and English (``en``)."""

    zh: str
    en: str

    def __str__(self) -> str:
        return self.zh


Text: TypeAlias = str | Bilingual


def bilingual(make: Callable[[], object]) -> Bilingual:
    """Render ``make`` (e.g. ``lambda: _("您的诉求已办结：%s") % number``) once in Chinese
    and once in English, so every translated piece inside it (state names, levels, role
    names) follows the language too."""
    with translation.override("zh-hans"):
        zh = str(make())
    with translation.override("en"):
        en = str(make())
    return Bilingual(zh, en)


def shown(text: Text) -> str:
    """``text`` in the active language: a ``Bilingual``'s English on English pages (or
    inside ``bilingual``'s English pass), its Chinese otherwise; plain text as it is."""
    if isinstance(text, Bilingual) and (translation.get_language() or "").startswith("en"):
        return text.en or text.zh
    return str(text)


def split(text: Text) -> tuple[str, str]:
    """(Chinese, English) of a message text; plain text (data such as a case title, or a
    reason someone typed) is the same in both and stores no English copy."""
    if isinstance(text, Bilingual):
        return text.zh, text.en
    return str(text), ""
