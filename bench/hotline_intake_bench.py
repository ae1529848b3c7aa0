"""12345 受理 throughput: tickets taken in per second through the API — ``POST
/api/v1/hotline/tickets`` by a 话务员's session with realistic call texts and addresses and
no category, so each request checks the input, locates the address (county, township),
classifies the text (jieba + the exported TF-IDF/logistic model), routes the category to
the responsible department, encrypts the contact (SM4 + blind index), numbers and starts
the case with its working-day limits, audits, and — for a confident category — dispatches
it at once (a second transition, the department's handlers notified).

Baseline, same process, same client and middleware: ``POST /api/v1/org/staff/{id}/reveal``
by a department admin's session — the platform's smallest authenticated POST that writes
one row (an audit entry). Measured before and after the timed tickets (median);
``ratio`` = tickets per second / baseline requests per second.

SQLite runs in this process; PostgreSQL (when reachable) in a child process against a
database created and dropped here (``BENCH_PG_URL``, default
postgres://postgres@127.0.0.1:5432). ``BENCH_HOTLINE_TICKETS`` sets the full run's size."""

from __future__ import annotations

import json
import os
import statistics
import time

from bench.common import measure_on_postgres, rate, result

# (address, text): calls as the centre hears them — colloquial, some traditional script,
# some vague, across the counties and the categories.
CALLS = [
    ("武陟县城关镇建设路 12 号", "建设路上一家饭店后厨卫生太差，昨天吃完全家拉肚子，希望查一查"),
    ("解放区焦北街道丰收路", "小区楼下烧烤摊每天晚上营业到凌晨两点，油烟大还吵，睡不着"),
    ("山阳区艺新街道", "我们小区物业把楼道当仓库堆满杂物，消防通道都堵了，说了也不管"),
    ("博爱县清化镇", "工地晚上十一点以后还在打桩，噪音太大，老人孩子都休息不好"),
    ("沁阳市怀庆街道", "在工地干了三个月活，包工头一直拖欠工资不发，一共两万多块"),
    ("孟州市会昌街道", "孟州市世纪路的商户把桌子椅子摆到人行道上，行人只能走机动车道"),
    ("中站区龙翔街道", "出租车司机不打表，从火车站到家要了五十块，明显多收钱"),
    ("马村区待王街道", "暖气不热，家里室温只有十二度，交了暖气费却不供热"),
    ("修武县城关镇", "县城人民路有个井盖丢了，晚上很危险，已经有人差点掉下去"),
    ("温县温泉街道", "孩子明年上小学，想问一下我们小区划在哪个学区，怎么报名"),
    ("武陟县木城街道", "我家老人八十多岁了，想问高龄补贴怎么申请，需要带什么材料"),
    ("解放区民主街道", "药店卖过期的药品，我买回家才发现已经过期半年了"),
    ("山阳区定和街道", "小区停水三天了，没有任何通知，也没人来修"),
    ("博爱县许良镇", "村里有人在河边偷排污水，河水发黑发臭，鱼都死了"),
    ("沁阳市太行街道", "社保转移接续一直办不下来，跑了好几趟，希望给个说法"),
    ("孟州市河雍街道", "有人在小区里私搭乱建，把公共绿地圈起来盖了房子"),
    ("中站区府城街道", "公交线路调整以后我们这边没有车了，上班很不方便，希望恢复原来的站点"),
    ("马村区冯营街道", "路面坑洼太多，下雨天全是积水，电动车好几次差点摔倒"),
    ("修武县七贤镇", "健身卡刚办了一个月健身房就关门了，老板联系不上，要求退卡"),
    ("温县黄庄镇", "附近化工厂晚上偷偷排废气，味道很刺鼻，晚上不敢开窗"),
    ("武陟县龙源街道", "燃气管道好像有泄漏，楼道里一直有煤气味，很担心出事"),
    ("解放区七百间街道", "你好，我想反映一个情况，就是最近这边老是有问题"),
    ("山阳区百间房街道", "身份证丢了想补办，能不能在网上办，需要多长时间"),
    ("博爱县柏山镇", "企业厂房的消防通道被货物堵死了，灭火器也过期了，存在安全隐患"),
    ("沁阳市覃怀街道", "網約車司機半路加價，不給就不走，希望嚴肅處理"),
    ("孟州市大定街道", "医院门诊排队太久，挂号系统经常出问题，医生态度也不好"),
    ("中站区月山街道", "不动产证办了半年还没拿到，问了几次都说在走流程"),
    ("马村区演马街道", "低保申请交上去三个月了一直没有消息，家里实在困难"),
    ("修武县郇封镇", "村里的路灯坏了一个多月了，晚上漆黑一片，没人来修"),
    ("温县祥云镇", "学校要求家长必须买指定的校服和教辅材料，价格很高"),
]


