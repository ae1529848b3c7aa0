"""热点 by content: ten neighbours of one compound complain over three weeks about one
restaurant's smoke and noise — in their own words, under different matters — among
everyday tickets of the same weeks (other matters, other places, other restaurants);
detection raises exactly one alert listing those ten and naming the compound, and
re-runs extend it instead of raising another."""

from __future__ import annotations

import datetime as dt
import itertools
import statistics

import pytest
import time_machine
from django.utils import timezone

from yiwang.core.models import AuditEntry, Notification
from yiwang.hotline.actions.hotspots import do_acknowledge_hotspot, do_raise_hotspot_alerts
from yiwang.hotline.actions.tickets import do_take_ticket
from yiwang.hotline.knowledge import _jieba
from yiwang.hotline.models import Category, HotspotAlert, Ticket, TicketTerm
from yiwang.hotline.tests.synthetic import many, ticket_row

pytestmark = pytest.mark.django_db
DAY = dt.timedelta(days=1)

# One problem, ten voices: a restaurant (川味饭庄) and the barbecue in front of it at
# 丰泽园小区 in 解放区 — smoke (油烟), fans and noise (排风扇、噪音), barbecue at night
# (烧烤、夜宵) — short and long, angry and polite.
NEIGHBOURS = [
    "我是丰泽园小区5号楼的住户，楼下临街那家川味饭庄每天中午和晚上炒菜，油烟顺着墙往上飘，"
    "我们家窗户根本不敢开，晾在阳台的衣服全是一股油味。找过物业，物业说管不了。这个饭店的"
    "油烟净化器到底有没有装？请环保部门来看看。",
    "丰泽园北门饭店的排风扇半夜还在响，嗡嗡的吵得人睡不着。",
    "解放区丰泽园小区门口的烧烤摊天天摆到凌晨两三点，喝酒划拳的声音特别大，炭火的烟熏得"
    "楼上没法住，整个夏天都这样。",
    "我今年七十多了，住丰泽园一楼，隔壁饭馆的抽油烟机管子正对着我家卧室，白天烟熏晚上轰隆隆"
    "地响，老伴血压都高了，麻烦政府管一管。",
    "第三次打电话了！丰泽园那个川味饭庄把桌子摆到人行道上卖夜宵，油烟和吵闹没人管，上次说"
    "来查也没有下文。",
    "反映一个持续了快一个月的问题。丰泽园小区南侧一层商铺去年改成了饭店（川味饭庄），后厨"
    "的排烟管道没有通到楼顶，而是直接从二楼窗下排出，做饭时间整栋楼都是辣椒和油烟的味道，"
    "有哮喘的老人只能关窗。饭店晚上又在门口加了烧烤，鼓风机从下午五点开到夜里一两点，"
    "噪音透过窗户传进卧室。我们跟老板沟通过三次，老板说手续齐全。请问餐饮油烟净化设施"
    "有没有验收？噪声是否超标？能否要求其排烟管道高空排放、限定夜间经营时间？"
    "我们不是不让人做生意，只希望能正常休息。",
    "丰泽园小区底商餐馆排烟管直排，没装净化，味道呛人。",
    "孩子马上中考了，晚上十一点以后丰泽园楼下还在烤串，鼓风机和吆喝声一直不停，能不能"
    "规定一下营业时间？",
    "丰泽园临街铺面改成饭庄以后，后厨风机的噪音很大，我用手机测了有七十分贝，晚上十点以后也不停。",
    "建议对丰泽园小区周边餐饮店的油烟和噪声进行整治，居民楼底下不应该开烧烤店。",
]

