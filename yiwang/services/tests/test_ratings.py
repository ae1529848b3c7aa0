"""好差评 through actions: five levels, only the applicant, only once, only when done; window
visits by number and rating code; a 差评 opens a 差评整改 for the handling department
that becomes overdue and escalates; an upheld appeal leaves the statistics."""

# ruff: noqa: F811 (fixtures imported from ratings_setup are parameters here)
from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from yiwang.core.actions.users import do_create_citizen
from yiwang.core.actions.workflow import do_escalate_overdue
from yiwang.core.calendar import add_working_days
from yiwang.core.identifiers import make_id_number
from yiwang.core.models import AuditEntry, Notification
from yiwang.services.actions.ratings import (
    do_act_rectification,
    do_issue_visit_ticket,
    do_rate_application,
    do_rate_visit,
)
from yiwang.services.models import Rating
from yiwang.services.stats import rating_stats, rating_summary
from yiwang.services.tests.ratings_setup import (  # noqa: F401
    civil_item,
    finished,
    item,
    people,
    visit_rating,
)

pytestmark = pytest.mark.django_db


def _notified(user) -> list[Notification]:
    return list(Notification.objects.filter(user=user))


def test_five_levels_are_recorded_and_anything_else_is_refused(finished, people, item):
    for bad in (0, 6, -1, "x", "", None, True, 2.5, "六"):
        app = finished()
        with pytest.raises(ValidationError) as err:
            do_rate_application(actor=people.applicant, application=app, level=bad)
        assert err.value.error_dict["level"][0].code == "invalid_level"
        assert "1～5" in err.value.messages[0]
        assert not Rating.objects.filter(application=app).exists()
    for level in (1, 2, 3, 4, "5"):
        app = finished()
        rating = do_rate_application(actor=people.applicant, application=app, level=level)
        assert rating.level == int(level)
    assert list(Rating.objects.order_by("level").values_list("level", flat=True)) == [1, 2, 3, 4, 5]


def test_rating_records_the_service_fields(finished, people, item):
    app = finished()
    rating = do_rate_application(
        actor=people.applicant, application=app, level=1, comment=" 一次办好 "
    )
    rating.refresh_from_db()
    assert rating.case_number == app.number
    assert rating.item == item and rating.department == item.department
    assert rating.division.code == "410823" and rating.channel == "online"
    # 谁办理、谁负责: the approver who decided is the staff member rated.
    assert rating.staff == people.approver and rating.rater == people.applicant
    assert rating.applicant_id_type == "111"
    assert rating.applicant_id_number == "11010519491231002X"
    assert rating.applied_at == app.submitted_at and rating.handled_at == app.completed_at
    assert rating.comment == "一次办好" and rating.rectification is None
    entry = AuditEntry.objects.get(action="services.rating.rate")
    assert entry.change["level"] == 1 and entry.change["case_number"] == app.number


def test_only_the_applicant_only_once_only_when_done(finished, people, citizen):
    other = do_create_citizen(
        actor=None,
        username="lisi",
        full_name="李四",
        id_number=make_id_number("410823", dt.date(1980, 5, 1), 11),
        password="Jz-test-pass-2026",
        validate=False,
    )
    app = finished()
    for actor in (other, people.clerk, people.approver, people.admin):
        with pytest.raises(PermissionDenied):
            do_rate_application(actor=actor, application=app, level=1)
    pending = finished("open")
    with pytest.raises(ValidationError) as err:
        do_rate_application(actor=citizen, application=pending, level=1)
    assert err.value.code == "not_done" and "办结" in err.value.messages[0]

    do_rate_application(actor=citizen, application=app, level=2)
    with pytest.raises(ValidationError) as err:
        do_rate_application(actor=citizen, application=app, level=1)
    assert err.value.code == "already_rated"
    assert Rating.objects.get(application=app).level == 2

    # 不予受理 is finished too: it may be rated; the clerk who refused is the one rated.
    refused = finished("not_accept")
    rating = do_rate_application(actor=citizen, application=refused, level=4, comment="没说清原因")
    assert rating.staff == people.clerk and rating.rectification is not None


