"""The import pipeline (归集流程): check every row against the element standards, the
required items, known divisions, keys repeated in the file and the quality rules; land
good rows through ``registry.apply_rows``; keep bad rows in quarantine with reasons.

Rows are committed in chunks; each chunk's rows and the batch's ``processed`` checkpoint
share one transaction, so a run killed part-way leaves whole chunks and a re-run resumes
exactly where the last commit ended."""

from __future__ import annotations

import copy
import dataclasses
import json
import multiprocessing
import time
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from itertools import islice
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from yiwang.core import uploads
from yiwang.core.fields import assign_row_ids, bulk_update
from yiwang.core.identifiers import id_birth_date
from yiwang.core.models import Division
from yiwang.data import quality
from yiwang.data.ingest import mapping as colmap
from yiwang.data.ingest.fastpath import Inserter, bulk_session
from yiwang.data.ingest.readers import CONTENT_TYPES, EXTRA, Table, read_table, sniff_format
from yiwang.data.registry import REGISTRIES, Authority, derive
from yiwang.data.standards import checker_for, display

Progress = Callable[[int], None]
# A checked row: registry values (None when refused), reasons, normalised key.
Checked = tuple[dict | None, list[dict], str | None]


class Interrupted(RuntimeError):
    """Another run advanced the batch first: this run stops without writing."""


def reason(field: str, code: str, message: str) -> dict[str, str]:
    return {"field": field, "code": code, "message": str(message)}


def chunk_rows() -> int:
    return int(settings.YIWANG.get("DATA_IMPORT_CHUNK_ROWS", 2000))


# The content type a batch's stored file is kept under, by its format.
FORMAT_TYPES = CONTENT_TYPES


def batch_format(batch, data: bytes = b"") -> str:
    if batch.source in ("csv", "xlsx", "json"):
        return batch.source
    if batch.source == "pull":
        return "json"
    for fmt, content_type in FORMAT_TYPES.items():
        if batch.content_type == content_type:
            return fmt
    return sniff_format(batch.name, data)


def open_table(batch, data: bytes | None = None) -> Table:
    """The batch's stored file opened as a table (decrypted, its SM3 digest checked),
    within the parsing limits."""
    if data is None:
        data = uploads.read(batch)
    options = batch.mapping or {}
    return read_table(data, batch_format(batch, data), options.get("records_path", ""))


def check_file(batch) -> Any:
    """检查文件 (the first run's first step): parse the whole stored file once — format,
    encoding, the columns the resource needs, every row, every parsing limit — before any
    row lands; a file refused here changes nothing. Records the row count and encoding
    on the batch and returns it refreshed."""
    from yiwang.data.models import ImportBatch

    _mark_running(batch)
    table = open_table(batch)
    colmap.resolve(batch.resource, table.columns, (batch.mapping or {}).get("columns"))
    total = sum(1 for _row in table.rows)
    ImportBatch.objects.filter(pk=batch.pk).update(total=total, encoding=table.encoding)
    batch.refresh_from_db()
    return batch


