"""Keyset pagination (游标分页) for list pages.

A page is found by a cursor over (sort key, pk) rather than by an offset: the database
seeks straight to the row after (or before) the cursor through the index, the cost of
a page does not grow with how deep it is, rows added meanwhile do not shift pages, and
no ``COUNT(*)`` runs over the whole set. The cursor is signed so a tampered value is
simply ignored (the list starts again at its first page).

The sort key is one non-null column, or several (``("state_due_key", "case_due_key")``:
the first, then the next among equals); ``pk`` breaks ties so the order is total. The
row after a cursor is sought as ``key >= value AND (key > value OR …)``, so the database
starts reading its index at the cursor whatever the page — give each list an index on
its sort key columns and ``id`` (with its filters first, or as a partial index). Sorting
by a user's choice goes through ``sorts``, a mapping from the public name in the URL
(``?sort=-submitted``) to the model field(s), so nothing else can be ordered by.
"""

from __future__ import annotations

import copy
import datetime
import decimal
import json
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import reduce
from operator import and_, or_
from typing import Any
from urllib.parse import urlencode

from django.core import signing
from django.core.exceptions import EmptyResultSet, ValidationError
from django.db import connections, router
from django.db.models import Model, Q, QuerySet
from django.db.models.expressions import RawSQL

SALT = "yiwang.core.paging"
_PROBE = -(2**61) - 20_000_000_011  # stands for a split value while a branch compiles
CURSOR_PARAM = "cursor"
SORT_PARAM = "sort"
# Counts shown beside a list stop here ("1000+"): counting further would read the backlog.
COUNT_CAP = 1000


@dataclass(frozen=True)
class Capped:
    """A count that stops at a cap: ``n`` rows counted, ``more`` when rows were left
    uncounted. Reads as "37" or "1000+"."""

    n: int
    more: bool = False

    def __str__(self) -> str:
        return f"{self.n}+" if self.more else str(self.n)

    def __bool__(self) -> bool:
        return self.n > 0

    def __int__(self) -> int:
        return self.n


def capped_count(queryset: QuerySet, cap: int = COUNT_CAP) -> Capped:
    """How many rows ``queryset`` has, counting no further than ``cap`` (a ``COUNT`` over
    at most ``cap + 1`` rows, whatever the table holds)."""
    n = queryset.order_by()[: cap + 1].count()
    return Capped(min(n, cap), n > cap)


class _Encoder(json.JSONEncoder):
    """Dates, times, decimals and UUIDs as the strings their model fields parse back,
    at full precision (a cursor rounded to milliseconds would repeat or skip rows)."""

    def default(self, o: Any) -> Any:
        if isinstance(o, datetime.datetime | datetime.date | datetime.time):
            return o.isoformat()
        if isinstance(o, decimal.Decimal | uuid.UUID):
            return str(o)
        return super().default(o)


def estimated_rows(model) -> int | None:
    """The database's own idea of how many rows ``model``'s table holds, without counting
    them: PostgreSQL's planner statistics (None before the table was first analysed), or
    on SQLite the highest row id (exact for a table rows are not deleted from)."""
    db = router.db_for_read(model)
    connection = connections[db]
    table = model._meta.db_table
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute("SELECT reltuples FROM pg_class WHERE oid = to_regclass(%s)", [table])
        else:
            cur.execute(f"SELECT MAX(rowid) FROM {connection.ops.quote_name(table)}")
        found = cur.fetchone()
    value = found[0] if found else None
    return int(value) if value is not None and value >= 0 else None


@dataclass(frozen=True)
class Sort:
    """The order a list is shown in: a public name, the model field(s) and the direction."""

    name: str
    fields: tuple[str, ...]
    descending: bool

    @property
    def field(self) -> str:
        """The leading sort column."""
        return self.fields[0]

    @property
    def param(self) -> str:
        """The value of ``?sort=`` that selects this order."""
        return f"-{self.name}" if self.descending else self.name