def test_bad_rating_opens_rectification_for_the_handling_department(
    finished, people, item, settings
):
    settings.YIWANG = {**settings.YIWANG, "SERVICES_RECTIFY_DAYS": 10}
    today = timezone.localdate()
    app = finished()
    good = do_rate_application(actor=people.applicant, application=finished(), level=3)
    assert good.rectification is None and not good.is_bad
    rating = do_rate_application(
        actor=people.applicant, application=app, level=5, comment="多跑了两次"
    )
    case = rating.rectification
    assert case is not None and case.workflow.code == "service_rectification"
    assert case.state == "callback" and case.department == item.department
    assert case.division.code == "410823"
    assert case.case_due == add_working_days(today, 10)[0]  # configurable deadline
    assert case.state_due == add_working_days(today, 1)[0]  # call back within a day
    assert "多跑了两次" in case.events.get(action="start").comment
    # The department's admins are told; another county's admin is not.
    notes = _notified(people.admin)
    assert len(notes) == 1 and "差评待整改" in notes[0].title
    assert notes[0].url == f"/services/rectifications/{rating.pk}/"
    assert _notified(people.other_admin) == []


def test_rectification_actions_fix_now_and_schedule_fix(visit_rating, people, item, citizen):
    today = timezone.localdate()
    # A citizen who scanned the code is told how the 差评 was handled.
    visit = do_issue_visit_ticket(actor=people.clerk, item=item)
    scanned = do_rate_visit(
        actor=citizen, visit_number=visit.number, level=4, channel="app", token=visit.token
    )
    assert scanned.rater == citizen
    with pytest.raises(ValidationError) as err:
        do_act_rectification(actor=people.admin, rating=scanned, action="fix_now", comment="")
    assert "须填写意见" in err.value.messages[0]
    do_act_rectification(
        actor=people.admin, rating=scanned, action="fix_now", comment="已致电致歉并更正指南"
    )
    scanned.rectification.refresh_from_db()
    assert scanned.rectification.state == "fixed" and scanned.rectification.closed_at
    reply = _notified(citizen)
    assert len(reply) == 1 and "已回访处理" in reply[0].title and "致歉" in reply[0].body

    other = visit_rating(item, 5)
    do_act_rectification(
        actor=people.clerk, rating=other, action="schedule_fix", comment="已回访，限期整改"
    )
    case = other.rectification
    case.refresh_from_db()
    assert case.state == "fixing"
    assert case.case_due == add_working_days(today, 15)[0]
    last = case.events.order_by("-id").first()
    assert str(case.case_due) in last.comment
    with pytest.raises(ValidationError) as err:
        do_act_rectification(actor=people.admin, rating=other, action="reboot", comment="x")
    assert err.value.code == "action_unknown"
    # Another county's admin cannot see it at all.
    from django.http import Http404

    with pytest.raises(Http404):
        do_act_rectification(
            actor=people.other_admin, rating=other, action="report_fixed", comment="x"
        )


def test_rectification_becomes_overdue_and_escalates(visit_rating, people, item):
    rating = visit_rating(item, 5, comment="态度差")
    do_act_rectification(
        actor=people.admin, rating=rating, action="schedule_fix", comment="已回访，限期整改"
    )
    case = rating.rectification
    case.refresh_from_db()
    due = case.case_due
    assert case.state == "fixing" and case.state_due is None
    before = len(_notified(people.bureau))
    # On the deadline itself nothing is overdue.
    assert do_escalate_overdue(today=due) == 0
    # The next working day the case is overdue: marked, escalated, admins and bureau told.
    after, _ = add_working_days(due, 1)
    assert do_escalate_overdue(today=after) == 1
    case.refresh_from_db()
    assert case.escalation_level == 1
    assert case.events.filter(action="escalate").count() == 1
    assert any("超期督办" in n.title for n in _notified(people.admin))
    assert len(_notified(people.bureau)) == before + 1
    assert _notified(people.other_admin) == []
    # Each rule fires once.
    assert do_escalate_overdue(today=after) == 0


