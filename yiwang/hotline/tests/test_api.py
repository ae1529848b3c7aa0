"""12345 工单 API: intake by agents and citizens, lists and details narrowed by the access
rules (contact masked), the whole loop through ``actions/{op}``, refusals in the error
envelope with the engine's codes, the category tree and the 考核指标."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from yiwang.core.models import AuditEntry
from yiwang.hotline import stats
from yiwang.hotline.actions import handling as h
from yiwang.hotline.models import Callback, Extension, Ticket

pytestmark = pytest.mark.django_db
BASE = "/api/v1/hotline"
FOOD = {
    "channel": "phone",
    "kind": "complaint",
    "content": "武陟县城关镇一家饭店后厨卫生太差，吃完拉肚子",
    "category": "060101",
    "address": "武陟县城关镇建设路 12 号",
    "contact_name": "李女士",
    "contact_phone": "13912345678",
}


def post(client, url: str, body: dict | None = None):
    return client.post(url, body or {}, content_type="application/json")


def take(client, user, **fields):
    client.force_login(user)
    response = post(client, f"{BASE}/tickets", {**FOOD, **fields})
    assert response.status_code == 201, response.content
    return response.json()


def act(client, user, number: str, op: str, **body):
    client.force_login(user)
    return post(client, f"{BASE}/tickets/{number}/actions/{op}", body)


def ok(response) -> dict:
    assert response.status_code == 200, response.content
    return response.json()


def error_of(response) -> dict:
    return response.json()["error"]


# --- intake ---


def test_agent_takes_a_ticket_routed_and_dispatched(client, agent, city):
    body = take(client, agent)
    assert "-RX-" in body["number"] and len(body["query_code"]) == 6
    assert body["query_code"].isdigit()
    assert body["state"] == "dispatched" and body["state_name"] == "已派单待签收"
    assert body["category"] == "060101" and body["needs_review"] is False
    assert body["department"] == "410823-market" and body["division"].startswith("410823")
    assert body["case_due"] is not None and body["overdue"] is False
    ticket = Ticket.objects.get(number=body["number"])
    assert ticket.received_by == agent and ticket.contact_phone == "13912345678"
    assert AuditEntry.objects.filter(action="hotline.ticket.take", actor=agent).exists()
    # The 查询码 is told once, at intake: never in the details afterwards.
    detail = client.get(f"{BASE}/tickets/{body['number']}").json()
    assert "query_code" not in detail
    assert detail["contact_phone"] == "139****5678" and detail["contact_name"] == "李*士"


def test_phone_consultation_waits_for_the_agent(client, agent, city):
    body = take(client, agent, kind="consult", category="140201", content="公积金怎么提取？")
    assert body["state"] == "registered" and body["department"] is None  # not dispatched
    detail = client.get(f"{BASE}/tickets/{body['number']}").json()
    assert {"dispatch", "answer_now", "hand_off"} <= set(detail["operations"])


def test_citizen_submits_their_own_on_the_web(client, citizen, agent, city):
    client.force_login(citizen)
    r = post(client, f"{BASE}/tickets", {**FOOD, "channel": "web"})
    assert r.status_code == 201, r.content
    number = r.json()["number"]
    ticket = Ticket.objects.get(number=number)
    assert ticket.citizen == citizen and ticket.received_by is None
    assert ticket.contact_name == "李女士"
    mine = client.get(f"{BASE}/tickets/{number}").json()
    assert mine["contact_phone"] == "13912345678"  # the citizen's own, in clear
    assert all(e["actor"] is None for e in mine["events"])
    # …and the phone channel is the centre's: refused with the reason.
    r = post(client, f"{BASE}/tickets", {**FOOD, "channel": "phone"})
    assert r.status_code == 403 and "网站" in error_of(r)["message"]
    # Without contact fields the account's own name is kept for the callback.
    r = post(client, f"{BASE}/tickets", {**FOOD, "channel": "app", "contact_name": ""})
    assert Ticket.objects.get(number=r.json()["number"]).contact_name == "张三"
    r = post(client, f"{BASE}/tickets", {**FOOD, "channel": "app", "anonymous": True})
    anonymous = Ticket.objects.get(number=r.json()["number"])
    assert anonymous.contact_name == "" and anonymous.contact_phone == ""
    r = post(
        client,
        f"{BASE}/tickets",
        {k: v for k, v in FOOD.items() if not k.startswith("contact")} | {"channel": "app"},
    )
    quiet = Ticket.objects.get(number=r.json()["number"])
    assert quiet.contact_name == "张三" and quiet.contact_phone == "13812345678"
    client.force_login(agent)
    assert client.get(f"{BASE}/tickets/{number}").json()["contact_phone"] == "139****5678"


def test_staff_without_intake_rights_refused(client, wuzhi_market, city):
    client.force_login(wuzhi_market)
    r = post(client, f"{BASE}/tickets", FOOD)
    assert r.status_code == 403 and error_of(r)["code"] == "forbidden"
    assert not Ticket.objects.exists()


def test_anonymous_caller_refused(client, city):
    r = post(client, f"{BASE}/tickets", FOOD)
    assert r.status_code == 401


@pytest.mark.parametrize(
    ("fields", "field", "words"),
    [
        ({"content": "   "}, "content", "不能为空"),
        ({"content": "很" * 10_001}, "content", "不能超过 10000 字"),
        ({"category": "9999"}, "category", "未知的诉求分类"),
        ({"address": "", "longitude": 116.40, "latitude": 39.90}, "location", "不在焦作市"),
        ({"address": "郑州市金水区花园路 1 号"}, "address", "不在焦作市"),
        ({"longitude": 113.2}, "location", "同时填写"),
        ({"kind": "rant"}, "kind", "未知的诉求类型"),
        ({"contact_phone": "12"}, "contact_phone", "格式不正确"),
    ],
)
def test_bad_intake_refused_in_chinese_and_nothing_saved(client, agent, fields, field, words):
    client.force_login(agent)
    r = post(client, f"{BASE}/tickets", {**FOOD, **fields})
    assert r.status_code == 422, r.content
    err = error_of(r)
    assert err["code"] == "invalid" and words in err["message"]
    assert err["details"][0]["loc"] == [field]
    assert not Ticket.objects.exists()


def test_malformed_body_is_a_422_not_a_crash(client, agent):
    client.force_login(agent)
    r = post(client, f"{BASE}/tickets", {"channel": "phone"})
    assert r.status_code == 422 and error_of(r)["message"] == "请求内容不符合要求。"
    r = client.post(f"{BASE}/tickets", "{not json", content_type="application/json")
    assert r.status_code in (400, 422)


# --- seeing ---


def test_citizen_sees_only_their_own(client, citizen, agent, city):
    import datetime as dt

    from yiwang.core.actions.users import do_create_citizen
    from yiwang.core.identifiers import make_id_number

    other = do_create_citizen(
        actor=None,
        username="lisi",
        full_name="李四",
        id_number=make_id_number("410823", dt.date(1980, 5, 1), 12),
        password="Jz-test-pass-2026",
        validate=False,
    )
    agents = take(client, agent)["number"]
    client.force_login(citizen)
    mine = post(client, f"{BASE}/tickets", {**FOOD, "channel": "web"}).json()["number"]
    client.force_login(other)
    r = client.get(f"{BASE}/tickets/{mine}")
    assert r.status_code == 404 and error_of(r)["code"] == "not_found"
    assert client.get(f"{BASE}/tickets/{agents}").status_code == 404
    assert client.get(f"{BASE}/tickets").json() == {
        "items": [],
        "count": 0,
        "count_capped": False,
        "next": None,
    }
    assert act(client, other, mine, "callback", satisfaction="satisfied").status_code == 404
    client.force_login(citizen)
    listing = client.get(f"{BASE}/tickets").json()
    assert [t["number"] for t in listing["items"]] == [mine]


def test_department_sees_its_jurisdiction_only(client, agent, wuzhi_market, make_staff, city):
    take(client, agent)  # 武陟 market
    boai = take(client, agent, address="博爱县清化镇 1 号")["number"]
    client.force_login(wuzhi_market)
    listing = client.get(f"{BASE}/tickets").json()
    assert listing["count"] == 1 and listing["items"][0]["department"] == "410823-market"
    assert client.get(f"{BASE}/tickets/{boai}").status_code == 404
    assert client.get(f"{BASE}/tickets?handling=true").json()["count"] == 1


def test_list_filters(client, agent, supervisor, city):
    a = take(client, agent, title="饭店卫生差")["number"]
    noise = "020201"
    b = take(client, agent, address="博爱县清化镇 1 号", category=noise, content="夜里施工太吵")
    c = take(client, agent, kind="consult", category="140201", content="公积金怎么提取？")
    client.force_login(agent)

    def numbers(query: str) -> set[str]:
        r = client.get(f"{BASE}/tickets?{query}")
        assert r.status_code == 200, r.content
        return {t["number"] for t in r.json()["items"]}

    assert numbers("") == {a, b["number"], c["number"]}
    assert numbers("state=registered") == {c["number"]}
    assert numbers("kind=consult") == {c["number"]}
    assert numbers(f"category={FOOD['category'][:2]}") == {a}  # a 大类 takes its 小类
    assert numbers(f"category={noise[:4]}") == {b["number"]}  # and a 中类 too
    assert numbers("division=410822") == {b["number"]}
    assert numbers("division=410823") == {a, c["number"]}
    assert numbers("department=410823-market") == {a}
    assert numbers("q=卫生差") == {a}
    assert numbers("overdue=true") == set()
    today = Ticket.objects.get(number=a).created_at.date().isoformat()
    assert numbers(f"created_from={today}&created_to={today}") == {a, b["number"], c["number"]}
    assert numbers("created_to=2000-01-01") == set()
    # An old ticket past its limit shows as overdue.
    import datetime as dt

    from yiwang.core.models import Case
    from yiwang.core.subjects import copy_listed

    Case.objects.filter(number=a).update(case_due=dt.date(2020, 1, 1))
    copy_listed(Case.objects.get(number=a))  # as the engine copies a deadline it moves
    assert numbers("overdue=true") == {a}
    r = client.get(f"{BASE}/tickets?overdue=true").json()["items"][0]
    assert r["overdue"] is True
    first = client.get(f"{BASE}/tickets?page_size=1").json()
    assert first["count"] == 3 and not first["count_capped"] and first["next"]


def test_category_tree(client, citizen):
    client.force_login(citizen)
    tree = client.get(f"{BASE}/categories").json()
    assert len(tree) == 16 and tree[0]["code"] == "01" and tree[0]["children"]
    code = FOOD["category"]  # 食品安全: 大类 → 中类 → 小类
    top = next(c for c in tree if c["code"] == code[:2])
    group = next(c for c in top["children"] if c["code"] == code[:4])
    leaf = next(c for c in group["children"] if c["code"] == code)
    assert (top["level"], group["level"], leaf["level"]) == (1, 2, 3)
    assert {c["code"][:4] for c in group["children"]} == {group["code"]}
    assert top["line"] == "market" and leaf["line"] == "market" and leaf["children"] == []


# --- the loop ---


def test_whole_loop_through_the_action_endpoint(
    client, agent, supervisor, wuzhi_market, wuzhi_housing, city
):
    n = take(client, agent, content="武陟县城关镇小区物业把楼道堵了")["number"]  # 市场监管: wrong
    r = act(client, wuzhi_housing, n, "sign")
    assert r.status_code == 404  # not their department's ticket: not even visible
    r = act(client, wuzhi_market, n, "return", reason="")
    assert r.status_code == 422 and "理由" in error_of(r)["message"]
    t = ok(act(client, wuzhi_market, n, "return", reason="属于物业管理，应由住建部门办理"))
    assert t["state"] == "returned"
    r = act(client, agent, n, "dispatch", department="410823-market")
    assert r.status_code == 422 and "另一个承办部门" in error_of(r)["message"]
    t = ok(act(client, agent, n, "dispatch", category="010201", comment="改派住建"))
    assert t["state"] == "dispatched" and t["department"] == "410823-housing"
    assert t["category"] == "010201"
    market = next(r for r in stats.by_department(Ticket.objects.all()) if r["returns"])
    assert market["department"] == "410823-market" and market["total"] == 0

    t = ok(act(client, wuzhi_housing, n, "sign"))
    assert t["state"] == "handling" and set(t["operations"]) >= {"reply", "extension"}
    due = t["case_due"]
    r = act(client, wuzhi_housing, n, "extension", reason="需要协调物业公司")
    assert r.status_code == 422 and "延期工作日" in error_of(r)["message"]
    t = ok(act(client, wuzhi_housing, n, "extension", days=3, reason="需要协调物业公司"))
    assert t["state"] == "extension" and t["case_due"] == due  # not assumed
    r = act(client, agent, n, "decide_extension", approve=True)
    assert r.status_code == 403  # only the 值班长
    t = ok(act(client, supervisor, n, "decide_extension", approve=True, note="同意"))
    assert t["state"] == "handling" and t["case_due"] > due
    assert Extension.objects.get(ticket__number=n).state == "approved"
    t = ok(act(client, supervisor, n, "supervise", comment="请本周内解决"))
    assert t["events"][-1]["action"] == "supervise"

    t = ok(act(client, wuzhi_housing, n, "reply", result="resolved", reply="已约谈物业"))
    assert t["state"] == "replied" and t["result"] == "resolved"
    t = ok(act(client, agent, n, "send_back", comment="答复过于简单，请写明处理结果"))
    assert t["state"] == "handling"
    ok(act(client, wuzhi_housing, n, "reply", result="resolved", reply="楼道已清理，物业已整改"))
    t = ok(act(client, agent, n, "conclude"))
    assert t["state"] == "concluded" and t["on_time"] is True and t["concluded_at"]

    t = ok(act(client, agent, n, "callback", satisfaction="unsatisfied", comment="又堵上了"))
    assert t["state"] == "handling" and t["reopen_count"] == 1
    ok(act(client, wuzhi_housing, n, "reply", result="resolved", reply="已加装隔离桩"))
    ok(act(client, agent, n, "conclude"))
    t = ok(act(client, agent, n, "callback", satisfaction="satisfied"))
    assert t["state"] == "archived" and t["satisfaction"] == "satisfied"
    assert t["operations"] == []
    actions = [e["action"] for e in t["events"]]
    for step in ("start", "dispatch", "return", "redispatch", "sign", "request_extension"):
        assert step in actions
    assert actions[-1] == "archive"
    assert Callback.objects.filter(ticket__number=n).count() == 2


def test_answer_now_hand_off_and_citizen_rating(client, agent, citizen, wuzhi_market, city):
    consult = take(client, agent, kind="consult", category="140201", content="公积金怎么提取？")
    r = act(client, agent, consult["number"], "answer_now")
    assert r.status_code == 422 and "答复" in error_of(r)["message"]
    t = ok(act(client, agent, consult["number"], "answer_now", answer="带身份证到公积金中心办理"))
    assert t["state"] == "concluded" and t["on_time"] is True

    fire = take(client, agent, emergency="119", content="武陟县城关镇一仓库冒烟")
    assert fire["state"] == "registered"  # emergencies are not dispatched to departments
    r = act(client, agent, fire["number"], "hand_off", service="999", comment="已转")
    assert r.status_code == 422 and "119" in error_of(r)["message"]
    t = ok(act(client, agent, fire["number"], "hand_off", service="119", comment="已转119"))
    assert t["state"] == "handed_off"

    client.force_login(citizen)
    mine = post(client, f"{BASE}/tickets", {**FOOD, "channel": "miniprogram"}).json()["number"]
    r = act(client, citizen, mine, "sign")
    assert r.status_code == 403
    r = act(client, citizen, mine, "callback", satisfaction="satisfied")
    assert r.status_code == 409 and error_of(r)["code"] == "not_concluded"
    ticket = Ticket.objects.get(number=mine)
    h.do_sign(actor=wuzhi_market, ticket=ticket)
    h.do_reply(actor=wuzhi_market, ticket=ticket, result="resolved", reply="已责令整改")
    h.do_conclude(actor=agent, ticket=ticket)
    client.force_login(citizen)
    assert client.get(f"{BASE}/tickets/{mine}").json()["operations"] == ["callback"]
    t = ok(act(client, citizen, mine, "callback", satisfaction="basic", comment="还行"))
    assert t["state"] == "archived" and t["satisfaction"] == "basic"
    assert Callback.objects.get(ticket=ticket).via == "citizen"


def test_refusals_carry_the_engine_code(client, agent, supervisor, wuzhi_market, city):
    n = take(client, agent)["number"]
    r = act(client, agent, n, "conclude")  # dispatched, not replied
    assert r.status_code == 409
    err = error_of(r)
    assert err["code"] == "action_not_allowed" and "已派单待签收" in err["message"]
    r = act(client, agent, n, "sign")  # the centre does not sign for departments
    assert r.status_code == 403 and "承办部门" in error_of(r)["message"]
    r = act(client, wuzhi_market, n, "dispatch")
    assert r.status_code == 403
    r = act(client, agent, n, "approve")
    assert r.status_code == 404 and "可用" in error_of(r)["message"]
    r = act(client, agent, "RX-NOPE", "sign")
    assert r.status_code == 404
    r = act(client, agent, n, "dispatch", department="nowhere")
    assert r.status_code == 422 and "未知的承办部门" in error_of(r)["message"]
    r = act(client, agent, n, "callback", satisfaction="satisfied")
    assert r.status_code == 409 and error_of(r)["code"] == "not_concluded"
    r = act(client, supervisor, n, "decide_extension", approve=True)
    assert r.status_code == 409 and error_of(r)["code"] == "no_extension"
    assert ok(act(client, wuzhi_market, n, "sign"))["state"] == "handling"
    # Signed by one handler: another of the same department is not the one handling it.
    from yiwang.core.actions.users import do_create_staff

    second = do_create_staff(
        actor=None,
        username="second-handler",
        full_name="周承办",
        org_unit=city.unit("410823", "market"),
        roles=["hotline_handler"],
        password="Jz-test-pass-2026",
        validate=False,
    )
    r = act(client, second, n, "reply", result="resolved", reply="已处理")
    assert r.status_code == 403 and error_of(r)["code"] == "assigned_elsewhere"
    assert Ticket.objects.get(number=n).case.state == "handling"


# --- 考核指标 ---


@pytest.fixture
def constructed(client, agent, supervisor, wuzhi_market, city):
    """Six tickets: one open, one answered at once, one handed off, one archived on time
    (满意), one archived late (基本满意), one re-opened after 不满意."""

    def loop(n: str) -> None:
        ok(act(client, wuzhi_market, n, "sign"))
        ok(act(client, wuzhi_market, n, "reply", result="resolved", reply="已处理"))
        ok(act(client, agent, n, "conclude"))

    take(client, agent)
    consult = take(client, agent, kind="consult", category="140201", content="公积金怎么提取？")
    ok(act(client, agent, consult["number"], "answer_now", answer="带身份证办理"))
    fire = take(client, agent, emergency="119", content="武陟县城关镇一仓库冒烟")
    ok(act(client, agent, fire["number"], "hand_off", service="119", comment="已转"))
    good, late, bad = (take(client, agent, channel="web")["number"] for _ in range(3))
    for n in (good, late, bad):
        loop(n)
    Ticket.objects.filter(number=late).update(on_time=False)
    ok(act(client, agent, good, "callback", satisfaction="satisfied"))
    ok(act(client, agent, late, "callback", satisfaction="basic"))
    ok(act(client, agent, bad, "callback", satisfaction="unsatisfied", comment="没解决"))
    return Ticket.objects.all()


def test_kpis_of_a_constructed_set(constructed):
    k = stats.kpis(constructed)
    assert k["total"] == 6 and k["closable"] == 5 and k["open"] == 2
    assert k["concluded"] == 3 and k["on_time"] == 2 and k["on_time_rate"] == 0.6667
    assert k["closure_rate"] == 0.6
    assert k["rated"] == 3 and k["satisfied"] == 2 and k["satisfaction_rate"] == 0.6667
    assert k["reopened"] == 1 and k["overdue"] == 0
    assert k["closure_rate_text"] == "60.0%" and k["satisfaction_rate_text"] == "66.7%"
    assert k["by_state"] == {
        "registered": 0,
        "dispatched": 1,
        "returned": 0,
        "handling": 1,
        "extension": 0,
        "replied": 0,
        "concluded": 1,
        "archived": 2,
        "handed_off": 1,
        "merged": 0,
    }
    assert k["by_kind"]["complaint"] == 5 and k["by_kind"]["consult"] == 1
    assert k["by_channel"]["web"] == 3 and k["by_channel"]["phone"] == 3
    with CaptureQueriesContext(connection) as queries:
        stats.kpis(constructed)
    assert len(queries) == 1  # one aggregate, no per-row work


def test_by_department_and_daily_counts(constructed):
    rows = stats.by_department(constructed)
    market = next(r for r in rows if r["department"] == "410823-market")
    assert market["total"] == 4 and market["concluded"] == 2 and market["on_time"] == 1
    assert market["on_time_rate"] == 0.5 and market["satisfaction_rate"] == 0.6667
    assert market["department_name"] and market["on_time_rate_text"] == "50.0%"
    assert sum(r["total"] for r in rows) == 4  # the answered and the handed-off had none
    days = stats.daily_counts(constructed, 7)
    assert len(days["days"]) == 7 and days["days"][-1] == timezone.localdate().isoformat()
    assert days["taken"][-1] == 6 and days["concluded"][-1] == 3
    assert sum(days["taken"][:-1]) == 0
    with CaptureQueriesContext(connection) as queries:
        stats.by_department(constructed)
        stats.daily_counts(constructed, 30)
    assert len(queries) == 5


def test_stats_endpoint_narrowed_to_what_the_caller_sees(
    client, constructed, agent, wuzhi_market, citizen
):
    client.force_login(agent)
    body = client.get(f"{BASE}/stats").json()
    assert body["total"] == 6 and body["on_time_rate"] == 0.6667
    assert body["closure_rate"] == 0.6 and body["satisfaction_rate"] == 0.6667
    assert body["by_state"]["archived"] == 2
    assert body["departments"][0]["department"] == "410823-market"
    assert body["departments"][0]["total"] == 4 and body["departments"][0]["returns"] == 0
    only = client.get(f"{BASE}/stats?department=410823-market").json()
    assert only["total"] == 4
    assert client.get(f"{BASE}/stats?to=2000-01-01").json()["total"] == 0
    assert client.get(f"{BASE}/stats?from=2999-01-01&to=2000-01-01").json()["total"] == 0
    r = client.get(f"{BASE}/stats?from=yesterday")
    assert r.status_code == 422
    client.force_login(citizen)
    mine = client.get(f"{BASE}/stats").json()
    assert mine["total"] == 0 and mine["satisfaction_rate"] is None


# --- classification and similar tickets ---


def test_intake_without_category_is_classified_and_routed(client, agent, city, taxonomy):
    client.force_login(agent)
    body = {k: v for k, v in FOOD.items() if k != "category"}
    r = post(client, f"{BASE}/tickets", {**body, "content": "工地晚上施工噪音太大，吵得睡不着"})
    assert r.status_code == 201, r.content
    sure = r.json()
    assert sure["category"].startswith("0202") and sure["confidence"] >= 0.8  # 噪声污染
    assert sure["needs_review"] is False and sure["state"] == "dispatched" and sure["department"]
    r = post(client, f"{BASE}/tickets", {**body, "content": "你好，我想反映一个情况"})
    unsure = r.json()
    assert unsure["needs_review"] is True and unsure["state"] == "registered"
    assert unsure["department"] is None and unsure["confidence"] < 0.8
    detail = client.get(f"{BASE}/tickets/{unsure['number']}").json()
    assert detail["predicted_category"] == unsure["category"]
    # The agent settles the category (a housing leaf) and dispatches.
    leaf = next(c for c in taxonomy if c.line == "housing")
    t = ok(act(client, agent, unsure["number"], "dispatch", category=leaf.code))
    assert t["state"] == "dispatched" and t["needs_review"] is False
    assert t["department"] == "410823-housing"


def test_similar_tickets_within_what_the_caller_sees(client, agent, citizen, city):
    where = {"address": "武陟县城关镇建设路与人民路交叉口", "category": "010403"}
    first = take(client, agent, content="建设路人民路口的井盖丢了，晚上太危险", **where)
    second = take(client, agent, content="人民路建设路交叉口井盖丢失，有人差点掉下去", **where)
    other = take(client, agent, content="建设路路灯坏了好几盏，晚上很黑", **where)
    r = client.get(f"{BASE}/tickets/{first['number']}/similar")
    assert r.status_code == 200, r.content
    found = r.json()
    assert found[0]["number"] == second["number"] and 0 < found[0]["score"] <= 1
    assert first["number"] not in {f["number"] for f in found}
    assert all(f["score"] < found[0]["score"] for f in found[1:])
    assert other["number"] != found[0]["number"]
    client.force_login(citizen)
    mine = post(
        client,
        f"{BASE}/tickets",
        {**FOOD, **where, "channel": "web", "content": "建设路人民路口井盖丢了，很危险"},
    ).json()["number"]
    assert client.get(f"{BASE}/tickets/{mine}/similar").json() == []  # others' stay hidden
    assert client.get(f"{BASE}/tickets/{first['number']}/similar").status_code == 404
