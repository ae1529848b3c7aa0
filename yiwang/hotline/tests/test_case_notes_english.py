"""A 12345 ticket's history (流转记录) in the reader's language: the notes the platform
writes — the channel it came in on, 自动派单, where it was sent, an approved extension,
a hand-off, the callback's verdict and the new limit of a re-opened ticket — are stored
in Chinese and English and read in the reader's language on the ticket page, the grid
event page and the API, whatever language the person acting used; what people typed
is shown as typed."""

# ruff: noqa: F811 (fixtures imported from test_grid are parameters here)
from __future__ import annotations

import html

import pytest
from django.urls import reverse
from django.utils import translation

from yiwang.hotline.actions import handling as h
from yiwang.hotline.tests.test_grid import (  # noqa: F401
    _media,
    city_handler,
    grids,
    other_worker,
    report,
    worker,
)

pytestmark = pytest.mark.django_db


def _history(client, user, url: str, language: str) -> str:
    client.force_login(user)
    page = client.get(url, HTTP_ACCEPT_LANGUAGE=language)
    assert page.status_code == 200, url
    text = html.unescape(page.content.decode())
    return text[text.index('id="history"') :]


def _api_notes(client, user, ticket, language: str) -> list[str]:
    client.force_login(user)
    body = client.get(
        f"/api/v1/hotline/tickets/{ticket.number}", HTTP_ACCEPT_LANGUAGE=language
    ).json()
    return [e["comment"] for e in body["events"]]


def test_channel_and_automatic_dispatch_in_the_readers_language(client, take, agent):
    with translation.override("en"):  # the agent works on English pages
        t = take()
    start, route, dispatch = t.flow.events.order_by("at", "pk")[:3]
    assert (start.comment, start.comment_en) == ("渠道：电话", "Channel: Phone")
    assert (dispatch.action, dispatch.comment, dispatch.comment_en) == (
        "dispatch",
        "自动派单",
        "Automatic dispatch",
    )
    url = reverse("hotline:ticket", args=[t.pk])
    english = _history(client, agent, url, "en")
    assert "Channel: Phone" in english and "Automatic dispatch" in english
    assert "渠道" not in english and "自动派单" not in english
    chinese = _history(client, agent, url, "zh-hans")
    assert "渠道：电话" in chinese and "自动派单" in chinese and "Automatic" not in chinese
    assert route.action == "route" and route.comment_en == "Automatic dispatch"
    assert _api_notes(client, agent, t, "en")[:3] == [
        "Channel: Phone",
        "Automatic dispatch",
        "Automatic dispatch",
    ]
    assert _api_notes(client, agent, t, "zh-hans")[0] == "渠道：电话"


def test_the_loop_notes_in_the_readers_language(
    client, take, agent, supervisor, wuzhi_market, wuzhi_housing
):
    t = take("武陟县城关镇小区物业把楼道堵了", category="060101")
    h.do_return(actor=wuzhi_market, ticket=t, reason="属于物业管理，应由住建部门办理")
    with translation.override("en"):
        h.do_dispatch(actor=agent, ticket=t, category="010201")  # no note: 派往 …
        h.do_sign(actor=wuzhi_housing, ticket=t)
        h.do_request_extension(actor=wuzhi_housing, ticket=t, days=3, reason="需要协调物业公司")
        h.do_decide_extension(actor=supervisor, ticket=t, approve=True, note="同意")
        h.do_reply(actor=wuzhi_housing, ticket=t, result="resolved", reply="楼道已清理")
        h.do_conclude(actor=agent, ticket=t)
        h.do_callback(actor=agent, ticket=t, satisfaction="unsatisfied", comment="又堵上了")
        h.do_reply(actor=wuzhi_housing, ticket=t, result="resolved", reply="已再次清理")
        h.do_conclude(actor=agent, ticket=t)
        h.do_callback(actor=agent, ticket=t, satisfaction="satisfied", comment="很好")
    housing = wuzhi_housing.org_unit.department.name
    url = reverse("hotline:ticket", args=[t.pk])
    english = _history(client, supervisor, url, "en")
    for note in (
        f"Dispatched to {housing}",
        "Extension of 3 working days approved, until ",
        "Dissatisfied at callback: 又堵上了",
        "Redo deadline",
        "Rating: Satisfied 很好",
    ):
        assert note in english, note
    assert "属于物业管理，应由住建部门办理" in english and "需要协调物业公司" in english  # as typed
    for chinese_only in ("派往", "同意延期", "回访不满意", "重办时限", "评价："):
        assert chinese_only not in english, chinese_only
    chinese = _history(client, supervisor, url, "zh-hans")
    for note in (
        f"派往 {housing}",
        "同意延期 3 个工作日，至 ",
        "回访不满意：又堵上了",
        "重办时限",
        "评价：满意 很好",
    ):
        assert note in chinese, note
    assert "Redo deadline" not in chinese
    notes = _api_notes(client, supervisor, t, "en")
    assert "Redo deadline" in notes and "Dissatisfied at callback: 又堵上了" in notes


def test_hand_off_note_in_the_readers_language(client, take, agent):
    t = take("武陟县城关镇建设路有人持刀闹事", kind="help", category="060101", emergency="110")
    with translation.override("en"):
        h.do_hand_off(actor=agent, ticket=t, service="110", comment="已转接派出所")
    url = reverse("hotline:ticket", args=[t.pk])
    assert "Transferred to 110: 已转接派出所" in _history(client, agent, url, "en")
    assert "已移交 110：已转接派出所" in _history(client, agent, url, "zh-hans")


def test_grid_event_page_reads_the_notes_in_the_readers_language(
    client, grids, worker, agent, city_handler
):
    grid, _other = grids
    with translation.override("en"):
        t = report(worker, grid)
    h.do_sign(actor=city_handler, ticket=t)
    h.do_reply(actor=city_handler, ticket=t, result="resolved", reply="已补装")
    h.do_conclude(actor=agent, ticket=t)
    url = reverse("hotline:grid-event", args=[t.pk])
    client.force_login(worker)
    with translation.override("en"):
        client.post(url, {"satisfied": "0", "comment": "井盖仍未盖好"}, HTTP_ACCEPT_LANGUAGE="en")
    english = _history(client, worker, url, "en")
    assert "Channel: Grid report" in english and "Automatic dispatch" in english
    assert "Dissatisfied at callback: 井盖仍未盖好" in english and "Redo deadline" in english
    assert "渠道" not in english and "重办时限" not in english
    chinese = _history(client, worker, url, "zh-hans")
    assert "渠道：网格上报" in chinese and "回访不满意：井盖仍未盖好" in chinese
