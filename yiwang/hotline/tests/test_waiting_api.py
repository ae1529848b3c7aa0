"""One 待办: the 12345 tickets API's ``waiting=me`` reads the inbox's one definition
(``yiwang.core.inbox.waiting_q``), so for 话务员, 值班长 and 承办人员 at city and county
level its count is the workbench's 待办 count and what the 12345 console's queues or the
department's 承办工单 show as waiting."""

from __future__ import annotations

import pytest

from yiwang.hotline import access
from yiwang.hotline.actions import handling as h

pytestmark = pytest.mark.django_db
BASE = "/api/v1/hotline"


def _shown(client, url: str, read) -> int:
    """What a page shows as waiting (0 when the user may not open it)."""
    answer = client.get(url)
    return read(answer.context) if answer.status_code == 200 else 0


def _counts(client, user) -> dict[str, int]:
    client.force_login(user)
    workbench = client.get("/workbench/").context["inbox"]["waiting"]
    assert not workbench.more
    console = _shown(client, "/hotline/console/", lambda c: sum(q["count"].n for q in c["queues"]))
    department = _shown(client, "/hotline/department/", lambda c: c["waiting"].n)
    answer = client.get(f"{BASE}/tickets", {"waiting": "me"})
    assert answer.status_code == 200, answer.content
    body = answer.json()
    listed = {t["number"] for t in body["items"]}
    assert len(listed) == body["count"]  # one page holds them all here
    assert listed <= {t["number"] for t in client.get(f"{BASE}/tickets").json()["items"]}
    return {
        "api": body["count"],
        "workbench": workbench.n,
        "pages": console + department,
    }


@pytest.fixture
def world(take, agent, supervisor, wuzhi_market, wuzhi_housing, make_staff):
    """Tickets in every open step in two counties, and the people they wait for."""

    class W:
        county_agent = make_staff("hotline_agent", "410823", "big_data", full_name="武话务")
        city_market = make_staff("hotline_handler", "410800", "market", full_name="市承办")
        boai_market = make_staff("hotline_handler", "410822", "market", full_name="博承办")
        dispatched = take()  # 武陟 market, waiting to be signed
        boai = take("博爱县清化镇一家超市卖过期食品", address="博爱县清化镇人民路 3 号")
        handling = take("武陟县木城镇菜市场缺斤少两")
        replied = take("武陟县城关镇饭店油烟扰民")
        returned = take("武陟县城关镇小区物业把楼道堵了")
        concluded = take("武陟县龙源镇早餐店卫生差")
        unsure = take("有件事想反映一下", category=None, address="")  # 待确认分类

    h.do_sign(actor=wuzhi_market, ticket=W.handling)
    h.do_sign(actor=wuzhi_market, ticket=W.replied)
    h.do_reply(actor=wuzhi_market, ticket=W.replied, result="resolved", reply="已责令整改")
    h.do_return(actor=wuzhi_market, ticket=W.returned, reason="属于物业管理")
    h.do_sign(actor=wuzhi_market, ticket=W.concluded)
    h.do_reply(actor=wuzhi_market, ticket=W.concluded, result="resolved", reply="已处理")
    h.do_conclude(actor=agent, ticket=W.concluded)
    return W


def test_waiting_for_me_agrees_with_the_workbench_and_the_queues(
    client, world, agent, supervisor, wuzhi_market, wuzhi_housing
):
    people = {
        "city agent": agent,
        "county agent": world.county_agent,
        "supervisor": supervisor,
        "county handler": wuzhi_market,
        "other county handler": world.boai_market,
        "county handler, other line": wuzhi_housing,
        "city handler": world.city_market,
    }
    seen = {}
    for who, user in people.items():
        counts = _counts(client, user)
        assert counts["api"] == counts["workbench"] == counts["pages"], (who, counts)
        seen[who] = counts["api"]
    # Each waits for what its role may move on now. The agent: to confirm (待确认分类),
    # to re-dispatch (退单), answers to review, callbacks and the unsigned it may merge —
    # city-wide at the centre, its own county's when held in a county. The county
    # bureau signs and answers its own; the city bureau may sign its county
    # counterparts' unsigned tickets, not one a county colleague has taken.
    assert seen["city agent"] == seen["supervisor"] == 6
    assert seen["county agent"] == 4  # 武陟's: not 博爱's, nor the one without a place
    assert seen["county handler"] == 2  # the dispatched one to sign, the one it handles
    assert seen["other county handler"] == 1  # 博爱's own
    assert seen["county handler, other line"] == 0
    assert seen["city handler"] == 2  # 武陟's and 博爱's unsigned


def test_waiting_for_me_follows_a_step(client, world, wuzhi_market):
    client.force_login(wuzhi_market)
    mine = {t["number"] for t in client.get(f"{BASE}/tickets?waiting=me").json()["items"]}
    assert mine == {world.dispatched.number, world.handling.number}
    h.do_sign(actor=wuzhi_market, ticket=world.dispatched)
    h.do_reply(actor=wuzhi_market, ticket=world.dispatched, result="resolved", reply="已处理")
    mine = {t["number"] for t in client.get(f"{BASE}/tickets?waiting=me").json()["items"]}
    assert mine == {world.handling.number}
    assert access.may_take(wuzhi_market) is False


def test_waiting_filter_is_documented_and_checked(client, agent, citizen):
    spec = client.get("/api/v1/openapi.json").json()
    params = {p["name"]: p for p in spec["paths"]["/api/v1/hotline/tickets"]["get"]["parameters"]}
    assert "waiting_q" in params["waiting"]["description"]
    assert "me" in str(params["waiting"]["schema"])
    assert "waiting=me" in spec["paths"]["/api/v1/hotline/tickets"]["get"]["description"]
    client.force_login(agent)
    wrong = client.get(f"{BASE}/tickets", {"waiting": "you"})
    assert wrong.status_code == 422 and "error" in wrong.json()
    client.force_login(citizen)  # a citizen acts on no ticket: nothing waits for them
    assert client.get(f"{BASE}/tickets", {"waiting": "me"}).json()["count"] == 0
