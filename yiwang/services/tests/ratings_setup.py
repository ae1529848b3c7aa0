"""Fixtures for the 好差评 tests: staff of a 武陟县 market department, a bureau admin, an
item without materials, finished applications and window visits."""

from __future__ import annotations

import pytest

from yiwang.services.actions.applications import do_act, do_apply
from yiwang.services.actions.ratings import do_issue_visit_ticket, do_rate_visit

FORM = {"shop_name": "好味小吃", "area": "20"}


@pytest.fixture
def people(make_staff, citizen):
    class People:
        clerk = make_staff("window_clerk", "410823", "market", full_name="王窗口")
        approver = make_staff("approver", "410823", "market", full_name="赵审批")
        admin = make_staff("dept_admin", "410823", "market", full_name="钱科长")
        other_admin = make_staff("dept_admin", "410822", "market", full_name="孙科长")
        bureau = make_staff("bureau_admin", "410800", "big_data", full_name="周局")
        civil_clerk = make_staff("window_clerk", "410823", "civil_affairs", full_name="吴窗口")
        applicant = citizen

    return People


@pytest.fixture
def item(make_item):
    return make_item("食品经营许可（新办）", materials=[])


@pytest.fixture
def civil_item(make_item):
    return make_item("婚姻登记（结婚）", line="civil_affairs", materials=[])


@pytest.fixture
def finished(item, people):
    """finished("approve" | "not_accept" | "open", applicant=…) → an application of
    ``item`` taken that far by the department's staff."""

    def make(outcome: str = "approve", applicant=None):
        app = do_apply(actor=applicant or people.applicant, item=item, form_data=FORM, uploads=None)
        if outcome == "not_accept":
            do_act(
                actor=people.clerk, application=app, action="not_accept", comment="不属于受理范围"
            )
        elif outcome == "approve":
            do_act(actor=people.clerk, application=app, action="accept")
            do_act(actor=people.approver, application=app, action="review")
            do_act(actor=people.approver, application=app, action="approve")
        app.refresh_from_db()
        return app

    return make


@pytest.fixture
def visit_rating(people):
    """visit_rating(item, level, clerk=…, comment=…) → a window visit rated on the
    clerk's evaluation screen."""

    def make(item, level: int, clerk=None, comment: str = ""):
        clerk = clerk or people.clerk
        visit = do_issue_visit_ticket(actor=clerk, item=item)
        return do_rate_visit(actor=clerk, visit_number=visit.number, level=level, comment=comment)

    return make
