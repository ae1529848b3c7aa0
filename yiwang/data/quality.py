"""数据质量: evaluating quality rules (completeness, validity, uniqueness, consistency,
timeliness) row by row during an import, and quality scores per batch, resource and
department from the stored ``QualityResult`` rows."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q
from django.utils import timezone

# Checks a rule's params may name. Row checks run on every row; the intrinsic ones
# (required, standard, division, unique_key) always reject a row, the others only when
# the rule says ``"reject": true``.
INTRINSIC = ("required", "standard", "division", "unique_key")
ROW_CHECKS = (*INTRINSIC, "id_birth_date", "id_gender", "filled")
BATCH_CHECKS = ("conflicts", "timeliness")

# 更新周期 → days a resource may go without a load before it counts as stale.
CYCLE_DAYS = {
    "realtime": 1,
    "daily": 1,
    "weekly": 7,
    "monthly": 31,
    "quarterly": 92,
    "yearly": 366,
}


@dataclass
class RuleRun:
    """One rule's counts while a batch runs."""

    rule: Any
    check: str
    reject: bool
    fields: frozenset[str] = field(default_factory=frozenset)
    checked: int = 0
    failed: int = 0

    def take(self) -> tuple[int, int]:
        """Counts since the last take (what one chunk adds)."""
        out = (self.checked, self.failed)
        self.checked = self.failed = 0
        return out


def rules_for(resource) -> list:
    """Active rules that apply to ``resource``: its own, and the general ones whose
    element (if any) one of its items uses and whose registry (if any) is its registry."""
    from yiwang.data.models import QualityRule

    elements = set(resource.items.values_list("element_id", flat=True))
    out = []
    qs = QualityRule.objects.filter(active=True).filter(
        Q(resource=None) | Q(resource__code=resource.code)
    )
    for rule in qs.select_related("element"):
        if rule.element_id and rule.element_id not in elements:
            continue
        registry = (rule.params or {}).get("registry")
        if registry and registry != resource.registry:
            continue
        out.append(rule)
    return out


def runs_for(resource, items: Iterable) -> list[RuleRun]:
    """A ``RuleRun`` per applicable rule; ``fields`` are the registry fields it looks at."""
    items = list(items)
    runs = []
    for rule in rules_for(resource):
        params = rule.params or {}
        check = params.get("check", "")
        if check not in ROW_CHECKS + BATCH_CHECKS:
            continue
        names = set(params.get("fields", []))
        if rule.element_id:
            names |= {i.field for i in items if i.element_id == rule.element_id}
        runs.append(
            RuleRun(rule, check, check in INTRINSIC or bool(params.get("reject")), frozenset(names))
        )
    return runs


def late(resource, previous_at: dt.datetime | None, now: dt.datetime) -> bool:
    """Whether the load before ``now`` is older than the resource's update cycle allows."""
    days = CYCLE_DAYS.get(resource.update_cycle)
    if days is None or previous_at is None:
        return False
    return now - previous_at > dt.timedelta(days=days)


def freshness(resource, last_at: dt.datetime | None, now: dt.datetime | None = None) -> str:
    """ "fresh", "stale" or "never" — the last load against the update cycle (及时性)."""
    if last_at is None:
        return "never"
    return "stale" if late(resource, last_at, now or timezone.now()) else "fresh"


def score_of(results: Iterable) -> float | None:
    """Weighted quality score (0–100) of a set of results; None when nothing was checked."""
    total = weight = 0.0
    for r in results:
        if not r.checked:
            continue
        w = r.rule.weight or 1
        total += w * r.score
        weight += w
    return round(total / weight, 1) if weight else None


def batch_score(batch) -> float | None:
    return score_of(batch.quality.select_related("rule"))


def latest_batches(resources: Iterable) -> dict[str, Any]:
    """Resource code → its most recent finished load (file or pull, not re-submission)."""
    from yiwang.data.models import ImportBatch

    codes = {r.code for r in resources}
    out: dict[str, Any] = {}
    qs = (
        ImportBatch.objects.filter(resource__code__in=codes, status=ImportBatch.Status.DONE)
        .exclude(source=ImportBatch.Source.RESUBMIT)
        .select_related("resource")
        .order_by("finished_at", "id")
    )
    for b in qs:
        out[b.resource.code] = b
    return out