def test_callback_not_done_in_a_working_day_escalates(visit_rating, people, item):
    rating = visit_rating(item, 4)
    case = rating.rectification
    later, _ = add_working_days(case.state_due, 1)
    assert do_escalate_overdue(today=later) == 1
    case.refresh_from_db()
    assert case.state == "callback" and case.escalation_level == 1


def test_appeal_upheld_excludes_the_rating_from_statistics(visit_rating, people, item):
    kept = visit_rating(item, 1)
    wrong = visit_rating(item, 5, comment="（误评）")
    assert rating_summary().count == 2 and rating_summary().bad == 1
    # Only the department admin appeals; the bureau rules.
    with pytest.raises(ValidationError) as err:
        do_act_rectification(actor=people.clerk, rating=wrong, action="appeal", comment="误评")
    assert err.value.code == "role_missing"
    do_act_rectification(
        actor=people.admin, rating=wrong, action="appeal", comment="评价人当场表示按错"
    )
    assert any("申诉" in n.title for n in _notified(people.bureau))
    with pytest.raises(ValidationError):
        do_act_rectification(
            actor=people.admin, rating=wrong, action="uphold_appeal", comment="自己批准"
        )
    do_act_rectification(
        actor=people.bureau, rating=wrong, action="uphold_appeal", comment="核实为误评，予以剔除"
    )
    wrong.refresh_from_db()
    assert wrong.excluded and wrong.exclusion_reason == "核实为误评，予以剔除"
    assert wrong.rectification.state == "excluded"
    assert any("申诉审核结果" in n.title for n in _notified(people.admin))
    total = rating_summary()
    assert total.count == 1 and total.bad == 0 and total.good_rate == 1.0
    [line] = rating_stats("item")
    assert line.key == item.pk and line.count == 1
    assert kept.pk != wrong.pk


def test_appeal_rejected_goes_back_to_fixing(visit_rating, people, item):
    rating = visit_rating(item, 5)
    do_act_rectification(actor=people.admin, rating=rating, action="appeal", comment="申诉")
    do_act_rectification(
        actor=people.bureau, rating=rating, action="reject_appeal", comment="证据不足"
    )
    rating.refresh_from_db()
    assert rating.rectification.state == "fixing" and not rating.excluded
    do_act_rectification(
        actor=people.approver, rating=rating, action="report_fixed", comment="已整改"
    )
    rating.rectification.refresh_from_db()
    assert rating.rectification.state == "fixed"
    assert rating_summary().rectified == 1


def test_window_visit_needs_its_number_and_code(people, item, citizen):
    with pytest.raises(PermissionDenied):
        do_issue_visit_ticket(actor=people.approver, item=item)
    with pytest.raises(PermissionDenied):
        do_issue_visit_ticket(actor=citizen, item=item)
    visit = do_issue_visit_ticket(actor=people.clerk, item=item)
    assert visit.number.startswith("410823-FW-") and len(visit.token) == 8
    with pytest.raises(ValidationError) as err:
        do_rate_visit(actor=None, visit_number="410823-FW-20000101-000009", level=1, token="x")
    assert err.value.error_dict["visit_number"][0].code == "unknown_visit"
    with pytest.raises(PermissionDenied):
        do_rate_visit(actor=None, visit_number=visit.number, level=1, token="wrong")
    with pytest.raises(PermissionDenied):  # another clerk's screen
        do_rate_visit(actor=people.civil_clerk, visit_number=visit.number, level=1)
    with pytest.raises(ValidationError) as err:
        do_rate_visit(
            actor=None,
            visit_number=visit.number,
            level=1,
            token=visit.token,
            staff=people.approver,
        )
    assert err.value.error_dict["staff"][0].code == "visit_mismatch"
    rating = do_rate_visit(
        actor=None,
        visit_number=visit.number,
        item=item,
        department=item.department,
        division=item.division,
        staff=people.clerk,
        level=2,
        comment="很好",
        token=visit.token.lower(),  # typed from the ticket: case does not matter
    )
    assert rating.rater is None and rating.staff == people.clerk
    assert rating.case_number == visit.number and rating.channel == "window"
    assert rating.handled_at == visit.served_at
    with pytest.raises(ValidationError) as err:
        do_rate_visit(actor=people.clerk, visit_number=visit.number, level=1)
    assert err.value.code == "already_rated"


