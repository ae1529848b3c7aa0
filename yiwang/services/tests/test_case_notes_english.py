"""The notes the platform writes on a 办件's history (流转记录) — how it was submitted (网上
or 一窗受理), each 秒批 step and why 秒批 did not decide, a 差评整改's opening and its
deadline — read in English on English pages and in Chinese on Chinese ones, whatever
language the person acting used; what a person typed is shown as typed."""

# ruff: noqa: F811 (fixtures imported from ratings_setup are parameters here)
from __future__ import annotations

import html

import pytest
from django.urls import reverse
from django.utils import translation

from yiwang.services.actions import applications as actions
from yiwang.services.actions.ratings import do_act_rectification
from yiwang.services.tests.ratings_setup import (  # noqa: F401
    finished,
    item,
    people,
    visit_rating,
)
from yiwang.services.tests.test_instant_paths import _media, permit_item  # noqa: F401

pytestmark = pytest.mark.django_db


def _history(client, user, url: str, language: str) -> str:
    client.force_login(user)
    page = client.get(url, HTTP_ACCEPT_LANGUAGE=language)
    assert page.status_code == 200, url
    text = html.unescape(page.content.decode())
    return text[text.index('id="history"') :]


def _mine(client, app, language: str) -> str:
    url = reverse("services:my-application", args=[app.number])
    return _history(client, app.applicant, url, language)


def _staff(client, user, app, language: str) -> str:
    url = reverse("services:staff-application", args=[app.number])
    return _history(client, user, url, language)


def test_instant_approval_notes_in_the_readers_language(client, permit_item, citizen, make_staff):
    with translation.override("en"):  # the applicant reads English while applying
        app = actions.do_apply(
            actor=citizen,
            item=permit_item,
            form_data={"address": "焦作市山阳区塔南路 1 号", "months": 12},
            uploads={},
        )
    assert app.outcome == "approved"
    approve = app.case.events.get(action="approve")
    assert approve.comment == (
        "秒批：符合规则「居住满半年且人口库有登记」，系统自动审批通过。"
        "依据：《居住证暂行条例》第二条"
    )
    english = _mine(client, app, "en")
    assert (
        'Instant approval: rule "居住满半年且人口库有登记" holds; approved automatically by'
        " the system. Basis: 《居住证暂行条例》第二条" in english
    )
    assert "秒批" not in english and "系统自动" not in english
    chinese = _mine(client, app, "zh-hans")
    assert "秒批：符合规则「居住满半年且人口库有登记」" in chinese and "Instant" not in chinese

    officer = make_staff("approver", "410800", "public_security")
    staff = _staff(client, officer, app, "en")
    assert "The applicant submitted the application online." in staff
    assert "Instant approval: accepted automatically by the system." in staff
    assert "the application matches the rule conditions" in staff
    staff = _staff(client, officer, app, "zh-hans")
    assert "申请人网上提交申请。" in staff and "秒批：系统自动受理。" in staff


def test_why_instant_approval_did_not_decide_in_either_language(
    client, permit_item, citizen, make_staff
):
    app = actions.do_apply(
        actor=citizen,
        item=permit_item,
        form_data={"address": "焦作市山阳区塔南路 1 号", "months": 3},
        uploads={},
    )
    assert not app.outcome
    officer = make_staff("window_clerk", "410800", "public_security")
    english = _staff(client, officer, app, "en")
    assert (
        'No instant approval; passed to manual review: Rule "居住满半年且人口库有登记"'
        " not met: 已居住月数 ≥ 6" in english
    )
    assert "未能秒批" not in english
    chinese = _staff(client, officer, app, "zh-hans")
    assert "未能秒批，转人工审查：规则「居住满半年且人口库有登记」不满足：已居住月数 ≥ 6" in chinese
    # The ledger keeps the reasons in Chinese.
    from yiwang.core.models import AuditEntry

    refer = AuditEntry.objects.get(action="services.application.instant_refer")
    assert refer.change["reasons"] == ["规则「居住满半年且人口库有登记」不满足：已居住月数 ≥ 6"]


def test_window_intake_note_in_the_readers_language(client, make_item, make_staff):
    item = make_item("个体工商户登记（新办）", applicants="person", promised_days=5)
    clerk = make_staff("window_clerk", "410823", "big_data", full_name="王窗口")
    with translation.override("en"):  # the clerk works on English pages
        app = actions.do_window_intake(
            actor=clerk,
            item=item,
            applicant_name="王五",
            applicant_id_type="111",
            applicant_id_number="11010519491231002X",
            phone="",
            form_data={"shop_name": "王五小卖部", "area": "20"},
            uploads={},
            received=[item.materials.get().pk],
        )
    start = app.case.events.get(action="start")
    assert start.comment.startswith("一窗受理：王窗口")
    officer = make_staff("window_clerk", "410823", "market")
    english = _staff(client, officer, app, "en")
    assert "Single-window intake: 王窗口 (" in english
    assert "submitted on behalf of the applicant." in english and "一窗受理" not in english
    chinese = _staff(client, officer, app, "zh-hans")
    assert "一窗受理：王窗口（" in chinese and "Single-window" not in chinese
    # A step the clerk takes for the applicant (窗口代办): the platform names the clerk.
    actions.do_act(actor=officer, application=app, action="request_correction", comment="补充照片")
    actions.do_act(actor=clerk, application=app, action="resubmit", comment="已补充")
    english = _staff(client, officer, app, "en")
    assert "已补充(handled by counter staff 王窗口 on behalf of the applicant)" in english
    assert "补充照片" in english  # a person's words, as typed
    chinese = _staff(client, officer, app, "zh-hans")
    assert "已补充（窗口人员 王窗口 代申请人办理）" in chinese


def test_rating_notes_in_the_readers_language(client, people, item, visit_rating):
    with translation.override("en"):
        rating = visit_rating(item, 5, comment="态度生硬")
    url = reverse("services:rectification", args=[rating.pk])
    english = _history(client, people.admin, url, "en")
    assert "Poor rating: " in english and "Staff member rated: 王窗口" in english
    assert "Comment: 态度生硬" in english and "差评：" not in english
    chinese = _history(client, people.admin, url, "zh-hans")
    assert (
        "差评：" in chinese and "被评价人员：王窗口" in chinese and "评价内容：态度生硬" in chinese
    )
    assert "Poor rating" not in chinese

    do_act_rectification(
        actor=people.admin, rating=rating, action="schedule_fix", comment="已回访，限期整改"
    )
    rating.rectification.refresh_from_db()
    due = rating.rectification.case_due
    english = _history(client, people.admin, url, "en")
    assert f"已回访，限期整改 (rectification deadline: {due:%Y-%m-%d})" in english
    chinese = _history(client, people.admin, url, "zh-hans")
    assert f"已回访，限期整改（整改期限：{due:%Y-%m-%d}）" in chinese