# The same weeks' everyday tickets: other matters in other places, and other
# restaurants elsewhere (some in 解放区 too).
OTHER_MATTERS = [
    "{p}的路灯坏了一个多星期，晚上出门黑乎乎的",
    "{p}门口下水道堵了，污水漫到路面上",
    "{p}的电梯又坏了，老人上下楼很困难",
    "{p}物业乱收停车费，一个月涨到三百元",
    "{p}附近工地夜间施工打桩，严重扰民",
    "{p}自来水发黄，烧开后有沉淀",
    "{p}冬季供暖温度只有十四度，家里太冷",
    "{p}有人私搭乱建彩钢房，占用消防通道",
    "{p}垃圾桶满了没人清运，臭气熏天",
    "{p}旁边的公交站台被拆了，希望恢复",
    "{p}小学门口早晚高峰拥堵，建议安排交警疏导",
    "{p}一户人家养的狗不拴绳，咬伤了小孩",
    "{p}的燃气管道有异味，担心漏气",
    "{p}楼道里堆满杂物，电动车在楼道充电",
    "{p}的健身器材损坏，存在安全隐患",
    "{p}有人在绿化带里种菜，破坏草坪",
    "{p}门口的共享单车乱停乱放",
    "{p}的房子交房三年了还办不下房产证",
]
PLACES = [
    "山阳区幸福家园",
    "武陟县城关镇建设路金桂苑",
    "博爱县清化镇东方花园",
    "解放区焦西路康乐小区",
    "沁阳市怀府路永威城",
    "孟州市韩愈大街阳光新村",
    "温县黄河路太极家园",
    "中站区府城街道龙翔小区",
    "马村区待王镇新华苑",
]
OTHER_RESTAURANTS = [
    "解放区焦西路康乐小区楼下火锅店油烟很大，熏得人头疼",
    "山阳区幸福家园门口大排档夜里吵闹，烧烤烟味重",
    "武陟县城关镇建设路金桂苑旁边饭店排风扇噪音扰民",
    "解放区民生路锦江花园底商饭馆油烟直排，没有净化设备",
    "温县黄河路太极家园一家烧烤店营业到半夜，噪音太大",
    "沁阳市怀府路永威城小吃街油烟污染严重",
]


