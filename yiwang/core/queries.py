"""Reads of core shared by its pages, its API and the rooms, named in one place. They
live in modules older than this one and stay there: ``inbox`` (待办, the cases a
user may see, a case's summary and history), ``audit_query`` (审计查询 over the ledger) and
``staff_directory`` (工作人员 a user may see); an account as the 窗口实名核验 clerk sees it
is ``identity.assurance.window_summary``. A room's own ``queries`` follows the same
rule: reads write nothing, and a read that must be logged is an action."""

from __future__ import annotations

from yiwang.core.audit_query import search_entries
from yiwang.core.identity.assurance import window_summary
from yiwang.core.inbox import case_events, case_summary, inbox_for, my_applications, visible_cases
from yiwang.core.staff_directory import staff_record, staff_row, visible_staff

__all__ = [
    "case_events",
    "case_summary",
    "inbox_for",
    "my_applications",
    "search_entries",
    "staff_record",
    "staff_row",
    "visible_cases",
    "visible_staff",
    "window_summary",
]