@dataclass
class KeysetPage:
    """One page of rows, with the cursors of the neighbouring pages (None at an end)."""

    object_list: list[Any]
    sort: Sort
    next_cursor: str | None = None
    previous_cursor: str | None = None
    params: dict[str, str] = field(default_factory=dict)

    def __iter__(self):
        return iter(self.object_list)

    def __len__(self) -> int:
        return len(self.object_list)

    def __bool__(self) -> bool:
        return bool(self.object_list)

    @property
    def has_next(self) -> bool:
        return self.next_cursor is not None

    @property
    def has_previous(self) -> bool:
        return self.previous_cursor is not None

    @property
    def has_other_pages(self) -> bool:
        return self.has_next or self.has_previous

    def _query(self, cursor: str | None) -> str:
        params = {k: v for k, v in self.params.items() if k != CURSOR_PARAM and v != ""}
        params[SORT_PARAM] = self.sort.param
        if cursor:
            params[CURSOR_PARAM] = cursor
        return "?" + urlencode(params)

    @property
    def next_url(self) -> str | None:
        """Query string of the next page, keeping the filters and the sort."""
        return self._query(self.next_cursor) if self.next_cursor else None

    @property
    def previous_url(self) -> str | None:
        """Query string of the previous page, keeping the filters and the sort."""
        return self._query(self.previous_cursor) if self.previous_cursor else None

    def sort_url(self, name: str, *, descending_first: bool = False) -> str:
        """Query string that sorts by ``name`` (flipping the direction when the list is
        already sorted by it) and starts again at the first page."""
        if name == self.sort.name:
            descending = not self.sort.descending
        else:
            descending = descending_first
        params = {k: v for k, v in self.params.items() if k != CURSOR_PARAM and v != ""}
        params[SORT_PARAM] = f"-{name}" if descending else name
        return "?" + urlencode(params)