class RowChecker:
    """Checks one row (column → text) and returns registry values or reasons."""

    def __init__(self, resource, columns: dict) -> None:
        self.resource = resource
        self.spec = REGISTRIES[resource.registry]
        self.columns = [
            (col, item.name, item.field, item.element, item.required or item.is_key)
            for col, item in columns.items()
        ]
        self.key_column = next(
            ((col, el) for col, _n, f, el, _r in self.columns if f == self.spec.key), None
        )
        self.divisions = (
            set(Division.objects.values_list("code", flat=True)) if self.spec.fk_fields else set()
        )
        self.checkers = {col: checker_for(element) for col, _n, _f, element, _r in self.columns}
        self.runs = quality.runs_for(resource, columns.values())
        self.by_check: dict[str, list] = {}
        for run in self.runs:
            self.by_check.setdefault(run.check, []).append(run)
        self.seen: dict[str, int] = {}

    def clone(self) -> RowChecker:
        """A copy with quality-rule counters of its own, for checking in another thread
        (its counts come back through ``RuleRun.take``, as from a worker process)."""
        other = copy.copy(self)
        other.runs = [dataclasses.replace(run, checked=0, failed=0) for run in self.runs]
        other.by_check = {}
        for run in other.runs:
            other.by_check.setdefault(run.check, []).append(run)
        return other

    def key_of(self, raw: dict) -> str | None:
        """The row's natural key, normalised, or None when missing or invalid."""
        if self.key_column is None:
            return None
        col, _element = self.key_column
        try:
            value = self.checkers[col](raw.get(col, ""))
        except ValidationError:
            return None
        return None if value is None else display(value)

    def remember(self, n: int, raw: dict) -> None:
        """Note an already-processed row's key (when resuming) for the duplicate check."""
        key = self.key_of(raw)
        if key is not None:
            self.seen.setdefault(key, n)

    def _count(self, check: str, failed: bool) -> bool:
        rejected = False
        for run in self.by_check.get(check, ()):
            run.checked += 1
            if failed:
                run.failed += 1
                rejected = rejected or run.reject
        return rejected

    def check_row(self, n: int, raw: dict) -> tuple[dict | None, list[dict], str | None]:
        """Everything but the duplicate check (which needs the whole file so far): the
        registry values or None, the reasons, and the row's normalised key if valid."""
        return self.check_rows([(n, raw)])[0]

    def check_rows(self, chunk: list[tuple[int, dict]]) -> list[Checked]:
        """``check_row`` for each row of a chunk, a column at a time: each column's
        element check is looked up once and run over the chunk, and the intrinsic rule
        counts (standard, required, division) are added once per chunk. The reasons of a
        row come in the same order as row by row: extra cells, then the columns in order,
        then consistency and completeness."""
        raws = [raw for _n, raw in chunk]
        cleans: list[dict[str, Any]] = [{} for _raw in raws]
        reasons: list[list[dict]] = [[] for _raw in raws]
        bad = {check: [False] * len(raws) for check in ("standard", "required", "division")}
        for i, raw in enumerate(raws):
            if EXTRA in raw:
                reasons[i].append(reason("", "extra_cells", _("该行的单元格多于表头的列数。")))
                bad["standard"][i] = True
        for column in self.columns:
            self._check_column(column, raws, cleans, reasons, bad)
        for check, failed in bad.items():
            self._count_many(check, len(raws), sum(failed))
        return [self._finish_row(clean, why) for clean, why in zip(cleans, reasons, strict=True)]

    def _check_column(self, column: tuple, raws: list, cleans: list, reasons: list, bad: dict):
        """One column of a chunk against its element, required flag and, for a division
        column, the known divisions."""
        col, name, fld, _element, required = column
        check = self.checkers[col]
        is_division = fld in self.spec.fk_fields
        for i, raw in enumerate(raws):
            try:
                value = check(raw.get(col, ""))
            except ValidationError as exc:
                reasons[i].append(reason(name, exc.code or "invalid", exc.messages[0]))
                bad["standard"][i] = True
                continue
            if value is None:
                if required:
                    reasons[i].append(reason(name, "required", _("必填项为空。")))
                    bad["required"][i] = True
                continue
            if is_division and value not in self.divisions:
                reasons[i].append(
                    reason(name, "unknown_division", _("行政区划代码不存在：%s") % value)
                )
                bad["division"][i] = True
                continue
            cleans[i][fld] = value

    def _finish_row(self, clean: dict, reasons: list[dict]) -> Checked:
        """The row-level checks after its columns: consistency, completeness, derived
        values."""
        key = clean.get(self.spec.key)
        self._consistency(clean, reasons)
        self._filled(clean, reasons)
        key_text = None if key is None else display(key)
        if reasons:
            return None, reasons, key_text
        return derive(self.resource.registry, clean), reasons, key_text

    def _count_many(self, check: str, checked: int, failed: int) -> None:
        for run in self.by_check.get(check, ()):
            run.checked += checked
            run.failed += failed

    def check_key(self, n: int, key: str | None, reasons: list[dict]) -> bool:
        """The duplicate check (唯一性): True when ``key`` was seen on an earlier row."""
        dup = self._duplicate(n, key, reasons)
        if key is not None:
            self._count("unique_key", dup)
        return dup

    def check_keys(self, rows: list[tuple[int, str | None, list[dict]]]) -> list[bool]:
        """``check_key`` for the rows of a chunk in file order, counted once."""
        dups = [self._duplicate(n, key, reasons) for n, key, reasons in rows]
        self._count_many("unique_key", sum(key is not None for _n, key, _r in rows), sum(dups))
        return dups

    def _duplicate(self, n: int, key: str | None, reasons: list[dict]) -> bool:
        if key is None:
            return False
        first = self.seen.setdefault(key, n)
        if first == n:
            return False
        reasons.append(
            reason(
                self._name(self.spec.key),
                "duplicate_key",
                _("与第 %(n)s 行的主键重复。") % {"n": first},
            )
        )
        return True

    def check(self, n: int, raw: dict) -> tuple[dict | None, list[dict]]:
        """Check one row completely (used for single rows; the pipeline splits the work)."""
        clean, reasons, key = self.check_row(n, raw)
        if self.check_key(n, key, reasons):
            clean = None
        return clean, reasons

    def _name(self, fld: str) -> str:
        return next((n for _c, n, f, _e, _r in self.columns if f == fld), fld)

    def _filled(self, clean: dict, reasons: list[dict]) -> None:
        """The completeness rules (完整性): each counts a row missing one of its fields;
        a rejecting rule turns that into a reason naming the first missing one."""
        for run in self.by_check.get("filled", ()):
            run.checked += 1
            empty = [f for f in run.fields if clean.get(f) in (None, "")]
            if empty:
                run.failed += 1
                if run.reject:
                    reasons.append(reason(self._name(empty[0]), "empty", run.rule.name))

    def _consistency(self, clean: dict, reasons: list[dict]) -> None:
        idn = clean.get("id_number")
        if self.resource.registry != "person" or not idn:
            return
        for run in self.by_check.get("id_birth_date", ()):
            if clean.get("birth_date") is None:
                continue
            run.checked += 1
            if clean["birth_date"] != id_birth_date(idn):
                run.failed += 1
                if run.reject:
                    reasons.append(
                        reason(
                            self._name("birth_date"),
                            "birth_date_mismatch",
                            _("出生日期与公民身份号码不一致。"),
                        )
                    )
        for run in self.by_check.get("id_gender", ()):
            if clean.get("gender") not in ("1", "2"):
                continue
            run.checked += 1
            if clean["gender"] != ("1" if int(idn[16]) % 2 else "2"):
                run.failed += 1
                if run.reject:
                    reasons.append(
                        reason(
                            self._name("gender"),
                            "gender_mismatch",
                            _("性别与公民身份号码不一致。"),
                        )
                    )


