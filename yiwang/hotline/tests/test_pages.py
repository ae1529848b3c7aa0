"""The hotline pages: agent console, ticket page steps, department list, public tracking
and rating, citizen submission — with clear errors and the right refusals."""

from __future__ import annotations

import pytest
from django.urls import reverse

from yiwang.hotline.models import Ticket

pytestmark = pytest.mark.django_db
PASSWORD = "Jz-test-pass-2026"


def login(client, user):
    client.force_login(user)
    return client


def test_console_takes_a_call_and_shows_number_and_query_code(client, agent, city):
    login(client, agent)
    page = client.get(reverse("hotline:console"))
    assert page.status_code == 200 and "受理来电" in page.content.decode()
    r = client.post(
        reverse("hotline:console"),
        {
            "channel": "phone",
            "kind": "complaint",
            "content": "武陟县城关镇一家饭店后厨卫生太差",
            "category": "060101",
            "address": "武陟县城关镇建设路 12 号",
            "contact_name": "李女士",
            "contact_phone": "13912345678",
            "urgency": "normal",
        },
        follow=True,
    )
    t = Ticket.objects.get()
    body = r.content.decode()
    assert t.number in body and t.query_code in body
    assert "13912345678" not in body and "139****5678" in body  # masked for the agent
    assert t.department == city.department("410823", "market")


def test_console_errors_are_clear_and_nothing_is_saved(client, agent, city):
    login(client, agent)
    empty = client.post(reverse("hotline:console"), {"channel": "phone", "kind": "help"})
    assert empty.status_code == 400 and "诉求内容不能为空" in empty.content.decode()
    long = client.post(
        reverse("hotline:console"),
        {"channel": "phone", "kind": "help", "content": "字" * 10_001, "category": "060101"},
    )
    assert long.status_code == 400 and "不能超过 10000 字" in long.content.decode()
    unknown = client.post(
        reverse("hotline:console"),
        {"channel": "phone", "kind": "help", "content": "路灯坏了", "category": "9999"},
    )
    assert unknown.status_code == 400 and "未知的诉求分类" in unknown.content.decode()
    outside = client.post(
        reverse("hotline:console"),
        {
            "channel": "phone",
            "kind": "help",
            "content": "路灯坏了",
            "category": "010403",
            "longitude": "116.40",
            "latitude": "39.90",
        },
    )
    assert outside.status_code == 400 and "不在焦作市范围内" in outside.content.decode()
    elsewhere = client.post(
        reverse("hotline:console"),
        {
            "channel": "phone",
            "kind": "help",
            "content": "路灯坏了",
            "category": "010403",
            "address": "郑州市金水区花园路",
        },
    )
    assert elsewhere.status_code == 400 and "当地 12345" in elsewhere.content.decode()
    assert Ticket.objects.count() == 0
    assert "路灯坏了" in elsewhere.content.decode()  # what was typed is kept on the form


def test_console_is_refused_to_others(client, wuzhi_market, citizen):
    assert login(client, wuzhi_market).get(reverse("hotline:console")).status_code == 403
    assert login(client, citizen).get(reverse("hotline:console")).status_code == 403


def test_department_signs_and_replies_on_the_ticket_page(client, take, wuzhi_market):
    t = take()
    login(client, wuzhi_market)
    listing = client.get(reverse("hotline:department"))
    assert t.number in listing.content.decode()
    url = reverse("hotline:ticket", args=[t.pk])
    page = client.get(url).content.decode()
    assert 'id="sign-button"' in page and 'id="op-reply"' not in page
    client.post(url, {"op": "sign"})
    page = client.get(url).content.decode()
    assert 'id="op-reply"' in page and 'id="op-return"' in page
    refused = client.post(url, {"op": "conclude"})  # a centre step, not the department's
    assert refused.status_code == 403
    client.post(url, {"op": "reply", "result": "resolved", "comment": "已责令整改"})
    t.refresh_from_db()
    assert t.case.state == "replied" and t.result == "resolved"


def test_other_department_cannot_open_the_ticket(client, take, wuzhi_housing):
    t = take()
    assert (
        login(client, wuzhi_housing).get(reverse("hotline:ticket", args=[t.pk])).status_code == 404
    )


def test_reveal_contact_is_logged(client, take, agent):
    from yiwang.core.models import AuditEntry

    t = take()
    login(client, agent)
    r = client.post(reverse("hotline:ticket", args=[t.pk]), {"op": "reveal", "purpose": "回访联系"})
    assert "13912345678" in r.content.decode()
    assert AuditEntry.objects.filter(action="core.personal.unmask", object_id=str(t.pk)).exists()