def resource_scores(resources: Iterable) -> dict[str, float | None]:
    """Resource code → quality score of its latest load (None when never loaded)."""
    from yiwang.data.models import QualityResult

    last = latest_batches(resources)
    by_batch: dict[int | None, list] = {}
    for r in QualityResult.objects.filter(batch__in=[b.id for b in last.values()]).select_related(
        "rule"
    ):
        by_batch.setdefault(r.batch_id, []).append(r)
    return {code: score_of(by_batch.get(b.id, [])) for code, b in last.items()}


def coverage(resources: Iterable) -> dict[str, int]:
    """Resource code → registry rows it supplied that are held now (覆盖)."""
    from django.db.models import Count

    from yiwang.data.models import DefinedRecord
    from yiwang.data.registry import REGISTRIES

    by_registry: dict[str, set[str]] = {}
    for r in resources:
        if r.registry:
            by_registry.setdefault(r.registry, set()).add(r.code)
    out: dict[str, int] = {}
    for registry, codes in by_registry.items():
        if registry not in REGISTRIES:  # 自定义名册: every record is its resource's
            n = DefinedRecord.objects.filter(definition__code=registry).count()
            for code in codes:
                out[code] = out.get(code, 0) + n
            continue
        model = REGISTRIES[registry].model
        for code, n in (
            # The plugin resolves this lookup on the abstract RegistryRecord, whose foreign
            # key is a string reference, and wrongly types ``code__in`` as the related model.
            model._default_manager.filter(source_resource__code__in=codes)  # type: ignore[misc]
            .values_list("source_resource__code")
            .annotate(n=Count("id"))
        ):
            out[code] = out.get(code, 0) + n
    return out


def census(resources) -> list[dict[str, Any]]:
    """数据资源普查: per department, its resources with coverage, freshness against the
    update cycle, quality score and open objections (数据异议)."""
    resources = list(resources.select_related("provider__division"))
    rows = coverage(resources)
    last = latest_batches(resources)
    scores = resource_scores(resources)
    open_by = _open_objections(resources)
    now = timezone.now()
    departments: dict[int, dict[str, Any]] = {}
    for r in resources:
        d = departments.setdefault(
            r.provider_id,
            {"department": r.provider, "resources": [], "rows": 0, "objections": 0},
        )
        batch = last.get(r.code)
        at = batch.finished_at if batch else None
        entry = {
            "resource": r,
            "rows": rows.get(r.code, 0),
            "last_at": at,
            "freshness": freshness(r, at, now) if r.registry else "n/a",
            "score": scores.get(r.code),
            "objections": open_by.get((r.provider_id, r.registry), 0) if r.registry else 0,
        }
        d["resources"].append(entry)
        d["rows"] += entry["rows"]
    for (dept, _registry), n in open_by.items():
        if dept in departments:
            departments[dept]["objections"] += n
    for d in departments.values():
        _department_summary(d)
    return sorted(departments.values(), key=lambda d: d["department"].code)


def _open_objections(resources: list) -> dict[tuple[int, str], int]:
    """(authority department id, registry) → its open 数据异议 (objections not yet
    decided), for the departments providing ``resources``."""
    from django.db.models import Count

    from yiwang.data.models import DataObjection

    return {
        (dept, registry): n
        for dept, registry, n in DataObjection.objects.filter(
            outcome="", authority__in={r.provider_id for r in resources}
        )
        .values_list("authority_id", "registry")
        .annotate(n=Count("id"))
    }


def _department_summary(d: dict[str, Any]) -> None:
    """A department's census line: the mean quality score of its scored resources and
    how many of them are fresh or stale (or never imported)."""
    scored = [e["score"] for e in d["resources"] if e["score"] is not None]
    d["score"] = round(sum(scored) / len(scored), 1) if scored else None
    d["stale"] = sum(1 for e in d["resources"] if e["freshness"] in ("stale", "never"))
    d["fresh"] = sum(1 for e in d["resources"] if e["freshness"] == "fresh")
