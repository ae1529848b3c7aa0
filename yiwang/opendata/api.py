"""API of the open data room under /api/v1/opendata/: the open catalogue, public."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from ninja import NinjaAPI, Router, Schema

from yiwang.opendata.queries import open_datasets

router = Router(tags=["开放数据 open data"])


class DatasetOut(Schema):
    code: str
    title: str
    summary: str
    department: str
    condition: str
    published_at: dt.datetime


@router.get("/datasets", response=list[DatasetOut], auth=None, url_name="opendata-datasets")
def list_datasets(request, condition: Literal["unconditional", "conditional"] | None = None):
    """开放数据目录: every published dataset (no sign-in needed), or only those open
    unconditionally (无条件开放) or on conditions (有条件开放)."""
    rows = open_datasets()
    if condition is not None:
        rows = rows.filter(condition=condition)
    return [
        DatasetOut(
            code=d.code,
            title=d.title,
            summary=d.summary,
            department=d.department.name,
            condition=d.condition,
            published_at=d.published_at,
        )
        for d in rows
    ]


def register(api: NinjaAPI) -> None:
    """Mount this room's router on the platform API."""
    api.add_router("/opendata", router)
