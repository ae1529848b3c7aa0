"""Data room API: 数据质量 — a batch's per-rule results and score, quality scores per
resource, and the 数据资源普查 (census) per department."""

from __future__ import annotations

import datetime as dt

from ninja import Router, Schema

from yiwang.core.access import pick, require
from yiwang.core.identity.tokens import require_scope
from yiwang.data import access, quality
from yiwang.data.models import QualityRule

router = Router()


class RuleOut(Schema):
    code: str
    name: str
    dimension: str
    element: str | None
    params: dict
    weight: int
    active: bool


class ResultOut(Schema):
    rule: str
    name: str
    dimension: str
    checked: int
    failed: int
    score: float


class BatchQualityOut(Schema):
    batch: int
    status: str
    score: float | None
    results: list[ResultOut]


class ResourceCensusOut(Schema):
    code: str
    name: str
    registry: str
    update_cycle: str
    rows: int
    last_loaded_at: dt.datetime | None
    freshness: str
    score: float | None
    open_objections: int


class DepartmentCensusOut(Schema):
    department: str
    name: str
    rows: int
    fresh: int
    stale: int
    score: float | None
    open_objections: int
    resources: list[ResourceCensusOut]


@router.get("/rules", response=list[RuleOut])
def rules(request):
    """质量规则 (rules are data: completeness, validity, uniqueness, consistency, timeliness)."""
    require_scope(request, "read")
    require(request.user, "data.view")
    return [
        {
            "code": r.code,
            "name": r.name,
            "dimension": r.dimension,
            "element": r.element.code if r.element_id else None,
            "params": r.params or {},
            "weight": r.weight,
            "active": r.active,
        }
        for r in QualityRule.objects.select_related("element").order_by("code")
    ]


@router.get("/batches/{batch_id}", response=BatchQualityOut)
def batch_quality(request, batch_id: int):
    """质量报告 of one batch: each rule's checked / failed counts and the weighted score."""
    require_scope(request, "read")
    require(request.user, "data.view")
    batch = pick(access.batches(request.user), batch_id)
    results = list(batch.quality.select_related("rule").order_by("rule__code"))
    return {
        "batch": batch.pk,
        "status": batch.status,
        "score": quality.score_of(results),
        "results": [
            {
                "rule": r.rule.code,
                "name": r.rule.name,
                "dimension": r.rule.dimension,
                "checked": r.checked,
                "failed": r.failed,
                "score": r.score,
            }
            for r in results
        ],
    }


@router.get("/census", response=list[DepartmentCensusOut])
def census(request):
    """数据资源普查: per department in the caller's scope — resources, rows loaded,
    freshness against the update cycle, quality score, open objections."""
    require_scope(request, "read")
    require(request.user, "data.view")
    out = []
    for d in quality.census(access.census_resources(request.user)):
        out.append(
            {
                "department": d["department"].code,
                "name": d["department"].name,
                "rows": d["rows"],
                "fresh": d["fresh"],
                "stale": d["stale"],
                "score": d["score"],
                "open_objections": d["objections"],
                "resources": [
                    {
                        "code": e["resource"].code,
                        "name": e["resource"].name,
                        "registry": e["resource"].registry,
                        "update_cycle": e["resource"].update_cycle,
                        "rows": e["rows"],
                        "last_loaded_at": e["last_at"],
                        "freshness": e["freshness"],
                        "score": e["score"],
                        "open_objections": e["objections"],
                    }
                    for e in d["resources"]
                ],
            }
        )
    return out