def _leaves(n: int) -> list[Category]:
    """``n`` leaf categories from different branches of whatever tree is loaded."""
    leaves = list(Category.objects.filter(active=True, children__isnull=True).order_by("code"))
    step = max(1, len(leaves) // n)
    return leaves[::step][:n]


def _everyday(now: dt.datetime) -> list[Ticket]:
    """56 everyday tickets over the same three weeks (bulk: no signature yet)."""
    cats = _leaves(6)
    texts = [m.format(p=p) for m, p in zip(OTHER_MATTERS, itertools.cycle(PLACES), strict=False)]
    shifted = itertools.islice(itertools.cycle(PLACES), 4, None)
    texts += [m.format(p=p) for m, p in zip(OTHER_MATTERS, shifted, strict=False)]
    texts += [f"{p}隔壁的超市卖过期食品" for p in PLACES[:6]]
    texts += OTHER_RESTAURANTS
    texts += ["丰泽园小区的电梯经常困人，物业维修不及时", "丰泽园小区北门的路灯不亮"]
    rows = []
    for i, text in enumerate(texts):
        row = ticket_row(
            text,
            division="410802" if "解放区" in text else "410811",
            category=None,
            created_at=now - dt.timedelta(hours=9 * i + 3),
        )
        row.category = cats[i % len(cats)]
        rows.append(row)
    from yiwang.core.fields import assign_row_ids

    assign_row_ids(rows)
    return Ticket.objects.bulk_create(rows)


def _neighbours(now: dt.datetime, agent) -> list[Ticket]:
    """The ten complaints, taken in by the agent over three weeks under three matters."""
    cats = _leaves(3)
    out = []
    for i, text in enumerate(NEIGHBOURS):
        with time_machine.travel(now - dt.timedelta(days=21) + i * dt.timedelta(days=2.2)):
            out.append(
                do_take_ticket(
                    actor=agent,
                    channel="phone",
                    kind="complaint",
                    content=text,
                    category=cats[i % 3].code,
                    address="解放区民主路丰泽园小区" if i % 3 == 0 else "",
                    contact_phone="13912345678",
                )
            )
    return out


def _overlap(a: str, b: str) -> float:
    wa = {w for w in _jieba().lcut(a) if len(w) > 1}
    wb = {w for w in _jieba().lcut(b) if len(w) > 1}
    return len(wa & wb) / len(wa | wb)


def test_ten_voices_share_few_words():
    """The ten are worded like real neighbours: little vocabulary in common."""
    pairs = [_overlap(a, b) for a, b in itertools.combinations(NEIGHBOURS, 2)]
    assert statistics.median(pairs) < 0.12
    assert len({len(t) // 40 for t in NEIGHBOURS}) >= 4  # short and long


@pytest.fixture
def now():
    return timezone.now().replace(microsecond=0)


def test_one_problem_in_many_words_raises_one_alert(city, agent, supervisor, now):
    ten = _neighbours(now, agent)
    assert len({t.category_id for t in ten}) == 3
    assert TicketTerm.objects.filter(ticket__in=ten, term="@丰泽园").count() == 10
    everyday = _everyday(now)
    assert len(everyday) >= 50
    alerts = [a for a in do_raise_hotspot_alerts(now=now) if a.kind == "content"]
    assert len(alerts) == 1, [(a.theme, a.places, a.count) for a in alerts]
    alert = alerts[0]
    found = set(alert.tickets.values_list("pk", flat=True))
    mine = {t.pk for t in ten}
    assert len(found & mine) >= 9 and found <= mine, (len(found & mine), len(found - mine))
    assert "丰泽园" in alert.places
    assert alert.category is None and alert.division_id.startswith("4108")
    assert {"油烟", "噪音", "烧烤"} & set(alert.theme), alert.theme
    # Every ticket of the hour is signed now, bulk-imported ones too.
    assert TicketTerm.objects.filter(ticket__in=everyday).values("ticket").distinct().count() >= 50
    told = Notification.objects.filter(title__contains="丰泽园")
    assert list(told.values_list("user_id", flat=True)) == [supervisor.pk]
    # Re-runs extend the same alert; an eleventh neighbour joins it.
    assert [a.pk for a in do_raise_hotspot_alerts(now=now) if a.kind == "content"] == [alert.pk]
    with time_machine.travel(now + dt.timedelta(hours=2)):
        late = do_take_ticket(
            actor=agent,
            channel="phone",
            kind="complaint",
            content="丰泽园楼下饭庄今晚又在烧烤，油烟呛得睡不着",
            category=_leaves(3)[1].code,
        )
    do_acknowledge_hotspot(actor=supervisor, alert=alert)
    again = do_raise_hotspot_alerts(now=now + dt.timedelta(hours=3))
    assert [a.pk for a in again if a.kind == "content"] == [alert.pk]
    assert HotspotAlert.objects.filter(kind="content").count() == 1
    alert.refresh_from_db()
    assert late.pk in set(alert.tickets.values_list("pk", flat=True))
    assert alert.count == len(found) + 1 and alert.state == "acknowledged"
    assert AuditEntry.objects.filter(action="hotline.hotspot.raise").count() == 1
    assert told.count() == 1


def test_the_page_lists_the_alert_with_its_tickets(city, agent, supervisor, now, client):
    ten = _neighbours(now, agent)
    _everyday(now)
    do_raise_hotspot_alerts(now=now)
    client.force_login(supervisor)
    html = client.get("/hotline/hotspots/").content.decode()
    assert "同一问题（跨分类）" in html and "丰泽园" in html
    assert sum(t.number in html for t in ten) >= 9


def test_scattered_complaints_raise_nothing(city, now):
    """Smoke complaints about different restaurants in different compounds are not one
    hotspot, however alike their words."""
    for i, text in enumerate(OTHER_RESTAURANTS * 2):
        many(1, text, start=now - dt.timedelta(days=i), step=DAY, division="410802", category=None)
    assert [a for a in do_raise_hotspot_alerts(now=now) if a.kind == "content"] == []


def test_signing_in_batch_passes_over_tickets_without_terms(city, now):
    """Bulk-imported tickets are signed by the hourly run, batch by batch; a ticket whose
    text gives no term (only boilerplate) is passed over, not read forever."""
    from yiwang.hotline.actions.hotspots import index_missing

    many(5, "您好，谢谢", start=now - DAY, step=dt.timedelta(minutes=1), category=None)
    many(5, "解放区丰泽园小区楼下饭店油烟扰民", start=now - DAY, step=DAY / 10, category=None)
    assert index_missing(now - 2 * DAY, now, batch=2) == 10
    assert TicketTerm.objects.values("ticket").distinct().count() == 5
    assert index_missing(now - 2 * DAY, now, batch=2) == 5  # the empty ones, read once
