"""The demo city's licences: the 证照目录, seals for every issuing department, and a few
licences for the first demo citizens and enterprises (one suspended, one revoked, so
every status shows). Deterministic and idempotent."""

from __future__ import annotations

import datetime as dt
from random import Random

from django.db import transaction
from django.utils import timezone

from yiwang.core.models import User
from yiwang.core.rooms import DemoReport, DemoRun
from yiwang.licences.actions import do_change_status, do_issue_licence, do_seed_licence_types
from yiwang.licences.models import Licence

SOURCE = "演示数据"
STREETS = ("民主南路", "解放中路", "人民路", "塔南路", "丰收路", "建设东路", "山阳路", "焦东路")
FOOD_FORMS = ("食品销售经营者", "餐饮服务经营者", "单位食堂")
FOOD_ITEMS = (
    "预包装食品销售（含冷藏冷冻食品）",
    "散装食品销售（不含冷藏冷冻食品）、热食类食品制售",
    "预包装食品销售（不含冷藏冷冻食品）、保健食品销售",
)
BANKS = ("中国工商银行焦作分行", "中国农业银行焦作分行", "中国建设银行焦作分行")


def _address(rng: Random) -> str:
    return f"河南省焦作市{rng.choice(('解放区', '山阳区', '中站区', '马村区'))}{rng.choice(STREETS)}{rng.randint(1, 300)}号"


@transaction.atomic
def seed_demo_licences(*, citizens: int = 3, enterprises: int = 3) -> dict[str, int]:
    """Catalogue and seals, then licences for the first ``citizens`` demo citizens and
    ``enterprises`` demo enterprises. Does nothing more once demo licences exist."""
    counts = do_seed_licence_types(actor=None)
    counts["licences"] = 0
    if Licence.objects.filter(source=SOURCE).exists():
        return counts
    rng = Random("licences-demo")
    people = list(
        User.objects.filter(kind=User.Kind.CITIZEN, username__startswith="citizen").order_by(
            "username"
        )[:citizens]
    )
    firms = list(
        User.objects.filter(kind=User.Kind.ENTERPRISE, username__startswith="qiye").order_by(
            "username"
        )[:enterprises]
    )
    issued: list[Licence] = []

    def issue(slug: str, **kw) -> Licence:
        licence = do_issue_licence(actor=None, licence_type=slug, source=SOURCE, **kw)
        issued.append(licence)
        return licence

    for n, person in enumerate(people):
        if not person.id_number:
            continue
        me = {"holder_name": person.full_name, "holder_id": person.id_number}
        issue(
            "social_security_card",
            **me,
            data={"bank": rng.choice(BANKS), "generation": "第三代社会保障卡"},
        )
        issue("residence_permit", **me, data={"address": _address(rng), "origin": "河南省郑州市"})
        if n == 0:
            issue(
                "property",
                **me,
                data={
                    "unit_no": f"410811{rng.randint(1, 999):03d}001GB{rng.randint(1, 99999):05d}F00010001",
                    "location": _address(rng) + "1幢2单元301室",
                    "right_type": "国有建设用地使用权/房屋所有权",
                    "use": "城镇住宅用地/住宅",
                    "area": f"共有宗地面积 {rng.randint(3000, 9000)} ㎡/房屋建筑面积 {rng.randint(70, 140)}.{rng.randint(10, 99)} ㎡",
                    "ownership": "单独所有",
                },
            )
        if n == 1 and people[0].id_number:
            issue(
                "marriage",
                **me,
                data={
                    "registered_on": (timezone.localdate() - dt.timedelta(days=400)).isoformat(),
                    "spouse_name": people[0].full_name,
                    "spouse_id": people[0].id_number,
                },
            )
    for n, firm in enumerate(firms):
        if not firm.credit_code:
            continue
        me = {
            "holder_name": firm.enterprise_name,
            "holder_id": firm.credit_code,
            "holder_id_type": "001",
        }
        address = _address(rng)
        issue(
            "business_licence",
            **me,
            data={
                "entity_type": "有限责任公司（自然人投资或控股）",
                "legal_rep": firm.full_name or "—",
                "registered_capital": f"{rng.choice((50, 100, 200, 500))}万元",
                "established": (
                    timezone.localdate() - dt.timedelta(days=rng.randint(400, 4000))
                ).isoformat(),
                "address": address,
                "scope": "一般项目：食品销售（仅销售预包装食品）；日用百货销售。（除依法须经批准的项目外，凭营业执照依法自主开展经营活动）",
            },
        )
        food = issue(
            "food_business",
            **me,
            data={
                "legal_rep": firm.full_name or "—",
                "address": address,
                "main_form": FOOD_FORMS[n % len(FOOD_FORMS)],
                "items": FOOD_ITEMS[n % len(FOOD_ITEMS)],
            },
        )
        if n == 1:
            do_change_status(
                actor=None, licence=food, action="suspend", reason="食品安全抽检不合格，责令整改"
            )
        if n == 2:
            do_change_status(actor=None, licence=food, action="revoke", reason="以欺骗手段取得许可")
    counts["licences"] = len(issued)
    return counts


def seed_for_demo(run: DemoRun) -> DemoReport:
    """``yiwang demo`` (manifest seeder): on the run that seeds the demo city, the 证照目录,
    seals for the issuing departments and licences for the first accounts."""
    if not run.first_run:
        return DemoReport()
    counts = seed_demo_licences()
    return DemoReport(
        summary=(
            f"licences room: {counts['types']} licence types, {counts['seals']} seals, "
            f"{counts['licences']} licences"
        ),
        accounts=True,
    )
