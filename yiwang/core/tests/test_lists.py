"""Staff lists at any backlog: keyset pages over several sort columns, lists read
department by department, capped counts, the inbox and its API paged by cursor."""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import parse_qsl, unquote

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from yiwang.core.actions.workflow import do_start_case
from yiwang.core.inbox import INBOX_SORTS, inbox_counts, inbox_for, inbox_split
from yiwang.core.models import NO_DEADLINE, Case
from yiwang.core.paging import Capped, KeysetPaginator, capped_count


@pytest.fixture
def line(city, make_staff, citizen):
    """Cases in the market departments of two counties with deadlines that tie, and the
    city market clerk whose reach is both (条线) and a 武陟 clerk whose reach is one."""
    today = timezone.localdate()
    made = []
    for i in range(23):
        county = "410823" if i % 3 else "410822"
        case = do_start_case(
            actor=None,
            workflow_code="generic_approval",
            title=f"办件 {i}",
            division=county,
            department=f"{county}-market",
            applicant=citizen,
        )
        made.append(case)
        # Set-up: deadlines arranged so that several share one, and some have none.
        due = None if i % 7 == 0 else today + timedelta(days=i % 4)
        Case.objects.filter(pk=case.pk).update(state_due=due, case_due=today + timedelta(i % 2))

    class Line:
        cases = made
        city_clerk = make_staff("window_clerk", "410800", "market")
        wuzhi_clerk = make_staff("window_clerk", "410823", "market")

    return Line


def walk(paginator, params=None):
    seen, params = [], dict(params or {})
    for _ in range(50):
        page = paginator.get_page(params)
        seen += [row.pk for row in page]
        if not page.has_next:
            return seen
        params = dict(parse_qsl(page.next_url[1:]))
    raise AssertionError("the pages never ended")


def test_sort_keys_of_several_columns_cover_every_row_once(line):
    qs = inbox_for(line.city_clerk)
    expected = list(
        Case.objects.filter(pk__in=[c.pk for c in line.cases])
        .order_by("state_due_key", "case_due_key", "id")
        .values_list("pk", flat=True)
    )
    assert walk(KeysetPaginator(qs, sorts=INBOX_SORTS, default="due", per_page=4)) == expected
    # No deadline sorts last: the database's own key, kept as the deadline changes.
    last = Case.objects.get(pk=expected[-1])
    assert last.state_due is None and last.state_due_key == NO_DEADLINE


def test_a_list_read_department_by_department_is_the_same_list(line):
    """The city clerk's reach is every county's market department: read per department
    (one statement) it gives the same pages, back and forth, as read whole."""
    qs = inbox_for(line.city_clerk)
    field, departments = inbox_split(line.city_clerk)
    assert field == "department" and len(departments) > 2
    whole = KeysetPaginator(qs, sorts=INBOX_SORTS, default="due", per_page=5)
    split = KeysetPaginator(
        qs, sorts=INBOX_SORTS, default="due", per_page=5, split=(field, departments)
    )
    assert walk(split) == walk(whole)
    with CaptureQueriesContext(connection) as queries:
        first = split.get_page({})
    assert len([q for q in queries.captured_queries if "core_case" in q["sql"]]) == 1
    second = split.get_page({"cursor": first.next_cursor})
    back = split.get_page({"cursor": second.previous_cursor})
    assert [c.pk for c in back] == [c.pk for c in first]
    # The 武陟 clerk's reach is one department: read as it is, in order.
    assert inbox_split(line.wuzhi_clerk)[1] and len(inbox_split(line.wuzhi_clerk)[1]) == 1


def test_capped_counts_stop_at_the_cap(line):
    qs = Case.objects.filter(pk__in=[c.pk for c in line.cases])
    assert capped_count(qs, cap=100) == Capped(23, False)
    few = capped_count(qs, cap=10)
    assert few == Capped(10, True) and str(few) == "10+" and int(few) == 10
    counts = inbox_counts(line.wuzhi_clerk, cap=5)
    assert str(counts["waiting"]) == "5+" and counts["waiting"].more


def test_inbox_page_turns_by_cursor(client, line, citizen):
    for i in range(28):  # 51 cases: one more than a page
        do_start_case(
            actor=None,
            workflow_code="generic_approval",
            title=f"更多办件 {i}",
            division="410823",
            department="410823-market",
            applicant=citizen,
        )
    client.force_login(line.city_clerk)
    first = client.get("/inbox/").content.decode()
    assert first.count('class="case-row') == 50 and 'id="pager-previous"' not in first
    assert "第 1 / " not in first  # no page numbers: nothing counts the backlog
    cursor = re.search(r'id="pager-next"', first) and re.search(
        r'href="\?sort=due&amp;cursor=([^"]+)" rel="next"', first
    )
    assert cursor
    second = client.get("/inbox/", {"sort": "due", "cursor": unquote(cursor.group(1))})
    body = second.content.decode()
    assert body.count('class="case-row') == 1 and 'id="pager-previous"' in body


def test_inbox_api_next_cursor_and_page_numbers_within_the_first_rows(client, line, monkeypatch):
    client.force_login(line.city_clerk)
    first = client.get("/api/v1/inbox?page_size=10").json()
    assert first["count"] == 23 and first["count_capped"] is False and first["next"]
    seen = [c["id"] for c in first["items"]]
    cursor = first["next"]
    while cursor:
        body = client.get("/api/v1/inbox", {"page_size": 10, "cursor": cursor}).json()
        seen += [c["id"] for c in body["items"]]
        cursor = body["next"]
    assert len(seen) == len(set(seen)) == 23
    # ?page=N still answers within the first rows, and agrees with the cursor pages.
    third = client.get("/api/v1/inbox?page_size=10&page=3").json()
    assert [c["id"] for c in third["items"]] == seen[20:]
    bad = client.get("/api/v1/inbox", {"cursor": "not-a-cursor"})
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "invalid"
    # Beyond what count can describe, page numbers give way to the cursor.
    monkeypatch.setattr("yiwang.core.api.pagination.COUNT_CAP", 20)
    capped = client.get("/api/v1/inbox?page_size=10").json()
    assert capped["count"] == 20 and capped["count_capped"] is True
    far = client.get("/api/v1/inbox?page_size=10&page=3")
    assert far.status_code == 422 and "next" in far.content.decode()


def test_a_split_list_that_can_hold_nothing_is_an_empty_page(line):
    """A reach that leaves nothing to list (the queryset empty by construction) is an
    empty page, read department by department or whole — not a server error."""
    qs = inbox_for(line.city_clerk).none()
    field, departments = inbox_split(line.city_clerk)
    split = KeysetPaginator(
        qs, sorts=INBOX_SORTS, default="due", per_page=5, split=(field, departments)
    )
    assert list(split.get_page({})) == []