# Set in the parent just before forking the worker pool; the workers only read it.
_SHARED: dict[str, Any] = {}


def _workers(rows: int) -> int:
    """Worker processes for checking and encrypting: only for large batches, only where
    processes can fork (the parent's checker and keys are inherited, not pickled)."""
    want = int(settings.YIWANG.get("DATA_IMPORT_WORKERS", 1))
    least = int(settings.YIWANG.get("DATA_IMPORT_PARALLEL_MIN_ROWS", 50_000))
    if want < 2 or rows < least or "fork" not in multiprocessing.get_all_start_methods():
        return 0
    return want


def _prepare(chunk: list, pks: list[int]) -> tuple[list, list]:
    """Check and encrypt one chunk (in a worker process), each row for the primary key
    drawn for it (see ``_prepare_with``)."""
    return _prepare_with(_SHARED["checker"], _SHARED["inserter"], chunk, pks)


def _prepare_with(checker, inserter, chunk: list, pks: list[int]) -> tuple[list, list]:
    """Check and encrypt one chunk, each row for the primary key drawn for it: per row
    (clean, reasons, key, (column key, INSERT values) or None), and the rule counts it
    added. Checks run a column at a time over the chunk, and the rows that pass are
    encrypted and indexed a column at a time (``prepare_many``)."""
    checked = checker.check_rows(chunk)
    good = [i for i, (clean, _reasons, _key) in enumerate(checked) if clean is not None]
    ready: list[Any] = [None] * len(checked)
    prepared = inserter.prepare_many([checked[i][0] for i in good], [pks[i] for i in good])
    for i, item in zip(good, prepared, strict=True):
        ready[i] = item
    out = [(*row, item) for row, item in zip(checked, ready, strict=True)]
    return out, [run.take() for run in checker.runs]