def test_public_tracking_and_rating_reopens_when_unsatisfied(client, take, agent, wuzhi_market):
    from yiwang.hotline.actions import handling as h

    t = take()
    url = reverse("hotline:track")
    wrong = client.get(
        url, {"number": t.number, "code": "000000" if t.query_code != "000000" else "111111"}
    )
    assert wrong.status_code == 404 and "不正确" in wrong.content.decode()
    ok = client.get(url, {"number": t.number, "code": t.query_code}).content.decode()
    assert "已派单待签收" in ok and "李女士" not in ok and "钱承办" not in ok
    assert 'id="rate-form"' not in ok
    h.do_sign(actor=wuzhi_market, ticket=t)
    h.do_reply(actor=wuzhi_market, ticket=t, result="resolved", reply="已处理")
    h.do_conclude(actor=agent, ticket=t)
    page = client.get(url, {"number": t.number, "code": t.query_code}).content.decode()
    assert 'id="rate-form"' in page and "已处理" in page
    client.post(
        url,
        {
            "op": "rate",
            "number": t.number,
            "code": t.query_code,
            "satisfaction": "unsatisfied",
            "comment": "没有改",
        },
    )
    t.refresh_from_db()
    assert t.case.state == "handling" and t.reopen_count == 1


def test_tracking_is_rate_limited(client, take, settings):
    t = take()
    for _i in range(20):
        client.get(reverse("hotline:track"), {"number": t.number, "code": "x"})
    r = client.get(reverse("hotline:track"), {"number": t.number, "code": t.query_code})
    assert r.status_code == 429


def test_citizen_submits_online_and_sees_own_tickets(client, citizen, city):
    login(client, citizen)
    r = client.post(
        reverse("hotline:submit"),
        {
            "kind": "complaint",
            "content": "武陟县城关镇饭店卫生差",
            "category": "060101",
            "address": "武陟县城关镇",
        },
    )
    t = Ticket.objects.get()
    assert r.status_code == 302 and t.citizen == citizen and t.channel == "web"
    mine = client.get(reverse("hotline:my")).content.decode()
    assert t.number in mine
    assert client.get(reverse("hotline:my_ticket", args=[t.pk])).status_code == 200


def test_home_lists_entry_points(client, agent):
    assert 'id="track-link"' in client.get(reverse("hotline:home")).content.decode()
    page = login(client, agent).get(reverse("hotline:home")).content.decode()
    assert 'id="console-link"' in page


def test_supervisor_overview_shows_rates_and_departments(
    client, take, agent, supervisor, wuzhi_market
):
    from yiwang.hotline.actions import handling as h

    done, _open = take(), take("另一家饭店也不卫生")
    h.do_sign(actor=wuzhi_market, ticket=done)
    h.do_reply(actor=wuzhi_market, ticket=done, result="resolved", reply="已查处")
    h.do_conclude(actor=agent, ticket=done)
    h.do_callback(actor=agent, ticket=done, satisfaction="satisfied")
    page = login(client, supervisor).get(reverse("hotline:overview")).content.decode()
    assert 'id="kpi-total">2<' in page
    assert 'id="kpi-on-time">100.0%<' in page and 'id="kpi-closure">50.0%<' in page
    assert 'id="kpi-satisfaction">100.0%<' in page
    assert "武陟县市场监督管理局" in page and 'id="daily-chart"' in page
    assert login(client, wuzhi_market).get(reverse("hotline:overview")).status_code == 200
    assert login(client, agent).get(reverse("hotline:overview")).status_code == 200


def test_answer_on_the_spot_from_the_ticket_page_with_knowledge(client, take, agent, city):
    from yiwang.hotline.actions.knowledge import do_save_entry

    do_save_entry(
        actor=None,
        department=city.department("410800", "public_security"),
        question="居住证怎么办理",
        answer="携带身份证到派出所办理",
        keywords="居住证",
    )
    t = take("请问居住证怎么办理", kind="consult", category="090101")
    login(client, agent)
    url = reverse("hotline:ticket", args=[t.pk])
    page = client.get(url).content.decode()
    assert 'id="kb-search-form"' in page and 'id="op-answer"' in page
    found = client.get(reverse("hotline:knowledge-search"), {"q": "居住證", "ticket": t.number})
    assert "携带身份证到派出所办理" in found.content.decode()
    assert f'value="{t.number}"' in found.content.decode()  # a cite names this ticket
    client.post(url, {"op": "answer_now", "answer": "携带身份证到派出所办理"})
    t.refresh_from_db()
    assert t.case.state == "concluded" and t.result == "resolved"


def test_generic_case_page_sends_people_to_the_ticket_pages(client, take, wuzhi_market, citizen):
    t = take()
    case_url = reverse("core:case", args=[t.case_id])
    r = login(client, wuzhi_market).get(case_url)
    assert r.status_code == 302 and r.url == reverse("hotline:ticket", args=[t.pk])
    own = take("我家门口路灯坏了", actor=citizen, channel="web", category="010403", citizen=citizen)
    r = login(client, citizen).get(reverse("core:case", args=[own.case_id]))
    assert r.status_code == 302 and r.url == reverse("hotline:my_ticket", args=[own.pk])


