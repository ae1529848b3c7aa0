"""No internal codes shown to citizens: every page a demo citizen reaches — the case
pages of their own cases, the licence wallet and each licence, the account pages,
messages, the public verification page with their licence — says things in plain
Chinese. Stored references (``person:1@v1``), e-licence identifiers, digests, rule codes
(``valid_permit_in_registry``), rule operands (``registry.person.name``), exchange system
identifiers (``CN/GOV/…``) and doubled states ("已办结（办结）") may only sit in a
技术信息 <details> box, which the walk leaves out."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest

from tests import demo_world

pytestmark = pytest.mark.django_db

INTERNAL = {
    "stored reference": re.compile(r"\b(person|legal_entity|place)\s*:\s*\d+@v\d+"),
    "licence identifier": re.compile(r"\b1\.2\.156\.\d+\.\d+\.[0-9A-Z]{10,}"),
    "digest": re.compile(r"\b(SM3|SHA-?256)\b|\b[0-9a-f]{32,}\b", re.IGNORECASE),
    "rule or field code": re.compile(r"\b[a-z]+(_[a-z]+){2,}\b"),
    "rule operand": re.compile(r"\b(registry|applicant|licence|form)\.[a-z_]+(\.[a-z_]+)?\b"),
    "system identifier": re.compile(r"\bCN/GOV/"),
    "doubled state": re.compile(r"已办结（(办结|已办结)）"),
}


class VisibleText(HTMLParser):
    """The text a person sees in <main>: no scripts, no hidden or sr-only parts, not what
    they typed themselves (a <textarea>'s content), and of a <details> box only its
    <summary> (its body is shown on request)."""

    VOID = frozenset({"br", "img", "input", "meta", "link", "hr", "source", "wbr", "col"})

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[tuple[str, bool]] = []
        self.in_main = False
        self.parts: list[str] = []

    def hidden(self) -> bool:
        return any(h for _tag, h in self.stack)

    def handle_starttag(self, tag, attrs):
        if tag in self.VOID:
            return
        a = dict(attrs)
        if tag == "main":
            self.in_main = True
        parent_details = bool(self.stack) and self.stack[-1][0] == "details"
        hide = (
            tag in ("script", "style", "template", "textarea")
            or "hidden" in a
            or "sr-only" in (a.get("class") or "").split()
            or (parent_details and tag != "summary")
        )
        self.stack.append((tag, hide))

    def handle_endtag(self, tag):
        if tag in self.VOID:
            return
        while self.stack:
            open_tag, _hide = self.stack.pop()
            if open_tag == tag:
                break
        if tag == "main":
            self.in_main = False

    def handle_data(self, data):
        parent_details = bool(self.stack) and self.stack[-1][0] == "details"
        if self.in_main and not self.hidden() and not parent_details:
            self.parts.append(data)


def visible_text(html: str) -> str:
    parser = VisibleText()
    parser.feed(html)
    return " ".join(" ".join(parser.parts).split())


def internal_codes(text: str) -> list[str]:
    return [f"{name}: {m.group(0)!r}" for name, rx in INTERNAL.items() for m in rx.finditer(text)]


def test_the_patterns_catch_what_they_are_for():
    for sample in (
        "居民身份证 基础库核验 person:1@v1",
        "电子证照 1.2.156.3005.2.11100000LMUYHFBG3X001.11410800K3UY7M2J9E.20260000001.001.G",
        "（45 字节，SM3 a68234bc0b...）",
        "秒批规则 valid_permit_in_registry",
        "缺少 registry.person.name",
        "调用方 CN/GOV/410800-civil/app",
        "已办结（办结）",
    ):
        assert internal_codes(sample), sample
    html = (
        "<main><p>已通过人口库核验</p><details class='tech'><summary>技术信息</summary>"
        "<p>person:1@v1</p></details><span class='sr-only'>x_y_z</span></main>"
    )
    assert visible_text(html) == "已通过人口库核验 技术信息"


def citizen_pages(world) -> list[str]:
    pages = [
        "/",
        "/me/",
        "/account/",
        "/messages/",
        "/services/my/",
        "/services/ratings/mine/",
        "/licences/wallet/",
        "/hotline/my/",
        "/data/my-data/",
    ]
    pages += [f"/services/my/{a.number}/" for a in world.applications]
    pages += [f"/licences/wallet/{lic.pk}/" for lic in world.licences]
    pages += [f"/cases/{case.pk}/" for case in world.cases]
    return pages


def test_no_internal_codes_on_citizen_pages(client, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    world = demo_world.build()
    assert any(a.decided_by_rule for a in world.applications)
    assert any(a.materials.filter(source="registry").exists() for a in world.applications)
    client.force_login(world.citizen)
    found = {}
    for url in citizen_pages(world):
        response = client.get(url, follow=True)
        assert response.status_code == 200, url
        text = visible_text(response.content.decode())
        assert text, url
        if codes := internal_codes(text):
            found[url] = codes
    # The public verification page, with a licence the citizen shows.
    licence = world.licences[0]
    response = client.post(
        "/licences/verify/", {"payload": f"{licence.identifier} {licence.token}"}
    )
    text = visible_text(response.content.decode())
    assert "真实有效" in text
    if codes := internal_codes(text):
        found["/licences/verify/"] = codes
    assert not found, "\n".join(f"{url}: {codes}" for url, codes in found.items())


def test_case_pages_say_what_was_checked_in_plain_words(client, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    world = demo_world.build()
    client.force_login(world.citizen)
    permit = world.applications[0]
    text = visible_text(client.get(f"/services/my/{permit.number}/").content.decode())
    assert "已通过人口库核验" in text
    assert "使用您的电子居住证" in text
    assert "持有效电子居住证且人口库有记录" in text
    assert "技术信息" in text  # the references, on request
    home = visible_text(client.get("/me/").content.decode())
    assert "已办结" in home and "已办结（办结）" not in home