def _prepared(checker, inserter, rows: Iterator, size: int, workers: int) -> Iterator[tuple]:
    """(chunk, prepared rows, rule counts) in file order, checked and encrypted one chunk
    ahead of the chunk being written: by a pool of ``workers`` processes, or else by one
    thread (see ``_ahead``)."""
    if not workers:
        yield from _ahead(checker, inserter, rows, size)
        return
    _SHARED.update(checker=checker, inserter=inserter)
    from yiwang.core.keys import keyring

    keyring()  # loaded before the fork, so workers inherit it
    with multiprocessing.get_context("fork").Pool(workers) as pool:
        pending: deque = deque()
        for chunk in _chunks(rows, size):
            pks = inserter.allocate(len(chunk))  # in the parent: workers hold no connection
            pending.append((chunk, pool.apply_async(_prepare, (chunk, pks))))
            if len(pending) > workers:
                head, job = pending.popleft()
                yield (head, *job.get())
        while pending:
            head, job = pending.popleft()
            yield (head, *job.get())


def _ahead(checker, inserter, rows: Iterator, size: int) -> Iterator[tuple]:
    """Chunk k+1 is checked and encrypted in a helper thread while this thread writes
    chunk k: the database's own work on a chunk (SQLite's B-tree inserts, PostgreSQL's
    COPY in the server process) runs without Python's interpreter lock, so the two
    overlap. The helper touches no database (keys are drawn here, before it starts) and
    counts into its own copy of the quality rules; it checks in this thread's language,
    since reasons keep their message text."""
    helper = checker.clone()
    language = translation.get_language()

    def job(chunk: list, pks: list[int]) -> tuple[list, list]:
        with translation.override(language):
            return _prepare_with(helper, inserter, chunk, pks)

    with ThreadPoolExecutor(1, thread_name_prefix="ingest-prepare") as pool:
        pending = None
        for chunk in _chunks(rows, size):
            ahead = (chunk, pool.submit(job, chunk, inserter.allocate(len(chunk))))
            if pending is not None:
                yield (pending[0], *pending[1].result())
            pending = ahead
        if pending is not None:
            yield (pending[0], *pending[1].result())


def _chunks(rows: Iterator, size: int) -> Iterator[list]:
    while True:
        chunk = list(islice(rows, size))
        if not chunk:
            return
        yield chunk


def _results(batch, runs: list) -> dict[int, int]:
    """Rule id → the batch's QualityResult id (created at zero on first run)."""
    from yiwang.data.models import QualityResult

    have = dict(QualityResult.objects.filter(batch=batch).values_list("rule_id", "id"))
    now = timezone.now()
    for run in runs:
        if run.rule.id not in have:
            have[run.rule.id] = QualityResult.objects.create(
                rule=run.rule,
                resource=batch.resource,
                department=batch.department,
                batch=batch,
                at=now,
            ).id
    return have