def test_console_refusal_re_renders_with_the_summary_and_keeps_the_input(client, agent, city):
    login(client, agent)
    url = reverse("hotline:console")
    bad = client.post(
        url,
        {
            "channel": "phone",
            "kind": "help",
            "content": "路灯坏了",
            "category": "010403",
            "contact_name": "周先生",
            "contact_phone": "12345",
        },
    )
    page = bad.content.decode()
    assert bad.status_code == 400 and 'class="error-summary" id="error-summary"' in page
    assert '<a href="#contact_phone">联系电话格式不正确' in page
    assert 'id="contact_phone-error"' in page and 'aria-invalid="true"' in page
    assert 'value="12345"' in page and 'value="周先生"' in page and "路灯坏了</textarea>" in page
    assert '<option value="help" selected>' in page and '<option value="010403" selected>' in page
    # A place the locator refuses shows on the longitude, the first of its two inputs.
    outside = client.post(
        url,
        {"channel": "phone", "kind": "help", "content": "路灯坏了", "longitude": "113.2"},
    )
    page = outside.content.decode()
    assert outside.status_code == 400 and '<a href="#longitude">经度和纬度须同时填写。</a>' in page
    assert 'id="longitude-error"' in page and 'value="113.2"' in page
    assert not Ticket.objects.exists()


def test_ticket_step_refusal_re_renders_with_the_summary_and_keeps_the_input(
    client, take, wuzhi_market, agent
):
    t = take()
    url = reverse("hotline:ticket", args=[t.pk])
    login(client, wuzhi_market)
    client.post(url, {"op": "sign"})
    # 退单 without a reason: the action's ``reason`` is the form's comment.
    bare = client.post(url, {"op": "return", "comment": "  "})
    page = bare.content.decode()
    assert bare.status_code == 400 and 'id="error-summary"' in page
    assert '<a href="#return-reason">退单须写明理由。</a>' in page
    assert 'id="return-comment-error"' in page
    # 申请延期 beyond 30 working days: the days and the reason are kept.
    long = client.post(url, {"op": "extension", "days": "45", "comment": "需要协调多个部门"})
    page = long.content.decode()
    assert long.status_code == 400 and '<a href="#days">延期天数须为 1 至 30 个工作日。</a>' in page
    assert 'value="45"' in page and "需要协调多个部门</textarea>" in page
    # 答复 with an unknown result: the message on the result, the reply kept.
    odd = client.post(url, {"op": "reply", "result": "maybe", "comment": "已责令整改"})
    page = odd.content.decode()
    assert odd.status_code == 400 and '<a href="#result-resolved">请选择办理结果' in page
    assert 'id="reply-result-error"' in page and "已责令整改</textarea>" in page
    t.refresh_from_db()
    assert t.case.state == "handling"
    # The reveal form's purpose is asked for before anything is shown.
    login(client, agent)
    none = client.post(url, {"op": "reveal", "purpose": " "})
    page = none.content.decode()
    assert none.status_code == 400 and '<a href="#purpose">查看完整个人信息须说明用途。</a>' in page
    assert "13912345678" not in page


def test_dispatch_refusal_keeps_the_choice(client, take, agent):
    t = take("请问路灯坏了找哪个部门", kind="consult", category="010403")
    login(client, agent)
    url = reverse("hotline:ticket", args=[t.pk])
    page = client.get(url).content.decode()
    assert 'id="op-dispatch"' in page and 'id="dispatch-department"' in page
    unknown = client.post(url, {"op": "dispatch", "department": "nowhere", "comment": "请处理"})
    page = unknown.content.decode()
    assert (
        unknown.status_code == 400 and '<a href="#dispatch-department">未知的部门：nowhere' in page
    )
    assert "请处理</textarea>" in page
    merge = client.post(url, {"op": "merge", "into": "RX-NONE", "comment": "重复来电"})
    page = merge.content.decode()
    assert merge.status_code == 400 and '<a href="#into">未找到要并入的工单：RX-NONE</a>' in page
    assert 'value="RX-NONE"' in page and 'value="重复来电"' in page


def test_tracking_form_refusal_re_renders_with_the_summary_and_keeps_the_input(
    client, take, agent, wuzhi_market
):
    from yiwang.hotline.actions import handling as h

    t = take()
    url = reverse("hotline:track")
    half = client.get(url, {"number": t.number, "code": ""})
    page = half.content.decode()
    assert half.status_code == 400 and 'id="error-summary"' in page
    assert '<a href="#code">请填写查询码。</a>' in page and 'id="code-error"' in page
    assert f'value="{t.number}"' in page
    h.do_sign(actor=wuzhi_market, ticket=t)
    h.do_reply(actor=wuzhi_market, ticket=t, result="resolved", reply="已处理")
    h.do_conclude(actor=agent, ticket=t)
    unrated = client.post(
        url, {"number": t.number, "code": t.query_code, "satisfaction": "", "comment": "还行"}
    )
    page = unrated.content.decode()
    assert unrated.status_code == 400 and 'id="error-summary"' in page
    assert '<a href="#rate-satisfaction_0">请选择满意、基本满意或不满意。</a>' in page
    assert 'id="rate-satisfaction-error"' in page and "还行</textarea>" in page
    t.refresh_from_db()
    assert t.case.state == "concluded"
