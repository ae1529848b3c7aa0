"""The demo city's 12345 room: handling staff for the busiest lines, knowledge answers,
grids and a warning, and about seventy tickets in every step of the loop — including a
burst of noise complaints in 武陟县城关镇 that the hotspot detector flags. Deterministic;
runs once (a database that already has tickets is left alone)."""

from __future__ import annotations

from random import Random

from django.contrib.auth.hashers import make_password
from django.db import transaction

from yiwang.core.actions.demo import DEMO_PASSWORD
from yiwang.core.actions.users import do_create_staff
from yiwang.core.models import OrgUnit, User
from yiwang.core.rooms import DemoReport, DemoRun
from yiwang.hotline.actions import handling as h
from yiwang.hotline.actions.tickets import do_take_ticket
from yiwang.hotline.models import Ticket

# Extra handling staff (username → division, line), beside the core demo's market handlers.
HANDLERS = {
    "wuzhi_housing_handler": ("410823", "housing"),
    "jiaozuo_urban_handler": ("410800", "urban_management"),
    "jiaozuo_ecology_handler": ("410800", "ecology"),
    "jiaozuo_hr_handler": ("410800", "human_resources"),
    "jiaozuo_transport_handler": ("410800", "transport"),
}
# (category, kind, text, address): what people call about.
CALLS = (
    ("060101", "complaint", "饭店后厨卫生太差，吃完拉肚子，要求查处", "武陟县城关镇建设路"),
    ("060201", "complaint", "健身房收了预付卡钱后突然关门，要求退款", "解放区民主路"),
    ("060301", "report", "停车场乱收费，标价五元实际收十元", "山阳区人民路"),
    ("010201", "complaint", "小区物业不修电梯已经两个月了，老人上下楼困难", "武陟县城关镇木城路"),
    ("010303", "help", "家里暖气不热，室温只有十二度", "解放区焦东路"),
    ("010301", "help", "小区停水三天了没有任何通知", "博爱县城关镇"),
    ("010501", "complaint", "学校门口流动摊贩占道经营，上下学很拥堵", "山阳区塔南路"),
    ("010403", "help", "路灯坏了一个多月，晚上很黑不安全", "中站区丹河路"),
    ("010502", "complaint", "垃圾桶满了没人清运，气味很大", "马村区待王街道"),
    ("020101", "report", "工厂夜里偷排废气，味道刺鼻", "修武县城关镇"),
    ("030301", "complaint", "出租车司机拒载还绕路", "解放区火车站"),
    ("030102", "help", "道路坑洼积水，电动车容易摔倒", "温县城关镇"),
    ("050101", "help", "工地拖欠农民工工资三个月", "沁阳市城关镇"),
    ("050301", "consult", "异地就医怎么备案报销", ""),
    ("040201", "consult", "孩子上小学要准备哪些材料", ""),
    ("140201", "suggest", "建议增加周末办事窗口", ""),
)
NOISE = "工地晚上十一点还在施工，噪音太大睡不着"
NOISE_PLACES = ("武陟县城关镇建设路", "武陟县城关镇木城路", "武陟县城关镇育才路")


def _handlers() -> int:
    """Create the extra handling staff (password as the other demo accounts)."""
    password = User.objects.get(username="admin").password
    made = 0
    for username, (division, line) in HANDLERS.items():
        if User.objects.filter(username=username).exists():
            continue
        unit = OrgUnit.objects.get(department__code=f"{division}-{line}", division_id=division)
        do_create_staff(
            actor=None,
            username=username,
            full_name=f"{unit.department.short_name or unit.department.name}承办人",
            org_unit=unit,
            roles=["hotline_handler"],
            password=DEMO_PASSWORD,
            validate=False,
        )
        made += 1
    User.objects.filter(username__in=HANDLERS).update(password=password or make_password(None))
    return made


def _handler_for(ticket: Ticket) -> User | None:
    return (
        User.objects.filter(
            is_active=True,
            role_assignments__role="hotline_handler",
            role_assignments__org_unit__department=ticket.department,
        )
        .order_by("pk")
        .first()
    )