def process(
    batch,
    *,
    chunk_size: int | None = None,
    progress: Progress | None = None,
    throttle: float = 0.0,
) -> Any:
    """Run (or resume) ``batch`` to the end; returns the refreshed batch. Call through
    ``do_process_batch`` (which audits)."""
    chunk_size = chunk_size or chunk_rows()
    if batch.total is None:  # not yet checked whole (a run killed while checking too)
        batch = check_file(batch)
    resource = batch.resource
    table = open_table(batch)
    options = batch.mapping or {}
    columns = colmap.resolve(resource, table.columns, options.get("columns"))
    checker = RowChecker(resource, columns)
    inserter = Inserter(resource.registry)
    landing = _Landing(
        batch=batch,
        checker=checker,
        inserter=inserter,
        authority=Authority.for_resource(resource),
        result_ids=_results(batch, checker.runs),
        origin_rows=_origin_rows(options),
    )
    _mark_running(batch)
    done = batch.processed
    if progress and done:
        progress(done)
    rows = table.rows
    for n, raw in islice(rows, done):  # resume: re-learn the keys already seen
        checker.remember(n, raw)
    inserter.bind(resource=resource, department=batch.department, batch=batch, now=timezone.now())
    workers = _workers((batch.total or 0) - done)
    with bulk_session():
        for chunk, prepared, counts in _prepared(checker, inserter, rows, chunk_size, workers):
            for run, (checked, failed) in zip(checker.runs, counts, strict=True):
                run.checked += checked
                run.failed += failed
            end = chunk[-1][0]
            landing.commit(done, end, landing.sort(chunk, prepared))
            if progress:
                progress(end - done)
            done = end
            if throttle:
                time.sleep(throttle)
    _finish(batch, checker, result_ids=landing.result_ids)
    batch.refresh_from_db()
    return batch


def _origin_rows(options: dict) -> dict[int, Any]:
    """For a resubmission (整改重报) of quarantined rows: the origin batch's open
    quarantined rows by row number, so a corrected row closes its original."""
    from yiwang.data.models import QuarantinedRow

    if not options.get("origin"):
        return {}
    return {
        q.row_number: q
        for q in QuarantinedRow.objects.filter(
            batch_id=options["origin"], status=QuarantinedRow.Status.OPEN
        )
    }


def _mark_running(batch) -> None:
    """Mark the batch running, keeping the start time of an earlier, interrupted run."""
    from yiwang.data.models import ImportBatch

    if batch.status != ImportBatch.Status.RUNNING:
        ImportBatch.objects.filter(pk=batch.pk).update(
            status=ImportBatch.Status.RUNNING, started_at=batch.started_at or timezone.now()
        )


@dataclass
class _Sorted:
    """One chunk's rows by fate: ``good`` rows to land, ``bad`` new rows for quarantine
    (隔离), origin rows ``fixed`` by this resubmission and origin rows ``still_bad``."""

    good: list = field(default_factory=list)
    bad: list = field(default_factory=list)
    fixed: list = field(default_factory=list)
    still_bad: list = field(default_factory=list)


