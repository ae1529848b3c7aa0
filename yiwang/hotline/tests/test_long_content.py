"""Long letters (长诉求): every intake channel — the agent's console, the citizen's web
form, the API, Open311 and the grid worker's report — takes a 9,000-character request
and refuses a 10,001-character one with a clear message in Chinese and in English; a
title taken from the content is cut between words, never inside one."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from yiwang.hotline.actions.tickets import title_from
from yiwang.hotline.knowledge import _jieba
from yiwang.hotline.models import Category, Ticket
from yiwang.hotline.tests.test_grid import grids, other_worker, worker  # noqa: F401
from yiwang.hotline.tests.test_open311 import api_key  # noqa: F401

pytestmark = pytest.mark.django_db

PARAGRAPH = (
    "我家住在武陟县城关镇建设路幸福小区，楼下新开的饭店从去年秋天起每天营业到凌晨，"
    "油烟管道直接对着居民楼排放，噪音和气味影响了整栋楼的休息。我们多次和店主沟通，"
    "也向社区和物业反映过，至今没有改善。现把经过详细写明，请有关部门依法处理。"
)
ZH_TOO_LONG = "不能超过 10000 字"  # 诉求内容 (or Open311's description) …
EN_TOO_LONG = "may have at most 10000 characters"


def said(response) -> str:
    """The response's text, JSON unescaped."""
    if response["Content-Type"].startswith("application/json"):
        return json.dumps(response.json(), ensure_ascii=False)
    return response.content.decode()


def letter(n: int) -> str:
    """A citizen's long letter of exactly ``n`` characters."""
    return (PARAGRAPH * (n // len(PARAGRAPH) + 1))[:n]


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def leaf() -> str:
    """A leaf category code of whatever tree is loaded."""
    return Category.objects.filter(active=True, children__isnull=True).order_by("code")[0].code


def _console(client, agent, text, lang):
    client.force_login(agent)
    return client.post(
        reverse("hotline:console"),
        {"channel": "phone", "kind": "complaint", "content": text, "category": leaf()},
        HTTP_ACCEPT_LANGUAGE=lang,
    )


def _web(client, citizen, text, lang):
    client.force_login(citizen)
    return client.post(
        reverse("hotline:submit"),
        {"kind": "complaint", "content": text, "address": "武陟县城关镇"},
        HTTP_ACCEPT_LANGUAGE=lang,
    )


def _api(client, agent, text, lang):
    client.force_login(agent)
    return client.post(
        "/api/v1/hotline/tickets",
        {"channel": "phone", "kind": "complaint", "content": text, "category": leaf()},
        content_type="application/json",
        HTTP_ACCEPT_LANGUAGE=lang,
    )


def _open311(client, key, text, lang):
    return client.post(
        "/open311/v2/requests.json",
        {
            "api_key": key,
            "service_code": leaf(),
            "lat": "35.099",
            "long": "113.403",
            "description": text,
        },
        HTTP_ACCEPT_LANGUAGE=lang,
    )


def _grid(client, grid_worker, text, lang, grid):
    client.force_login(grid_worker)
    return client.post(
        reverse("hotline:grid"),
        {"grid": grid.code, "kind": "report", "content": text},
        HTTP_ACCEPT_LANGUAGE=lang,
    )


@pytest.fixture
def send(request, client, agent, citizen, city):
    """send(channel, text, lang) → the response of that channel's intake."""

    def _send(channel: str, text: str, lang: str = "zh-hans"):
        if channel == "console":
            return _console(client, agent, text, lang)
        if channel == "web":
            return _web(client, citizen, text, lang)
        if channel == "api":
            return _api(client, agent, text, lang)
        if channel == "open311":
            return _open311(client, request.getfixturevalue("api_key"), text, lang)
        grid, _other = request.getfixturevalue("grids")
        return _grid(client, request.getfixturevalue("worker"), text, lang, grid)

    return _send


CHANNELS = ["console", "web", "api", "open311", "grid"]


@pytest.mark.parametrize("channel", CHANNELS)
def test_a_9000_character_letter_is_taken_whole(send, channel):
    text = letter(9000)
    r = send(channel, text)
    assert r.status_code in (200, 201, 302), r.content.decode()[:500]
    t = Ticket.objects.get()
    assert t.content == text
    assert len(t.title) <= 30 and t.title.endswith("…")
    assert t.terms.exists()  # signed at intake, for hotspots and similar tickets


@pytest.mark.parametrize("channel", CHANNELS)
def test_a_10001_character_letter_is_refused_in_both_languages(send, channel):
    text = letter(10_001)
    zh = send(channel, text)
    assert zh.status_code in (400, 422), zh.status_code
    assert ZH_TOO_LONG in said(zh)
    en = send(channel, text, "en")
    assert en.status_code in (400, 422)
    assert EN_TOO_LONG in said(en)
    assert not Ticket.objects.exists()


def test_the_forms_say_the_limit(client, agent, citizen, city):
    client.force_login(agent)
    assert 'maxlength="10000"' in client.get(reverse("hotline:console")).content.decode()
    client.force_login(citizen)
    page = client.get(reverse("hotline:submit")).content.decode()
    assert 'maxlength="10000"' in page and "最多 10000 字" in page


@pytest.mark.parametrize(
    "content",
    [
        PARAGRAPH,
        "反映焦作市解放区民主南路与解放中路交叉口东北角的人行道上长期堆放建筑垃圾无人清理",
        "Streetlights on Jianshe Road have been out for a whole week and nobody repairs them",
        "长" * 50,
    ],
)
def test_titles_are_cut_between_words(content):
    title = title_from(content)
    assert len(title) <= 30 and title.endswith("…")
    head = title[:-1]
    assert content.startswith(head)
    if content[0] != "长":  # one long run of one character has no word to keep whole
        ends = set()
        pos = 0
        for w in _jieba().cut(content, HMM=False):
            pos += len(w)
            ends.add(pos)
        assert len(head) in ends or content[len(head)] in "，。 " or head[-1] in "，。 "


def test_short_content_is_its_own_title():
    assert title_from("  路灯不亮  ") == "路灯不亮"


def test_line_breaks_count_once_as_the_browser_counts_them(send):
    """A form's 10,000 characters with line breaks arrive with \\r\\n pairs: still taken."""
    text = "\r\n".join([letter(99)] * 100)  # 9,900 characters and 99 breaks as the browser counts
    r = send("console", text)
    assert r.status_code in (200, 302), r.content.decode()[:300]
    assert "\r" not in Ticket.objects.get().content


def test_titles_carry_no_direction_overrides_or_invisible_characters():
    title = title_from("路灯\u202e不亮\u200b了" + "，很危险" * 20)
    assert "\u202e" not in title and "\u200b" not in title and title.startswith("路灯不亮了")