def _advance(ticket: Ticket, steps: int, agent: User, supervisor: User, rng: Random) -> None:
    """Move a dispatched ticket ``steps`` steps along the loop."""
    handler = _handler_for(ticket)
    if handler is None or steps <= 0:
        return
    h.do_sign(actor=handler, ticket=ticket)
    if steps == 1:
        return
    if steps == 2:
        h.do_request_extension(actor=handler, ticket=ticket, days=5, reason="需协调多个部门")
        return
    h.do_reply(
        actor=handler,
        ticket=ticket,
        result=rng.choice(["resolved", "resolved", "partial"]),
        reply="已到现场核实并处理，已与诉求人沟通。",
    )
    if steps == 3:
        return
    h.do_conclude(actor=agent, ticket=ticket)
    if steps == 4:
        return
    h.do_callback(
        actor=agent,
        ticket=ticket,
        satisfaction=rng.choice(["satisfied", "satisfied", "basic", "unsatisfied"]),
        comment="电话回访",
    )


@transaction.atomic
def _tickets(agent: User, supervisor: User) -> int:
    rng = Random(12345)
    made = 0
    for round_ in range(4):
        for i, (category, kind, text, address) in enumerate(CALLS):
            t = do_take_ticket(
                actor=agent,
                channel=rng.choice(["phone", "phone", "web", "app"]),
                kind=kind,
                content=text,
                category=category,
                address=address,
                contact_name=rng.choice(["张先生", "李女士", "王先生", "赵女士"]),
                contact_phone=f"139{rng.randrange(10**8):08d}",
            )
            made += 1
            if t.flow.state == "registered" and kind == "consult":
                if (i + round_) % 2 == 0:
                    h.do_answer_now(actor=agent, ticket=t, answer="已按知识库口径答复。")
                continue
            _advance(t, (i + round_) % 6, agent, supervisor, rng)
    for n in range(12):
        do_take_ticket(
            actor=agent,
            channel="phone",
            kind="complaint",
            content=NOISE,
            category="020201",
            address=NOISE_PLACES[n % len(NOISE_PLACES)],
            contact_phone=f"137{rng.randrange(10**8):08d}",
        )
        made += 1
    return made


def seed_hotline_demo() -> dict[str, int]:
    """Seed the 12345 room once; returns what was created."""
    if Ticket.objects.exists():
        return {"tickets": 0, "handlers": 0, "knowledge": 0, "grids": 0, "warnings": 0}
    from yiwang.hotline.actions.hotspots import do_raise_hotspot_alerts
    from yiwang.hotline.demo_grid import seed_grid_demo
    from yiwang.hotline.demo_knowledge import seed_knowledge_demo
    from yiwang.hotline.demo_warnings import seed_warnings_demo

    handlers = _handlers()
    agent = User.objects.get(username="jiaozuo_hotline_agent")
    supervisor = User.objects.get(username="jiaozuo_hotline_supervisor")
    knowledge = len(seed_knowledge_demo(actor=None))
    tickets = _tickets(agent, supervisor)
    grids = seed_grid_demo(actor=None)
    warnings = seed_warnings_demo(actor=None)
    do_raise_hotspot_alerts(actor=None)
    return {
        "tickets": tickets,
        "handlers": handlers,
        "knowledge": knowledge,
        "grids": len(grids),
        "warnings": len(warnings),
    }


def seed_for_demo(run: DemoRun) -> DemoReport:
    """``yiwang demo`` (manifest seeder): handling staff, knowledge answers, grids, a
    warning and tickets, once; later runs add nothing and say nothing."""
    counts = seed_hotline_demo()
    summary = None
    if counts["tickets"]:
        summary = (
            f"hotline room: {counts['tickets']} tickets, {counts['knowledge']} knowledge "
            f"answers, {counts['grids']} grids, {counts['warnings']} warnings"
        )
    return DemoReport(summary=summary, accounts=bool(counts["handlers"]))