@dataclass
class _Landing:
    """What a run needs to sort and commit its chunks (入库): the batch, its checker and
    inserter, the authority that decides conflicts, the quality results to count into
    and, on a resubmission, the rows it corrects."""

    batch: Any
    checker: RowChecker
    inserter: Inserter
    authority: Any
    result_ids: dict[int, int]
    origin_rows: dict[int, Any]

    def sort(self, chunk: list, prepared: list) -> _Sorted:
        """Sort a checked chunk: a good row lands (and fixes its origin row, if any); a
        bad one updates its origin row or goes to quarantine with its reasons."""
        from yiwang.data.models import QuarantinedRow

        out = _Sorted()
        pairs = list(zip(chunk, prepared, strict=True))
        dups = self.checker.check_keys(
            [(n, key, reasons) for (n, _raw), (_c, reasons, key, _r) in pairs]
        )
        for (n, raw), (clean, reasons, _key, ready), dup in zip(chunk, prepared, dups, strict=True):
            if dup:
                clean = None
            origin = _origin_row(raw, self.origin_rows)
            if clean is not None:
                out.good.append((clean, *ready))
                if origin is not None:
                    out.fixed.append(origin.pk)
            elif origin is not None:
                origin.values = _values_json(raw)
                origin.reasons = reasons
                out.still_bad.append(origin)
            else:
                out.bad.append(
                    QuarantinedRow(
                        batch=self.batch, row_number=n, values=_values_json(raw), reasons=reasons
                    )
                )
        return out

    def commit(self, done: int, end: int, rows: _Sorted) -> None:
        """Land one sorted chunk and move the checkpoint from ``done`` to ``end`` in one
        transaction; if another run moved the checkpoint first, stop (Interrupted)."""
        from yiwang.data.models import ImportBatch, QuarantinedRow

        batch = self.batch
        with transaction.atomic():
            moved = ImportBatch.objects.filter(pk=batch.pk, processed=done).update(processed=end)
            if not moved:
                raise Interrupted(batch.pk)
            out = self.inserter.land(
                rows.good,
                resource=batch.resource,
                department=batch.department,
                batch=batch,
                authority=self.authority,
                now=timezone.now(),
            )
            if rows.bad:
                assign_row_ids(rows.bad)
                QuarantinedRow.objects.bulk_create(rows.bad, batch_size=1000)
            if rows.still_bad:
                bulk_update(QuarantinedRow.objects, rows.still_bad, ["values", "reasons"])
            if rows.fixed:
                QuarantinedRow.objects.filter(pk__in=rows.fixed).update(
                    status=QuarantinedRow.Status.FIXED, fixed_batch=batch
                )
            for run in self.checker.by_check.get("conflicts", []):
                run.checked += len(rows.good)
                run.failed += out.conflicts
            ImportBatch.objects.filter(pk=batch.pk).update(
                created=F("created") + out.created,
                updated=F("updated") + out.updated,
                unchanged=F("unchanged") + out.unchanged,
                quarantined=F("quarantined") + len(rows.bad) + len(rows.still_bad),
                conflicts=F("conflicts") + out.conflicts,
            )
            self.save_counts()

    def save_counts(self) -> None:
        """Add the quality-rule counts gathered since the last commit to the batch's
        质量检测 results."""
        from yiwang.data.models import QualityResult

        for run in self.checker.runs:
            checked, failed = run.take()
            if checked or failed:
                QualityResult.objects.filter(pk=self.result_ids[run.rule.id]).update(
                    checked=F("checked") + checked, failed=F("failed") + failed
                )


def _origin_row(raw: dict, origin_rows: dict):
    if not origin_rows:
        return None
    text = str(raw.get(colmap.ROW_NUMBER, "")).strip()
    return origin_rows.get(int(text)) if text.isdigit() else None


def _values_json(raw: dict) -> str:
    values = {k: v for k, v in raw.items() if k not in (colmap.REASONS,)}
    return json.dumps(values, ensure_ascii=False)


def _finish(batch, checker: RowChecker, result_ids: dict[int, int]) -> None:
    from yiwang.data.models import ImportBatch, QualityResult

    now = timezone.now()
    with transaction.atomic():
        for run in checker.by_check.get("timeliness", ()):
            previous = (
                ImportBatch.objects.filter(
                    resource__code=batch.resource.code, status=ImportBatch.Status.DONE
                )
                .exclude(pk=batch.pk)
                .exclude(source=ImportBatch.Source.RESUBMIT)
                .order_by("-finished_at")
                .values_list("finished_at", flat=True)
                .first()
            )
            QualityResult.objects.filter(pk=result_ids[run.rule.id]).update(
                checked=1, failed=int(quality.late(batch.resource, previous, now))
            )
        QualityResult.objects.filter(batch=batch).update(at=now)
        ImportBatch.objects.filter(pk=batch.pk).update(
            status=ImportBatch.Status.DONE, finished_at=now, total=F("processed"), error=""
        )