def test_visit_ticket_for_an_application_carries_its_applicant(finished, people, item):
    app = finished()
    visit = do_issue_visit_ticket(actor=people.clerk, item=item, application=app)
    rating = do_rate_visit(actor=people.clerk, visit_number=visit.number, level=1)
    assert rating.applicant_id_number == "11010519491231002X"
    assert rating.applied_at == app.submitted_at
    with pytest.raises(ValidationError):
        do_issue_visit_ticket(
            actor=people.clerk, item=item, applicant_id_type="111", applicant_id_number="123"
        )


def test_stats_on_a_fixed_set(visit_rating, people, item, civil_item):
    market = [visit_rating(item, level) for level in (1, 1, 2, 3, 4, 5)]
    civil = [visit_rating(civil_item, level, clerk=people.civil_clerk) for level in (2, 5)]
    fixed, explained = market[4], market[5]
    do_act_rectification(actor=people.admin, rating=fixed, action="fix_now", comment="已整改")
    do_act_rectification(actor=people.admin, rating=explained, action="explain", comment="已说明")
    # The civil-affairs 差评 stays open (not rectified).
    by_dept = {line.key: line for line in rating_stats("department")}
    m = by_dept[item.department_id]
    assert (m.count, m.good, m.bad, m.rectified) == (6, 4, 2, 2)
    assert m.good_rate == pytest.approx(4 / 6) and m.rectify_rate == 1.0
    # scores: 5 5 4 3 2 1 → 20 / 6
    assert m.average == pytest.approx(20 / 6)
    c = by_dept[civil_item.department_id]
    assert (c.count, c.good, c.bad, c.rectified) == (2, 1, 1, 0)
    assert c.rectify_rate == 0.0 and c.average == pytest.approx(2.5)
    by_staff = {line.key: line for line in rating_stats("staff")}
    assert by_staff[people.clerk.pk].count == 6 and by_staff[people.clerk.pk].name == "王窗口"
    assert by_staff[people.civil_clerk.pk].count == 2
    total = rating_summary()
    assert (total.count, total.good, total.bad, total.rectified) == (8, 5, 3, 2)
    assert total.as_dict()["good_rate"] == 0.625
    # A period that holds nothing.
    empty = rating_summary(end=timezone.localdate() - dt.timedelta(days=1))
    assert empty.count == 0 and empty.good_rate is None and empty.average is None
    assert rating_summary(start=timezone.localdate()).count == 8
    assert rating_stats("item")[0].name == item.name
    assert civil[0].department == civil_item.department


def test_demo_ratings_spread_and_one_open_rectification(city, licence_types):
    from yiwang.services.actions.ratings import seed_demo_ratings
    from yiwang.services.demo import seed_services_demo

    seed_services_demo()  # the demo hall seeds its ratings too
    ratings = Rating.objects.all()
    assert ratings.count() >= 30
    assert set(ratings.values_list("level", flat=True)) >= {1, 2, 5}
    assert ratings.filter(visit_number="").count() == 0 and not ratings.filter(rater__isnull=False)
    open_ones = ratings.filter(rectification__closed_at__isnull=True, level__gte=4)
    assert open_ones.filter(rectification__state="callback").exists()
    total = rating_summary()
    assert total.count == ratings.count() and 0 < total.good_rate < 1
    assert len(rating_stats("department")) >= 3
    assert seed_demo_ratings() == 0  # idempotent