class KeysetPaginator:
    """Pages through ``queryset`` in ``per_page`` rows by a cursor over (sort key, pk).

    ``sorts`` maps the public sort names to a model field or a tuple of fields;
    ``default`` is the public sort used when the request names none (prefix ``-`` for
    descending).

    ``split`` = (field, values) says every row of the list has one of the integer
    ``values`` in ``field`` (the departments of the user's reach, ``department_reach``):
    on SQLite, which keeps no statistics to choose a plan by, a page is then read value
    by value — each through an index on (field, sort key), at most a page from each —
    and merged, in one statement. PostgreSQL chooses between those indexes and the
    city-wide one from its statistics, so it gets the list as it is."""

    def __init__(
        self,
        queryset: QuerySet,
        *,
        sorts: Mapping[str, str | Sequence[str]],
        default: str,
        per_page: int = 30,
        split: tuple[str, Sequence[Any] | None] | None = None,
    ) -> None:
        if not sorts:
            raise ValueError("a keyset paginator needs at least one sort key")
        self.queryset = queryset
        self.sorts = {
            name: (fields,) if isinstance(fields, str) else tuple(fields)
            for name, fields in sorts.items()
        }
        self.default = default
        self.per_page = per_page
        self.split = split

    def sort_for(self, param: str | None) -> Sort:
        """The sort named by ``?sort=``, or the default for anything unknown."""
        for candidate in (param or "", self.default):
            name = candidate.removeprefix("-")
            if name in self.sorts:
                return Sort(name, self.sorts[name], candidate.startswith("-"))
        raise ValueError(f"default sort {self.default!r} is not one of {sorted(self.sorts)}")

    def get_page(self, params: Mapping[str, Any] | None = None) -> KeysetPage:
        """The page that the request's query ``params`` (``request.GET``) point at."""
        params = params or {}
        plain = {k: str(params.get(k, "")) for k in params}
        sort = self.sort_for(plain.get(SORT_PARAM))
        token = self._decode(plain.get(CURSOR_PARAM, ""), sort)
        try:
            return self._page(sort, token, plain)
        except (ValidationError, ValueError, TypeError):
            return self._page(sort, None, plain)

    def accepts(self, cursor: str, sort: Sort | None = None) -> bool:
        """Whether ``cursor`` is one this list made (signed, for this sort)."""
        return self._decode(cursor, sort or self.sort_for(None)) is not None

    def ordered(self, sort: Sort | None = None) -> QuerySet:
        """The whole list in ``sort`` (the default one when None), as pages show it."""
        sort = sort or self.sort_for(None)
        return self.queryset.order_by(*self._order(sort, reverse=False))

    def cursor_after(self, row: Model, sort: Sort | None = None) -> str:
        """The cursor of the page that follows ``row`` (e.g. the last row of a page
        found some other way)."""
        return self._encode(sort or self.sort_for(None), "after", row)

    def rows(self, ordered: QuerySet, limit: int) -> list[Model]:
        """The first ``limit`` rows of ``ordered`` — one page of this list, read value
        by value of ``split`` where that helps (see the class doc)."""
        field, values = self.split or ("", None)
        if not field or not values or len(values) < 2:
            return list(ordered[:limit])
        if connections[ordered.db].vendor != "sqlite":
            return list(ordered[:limit])
        # One branch compiled once, its value bound per branch: a UNION ALL of the
        # branches' first ``limit`` keys, then those rows in order.
        branch = ordered.filter(**{field: _PROBE}).values("pk")[:limit]
        try:
            sql, params = branch.query.sql_with_params()
        except EmptyResultSet:  # the list is empty whatever the value (e.g. no reach)
            return []
        if list(params).count(_PROBE) != 1:
            raise ValueError(f"split on {field!r}: the branch query binds its value oddly")
        at = list(params).index(_PROBE)
        bound: list[Any] = []
        for v in values:
            bound += [*params[:at], v, *params[at + 1 :]]
        union = " UNION ALL ".join([f"SELECT * FROM ({sql})"] * len(values))
        merged = ordered.model._base_manager.using(ordered.db).filter(pk__in=RawSQL(union, bound))
        merged.query.select_related = copy.deepcopy(ordered.query.select_related)
        merged = merged.prefetch_related(*getattr(ordered, "_prefetch_related_lookups", ()))
        return list(merged.order_by(*ordered.query.order_by)[:limit])

    # -- internals --------------------------------------------------------------------

    def _decode(self, cursor: str, sort: Sort) -> tuple[str, list[Any], Any] | None:
        if not cursor:
            return None
        try:
            data = signing.loads(cursor, salt=SALT, serializer=_JSONSerializer)
        except signing.BadSignature:
            return None
        if not isinstance(data, list) or len(data) != 4 or data[0] != sort.param:
            return None
        direction, values, pk = data[1], data[2], data[3]
        if direction not in ("after", "before"):
            return None
        if not isinstance(values, list) or len(values) != len(sort.fields):
            return None
        return direction, values, pk

    def _encode(self, sort: Sort, direction: str, row: Model) -> str:
        values = [self._value_of(row, f) for f in sort.fields]
        payload = [sort.param, direction, values, row.pk]
        return signing.dumps(payload, salt=SALT, serializer=_JSONSerializer, compress=True)

    @staticmethod
    def _value_of(row: Model, path: str) -> Any:
        value: Any = row
        for part in path.split("__"):
            value = getattr(value, part)
        return value

    def _seek(self, sort: Sort, values: list[Any], pk: Any, *, forward: bool) -> Q:
        """Rows strictly after (forward) or before the row (values, pk) in ``sort``: the
        leading key bounded (an index range), then the usual expansion over the keys."""
        up = sort.descending != forward  # ascending forwards, or descending backwards
        op = "gt" if up else "lt"
        keys, vals = (*sort.fields, "pk"), (*values, pk)
        after = reduce(
            or_,
            (
                reduce(and_, (Q(**{keys[j]: vals[j]}) for j in range(i)), Q())
                & Q(**{f"{keys[i]}__{op}": vals[i]})
                for i in range(len(keys))
            ),
        )
        return Q(**{f"{keys[0]}__{op}e": vals[0]}) & after

    def _order(self, sort: Sort, *, reverse: bool) -> Sequence[str]:
        descending = sort.descending != reverse
        sign = "-" if descending else ""
        return (*(f"{sign}{f}" for f in sort.fields), f"{sign}pk")

    def _page(
        self, sort: Sort, token: tuple[str, list[Any], Any] | None, params: dict[str, str]
    ) -> KeysetPage:
        qs = self.queryset
        backwards = token is not None and token[0] == "before"
        if token is not None:
            qs = qs.filter(self._seek(sort, token[1], token[2], forward=not backwards))
        rows = self.rows(qs.order_by(*self._order(sort, reverse=backwards)), self.per_page + 1)
        more = len(rows) > self.per_page
        rows = rows[: self.per_page]
        if backwards:
            rows.reverse()
        page = KeysetPage(rows, sort, params=params)
        if not rows:
            return page
        # Going forward, "more" means a next page; going back, it means a previous one.
        # The side we came from always has rows (the cursor was made from one of them).
        has_next = more if not backwards else True
        has_previous = token is not None if not backwards else more
        if has_next:
            page.next_cursor = self._encode(sort, "after", rows[-1])
        if has_previous:
            page.previous_cursor = self._encode(sort, "before", rows[0])
        return page


class _JSONSerializer:
    """signing's JSON serializer, taught dates and decimals."""

    def dumps(self, obj: Any) -> bytes:
        return json.dumps(obj, separators=(",", ":"), cls=_Encoder).encode("latin-1")

    def loads(self, data: bytes) -> Any:
        return json.loads(data.decode("latin-1"))
