"""Demo 预警信息发布: a published 暴雨黄色预警 for 武陟县 (to its people, staff, grid workers
and enterprises, in-app and by SMS) and a 大风蓝色预警 for 博爱县 left as a draft. The
wording is illustrative, written for the demo city. Runs once."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from yiwang.core.models import User
from yiwang.hotline.actions.warnings import GROUPS, do_draft_warning, do_publish_warning
from yiwang.hotline.models import Warning

PUBLISHER = "jiaozuo_hotline_supervisor"
RAIN: dict[str, Any] = {
    "title": "武陟县气象台发布暴雨黄色预警",
    "kind": "暴雨",
    "level": Warning.Level.YELLOW,
    "divisions": ["410823"],
    "body": (
        "预计未来6小时内武陟县大部地区将出现50毫米以上降雨，局地伴有雷电和短时强降水。"
        "请减少户外活动，远离河道、低洼地带和地下通道；城区积水路段请绕行；"
        "农业生产注意清沟排水。遇险情请拨打110、119，咨询请拨打12345。"
    ),
}
WIND: dict[str, Any] = {
    "title": "博爱县大风蓝色预警（待审核）",
    "kind": "大风",
    "level": Warning.Level.BLUE,
    "divisions": ["410822"],
    "body": (
        "预计明天白天博爱县北部山区将出现6级以上阵风。请加固户外广告牌和临时搭建物，"
        "山区景区注意游客安全，严禁野外用火。"
    ),
}


@transaction.atomic
def seed_warnings_demo(actor=None) -> list[Warning]:
    """Draft and publish the demo warnings (skipped when their titles exist). The
    drafter is ``actor`` or the demo 值班长. Returns the demo warnings."""
    publisher = actor or User.objects.filter(username=PUBLISHER).first()
    if publisher is None:
        return []
    out: list[Warning] = []
    for spec, publish in ((RAIN, True), (WIND, False)):
        found = Warning.objects.filter(title=spec["title"]).first()
        if found is None:
            found = do_draft_warning(
                actor=publisher,
                groups=list(GROUPS),
                channels=["sms"],
                **spec,
            )
            if publish:
                found = do_publish_warning(actor=publisher, warning=found)
        out.append(found)
    return out
