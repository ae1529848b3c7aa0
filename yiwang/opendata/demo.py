"""The demo city's open data: a few datasets the big data bureau opens (idempotent)."""

from __future__ import annotations

from yiwang.core.models import Department
from yiwang.core.rooms import DemoReport, DemoRun
from yiwang.opendata.actions import do_publish_dataset
from yiwang.opendata.models import Dataset

PROVIDER = "410800-big_data"  # 焦作市大数据局
DATASETS = (
    ("JZ-OD-0001", "政务服务事项目录", "全市政务服务事项的名称、编码、办理部门和时限。"),
    ("JZ-OD-0002", "公共厕所分布", "城区公共厕所的位置和开放时间。"),
    ("JZ-OD-0003", "12345 热线月度统计", "按诉求类别汇总的工单数量，逐月更新。"),
)


def seed_for_demo(run: DemoRun) -> DemoReport:
    """``yiwang demo`` (manifest seeder): the open datasets not yet published."""
    provider = Department.objects.filter(code=PROVIDER).first()
    if provider is None:
        return DemoReport()
    known = set(Dataset.objects.values_list("code", flat=True))
    added = 0
    for code, title, summary in DATASETS:
        if code not in known:
            do_publish_dataset(
                actor=None, code=code, title=title, summary=summary, department=provider
            )
            added += 1
    return DemoReport(summary=f"opendata room: {added} open datasets" if added else None)