def _setup():
    """Org (with townships), the centre's 话务员 and a department admin with a colleague
    to look up for the baseline (not timed)."""
    from yiwang.core.actions.org import do_seed_org
    from yiwang.core.actions.users import do_create_staff
    from yiwang.core.models import OrgUnit, User

    do_seed_org(actor=None, townships=True)
    unit = OrgUnit.objects.get(department__code="410800-hotline", division="410800")

    def staff(username: str, role: str, **kw) -> User:
        found = User.objects.filter(username=username).first()
        return found or do_create_staff(
            actor=None,
            username=username,
            full_name=kw.pop("full_name", "基准人员"),
            org_unit=unit,
            roles=[role],
            password=None,
            validate=False,
            **kw,
        )

    agent = staff("bench-hotline-agent", "hotline_agent", full_name="基准话务员")
    admin = staff("bench-hotline-admin", "dept_admin", full_name="基准管理员")
    member = staff("bench-hotline-member", "hotline_agent", phone="13900002222")
    return agent, admin, member


def measure(n: int, seconds: float) -> dict:
    """Tickets per second through the intake API and the baseline POST, same process."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import override_settings

    from yiwang.hotline.models import Ticket

    agent, admin, member = _setup()
    intake, baseline = Client(), Client()
    intake.force_login(agent)
    baseline.force_login(admin)
    reveal_url = f"/api/v1/org/staff/{member.pk}/reveal"
    reveal_body = json.dumps({"field": "phone", "purpose": "基准测试"})

    def reveal() -> int:
        r = baseline.post(reveal_url, reveal_body, content_type="application/json")
        assert r.status_code == 200, r.content
        return 1

    def body(i: int) -> str:
        address, text = CALLS[i % len(CALLS)]
        return json.dumps(
            {
                "channel": "phone",
                "kind": "complaint" if i % 5 else "help",
                "content": text,
                "address": f"{address} {i % 97 + 1} 号",
                "contact_name": "王先生",
                "contact_phone": f"139{i:08d}"[:11],
            },
            ensure_ascii=False,
        )

    with override_settings(ALLOWED_HOSTS=["testserver"]):
        # One of each untimed first: URL configuration, the classifier and jieba load once.
        first = intake.post("/api/v1/hotline/tickets", body(0), content_type="application/json")
        assert first.status_code == 201, first.content
        reveal()
        before = Ticket.objects.count()
        baselines = [rate(reveal, seconds)]
        states: dict[str, int] = {}
        confident = 0
        start = time.perf_counter()
        for i in range(1, n + 1):
            r = intake.post("/api/v1/hotline/tickets", body(i), content_type="application/json")
            assert r.status_code == 201, r.content
            out = r.json()
            states[out["state"]] = states.get(out["state"], 0) + 1
            confident += not out["needs_review"]
        elapsed = time.perf_counter() - start
        baselines.append(rate(reveal, seconds))
    assert Ticket.objects.count() - before == n
    return {
        "vendor": connection.vendor,
        "tickets": n,
        "tickets_per_s": n / elapsed,
        "baseline_per_s": statistics.median(baselines),
        "seconds": round(elapsed, 2),
        "dispatched_share": round(states.get("dispatched", 0) / n, 3),
        "confident_share": round(confident / n, 3),
    }


def run(quick: bool = False) -> list[dict]:
    n = 30 if quick else int(os.environ.get("BENCH_HOTLINE_TICKETS", "300"))
    seconds = 0.5 if quick else 2.0
    out = []
    for m in (measure(n, seconds), measure_on_postgres("hotline_intake_bench", n, seconds)):
        if m is None:
            continue
        out.append(
            result(
                f"intake_api_{m['vendor']}",
                m["tickets_per_s"],
                "tickets/s",
                m["baseline_per_s"],
                "api_post_one_insert_per_s",
                tickets=m["tickets"],
                seconds=m["seconds"],
                dispatched_share=m["dispatched_share"],
                confident_share=m["confident_share"],
            )
        )
    return out
