"""数据质量 pages: the quality rules with recent batch scores, and the 数据资源普查
(census) of each department's resources — coverage, freshness, quality, objections."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path
from django.utils.translation import gettext as _

from yiwang.core.access import require
from yiwang.data import access, quality
from yiwang.data.models import ImportBatch, QualityResult, QualityRule


def _freshness_labels() -> dict[str, str]:
    return {
        "fresh": _("按期更新"),
        "stale": _("超期未更新"),
        "never": _("从未归集"),
        "n/a": _("不适用"),
    }


@login_required
def quality_home(request: HttpRequest) -> HttpResponse:
    """质量规则 and the scores of recent batches the user can see."""
    require(request.user, "data.view")
    rules = QualityRule.objects.select_related("element", "resource").order_by("code")
    recent = list(
        access.batches(request.user)
        .filter(status=ImportBatch.Status.DONE)
        .select_related("resource")
        .order_by("-finished_at")[:30]
    )
    by_batch: dict[int | None, list] = {}
    for r in QualityResult.objects.filter(batch__in=recent).select_related("rule"):
        by_batch.setdefault(r.batch_id, []).append(r)
    scored = [{"batch": b, "score": quality.score_of(by_batch.get(b.pk, []))} for b in recent]
    chart = {
        "x": [f"#{s['batch'].pk}" for s in reversed(scored)],
        "y": [s["score"] for s in reversed(scored)],
    }
    return render(
        request, "data/quality/home.html", {"rules": rules, "scored": scored, "chart": chart}
    )


@login_required
def census(request: HttpRequest) -> HttpResponse:
    """数据资源普查 of the departments in the user's scope, with charts."""
    require(request.user, "data.view")
    departments = quality.census(access.census_resources(request.user))
    labels = _freshness_labels()
    for d in departments:
        for e in d["resources"]:
            e["freshness_label"] = labels[e["freshness"]]
    chart = {
        "departments": [d["department"].name for d in departments],
        "scores": [d["score"] for d in departments],
        "rows": [d["rows"] for d in departments],
        "fresh": [
            {"name": labels["fresh"], "value": sum(d["fresh"] for d in departments)},
            {
                "name": labels["stale"] + "/" + labels["never"],
                "value": sum(d["stale"] for d in departments),
            },
        ],
    }
    return render(request, "data/quality/census.html", {"departments": departments, "chart": chart})


urlpatterns = [
    path("quality/", quality_home, name="quality"),
    path("quality/census/", census, name="census"),
]
