"""好差评 pages and API: rating a finished 办件 and a window visit, 差评整改 list, detail
and actions, the published statistics (no staff names for the public)."""

# ruff: noqa: F811 (fixtures imported from ratings_setup are parameters here)
from __future__ import annotations

import json

import pytest
from django.urls import reverse

from yiwang.services.actions.ratings import do_act_rectification, do_issue_visit_ticket
from yiwang.services.models import Rating, WindowVisit
from yiwang.services.tests.ratings_setup import (  # noqa: F401
    civil_item,
    finished,
    item,
    people,
    visit_rating,
)

pytestmark = pytest.mark.django_db
API = "/api/v1/services/ratings"


def _post_json(client, url, data):
    return client.post(url, data=json.dumps(data), content_type="application/json")


# --- rating a finished 办件 ---


def test_applicant_rates_a_finished_case_on_the_page(client, finished, people, citizen):
    app = finished()
    url = reverse("services:rate-application", args=[app.number])
    assert url == f"/services/my/{app.number}/rate/"
    client.force_login(citizen)
    page = client.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    for label in ("非常满意", "满意", "基本满意", "不满意", "非常不满意"):
        assert label in html
    assert 'name="level" value="5"' in html and 'for="rate-comment"' in html
    bad = client.post(url, {"level": "9", "comment": "?"})
    assert bad.status_code == 400 and "1～5" in bad.content.decode()
    assert not Rating.objects.exists()
    done = client.post(url, {"level": "2", "comment": "顺利"}, follow=True)
    assert done.status_code == 200 and "感谢您的评价" in done.content.decode()
    assert Rating.objects.get(application=app).level == 2
    again = client.post(url, {"level": "1"})
    assert again.status_code == 409 and "只能评价一次" in again.content.decode()


def test_rate_page_is_the_applicants_own(client, finished, people, citizen):
    app = finished("open")
    url = reverse("services:rate-application", args=[app.number])
    client.force_login(people.approver)
    assert client.get(url).status_code == 404
    client.force_login(citizen)
    page = client.get(url)
    assert page.status_code == 200 and 'id="not-done"' in page.content.decode()
    refused = client.post(url, {"level": "1"})
    assert refused.status_code == 409 and "办结" in refused.content.decode()
    client.logout()
    assert client.get(url).status_code == 302  # to the login page


def test_api_rates_once_with_clear_errors(client, finished, citizen):
    app = finished()
    client.force_login(citizen)
    url = f"{API}/applications/{app.number}"
    bad = _post_json(client, url, {"level": 0})
    assert bad.status_code == 422
    assert "1～5" in bad.json()["error"]["message"]
    made = _post_json(client, url, {"level": 4, "comment": "等太久"})
    assert made.status_code == 201
    body = made.json()
    assert body["level"] == 4 and body["bad"] and body["rectification"]
    assert body["case_number"] == app.number and body["staff"] == ""
    again = _post_json(client, url, {"level": 1})
    assert again.status_code == 409 and again.json()["error"]["code"] == "conflict"
    mine = client.get(f"{API}/mine").json()
    assert mine["count"] == 1 and mine["items"][0]["state_name"] == "回访核实"
    assert _post_json(client, f"{API}/applications/nope", {"level": 1}).status_code == 404


# --- window visits ---


def test_clerk_issues_a_visit_and_the_visitor_rates_it(client, people, item):
    client.force_login(people.clerk)
    none = client.post(reverse("services:visit-issue"), {"item": "", "applicant_id_number": ""})
    page = none.content.decode()
    assert none.status_code == 400 and 'id="error-summary"' in page
    assert '<a href="#visit-item">请选择已发布的办理事项。</a>' in page
    bad = client.post(
        reverse("services:visit-issue"),
        {"item": item.code, "applicant_id_type": "111", "applicant_id_number": "41082319"},
    )
    page = bad.content.decode()
    assert bad.status_code == 400 and 'id="error-summary"' in page
    assert 'value="41082319"' in page and "<details open>" in page
    assert f'<option value="{item.code}" selected>' in page
    issue = client.post(reverse("services:visit-issue"), {"item": item.code})
    assert issue.status_code == 302
    number = issue.url.rstrip("/").split("/")[-1]
    ticket = client.get(issue.url)
    html = ticket.content.decode()
    assert ticket.status_code == 200 and number in html and "data:image/svg+xml" in html
    visit = WindowVisit.objects.get(number=number)
    assert visit.token in html
    client.logout()
    url = reverse("services:rate-visit", args=[number])
    assert url == f"/services/rate/visit/{number}/"
    # Without the rating code: asked for it; a POST is refused.
    page = client.get(url)
    assert page.status_code == 200 and 'id="code-form"' in page.content.decode()
    assert client.post(url, {"level": "1"}).status_code == 403
    # With the code from the QR: five large buttons, anonymous rating recorded once.
    page = client.get(f"{url}?t={visit.token}")
    html = page.content.decode()
    assert html.count('name="level"') == 5 and "levels" in html
    done = client.post(url, {"level": "5", "comment": "排队太久", "t": visit.token})
    assert done.status_code == 302
    rating = Rating.objects.get(visit_number=number)
    assert rating.rater is None and rating.staff == people.clerk and rating.level == 5
    assert rating.channel == "app" and rating.rectification is not None
    again = client.post(url, {"level": "1", "t": visit.token})
    assert again.status_code == 409
    assert client.get("/services/rate/visit/410823-FW-20000101-000001/").status_code == 404


def test_clerks_evaluation_screen_needs_no_code(client, people, item):
    visit = do_issue_visit_ticket(actor=people.clerk, item=item)
    client.force_login(people.clerk)
    url = reverse("services:rate-visit", args=[visit.number])
    assert 'id="rate-form"' in client.get(url).content.decode()
    assert client.post(url, {"level": "1"}).status_code == 302
    assert Rating.objects.get(visit_number=visit.number).channel == "window"
    client.force_login(people.approver)
    assert client.get(reverse("services:visit-issue")).status_code == 403


def test_api_visits(client, people, item):
    client.force_login(people.clerk)
    made = _post_json(client, f"{API}/visits", {"item": item.code})
    assert made.status_code == 201
    visit = made.json()
    assert visit["rate_url"].endswith(f"/services/rate/visit/{visit['number']}/?t={visit['token']}")
    client.logout()
    url = f"{API}/visits/{visit['number']}"
    assert _post_json(client, url, {"level": 1, "token": "WRONG"}).status_code == 403
    assert _post_json(client, f"{API}/visits/none", {"level": 1}).status_code == 404
    assert _post_json(client, url, {"level": 6, "token": visit["token"]}).status_code == 422
    ok = _post_json(client, url, {"level": 1, "token": visit["token"]})
    assert ok.status_code == 201 and ok.json()["staff"] == ""
    assert _post_json(client, url, {"level": 1, "token": visit["token"]}).status_code == 409
    client.force_login(people.approver)
    assert _post_json(client, f"{API}/visits", {"item": item.code}).status_code == 403


# --- 差评整改 ---


def test_rectification_list_detail_and_actions(client, people, item, visit_rating, citizen):
    rating = visit_rating(item, 5, comment="态度生硬")
    kept = visit_rating(item, 1)
    client.force_login(people.admin)
    listing = client.get(reverse("services:rectifications"))
    html = listing.content.decode()
    assert listing.status_code == 200 and rating.rectification.number in html
    assert "态度生硬" in html and "王窗口" in html
    url = reverse("services:rectification", args=[rating.pk])
    detail = client.get(url)
    html = detail.content.decode()
    assert detail.status_code == 200 and 'value="appeal"' in html and 'value="fix_now"' in html
    assert 'id="history"' in html
    missing = client.post(url, {"action": "fix_now", "comment": ""})
    assert missing.status_code == 400 and "须填写意见" in missing.content.decode()
    page = missing.content.decode()
    assert 'id="error-summary"' in page and '<a href="#act-comment">' in page
    assert 'id="act-comment-error"' in page
    assert 'value="fix_now" id="act-fix_now" checked' in page
    done = client.post(url, {"action": "schedule_fix", "comment": "已回访，限期整改"})
    assert done.status_code == 302
    rating.rectification.refresh_from_db()
    assert rating.rectification.state == "fixing"
    assert client.get(reverse("services:rectification", args=[kept.pk])).status_code == 404
    # The clerk may not appeal (a department admin's step): refused, 403.
    client.force_login(people.clerk)
    assert client.post(url, {"action": "appeal", "comment": "误评"}).status_code == 403
    # Another county's admin and citizens see nothing.
    client.force_login(people.other_admin)
    assert client.get(url).status_code == 404
    assert (
        rating.rectification.number
        not in client.get(reverse("services:rectifications")).content.decode()
    )
    client.force_login(citizen)
    assert client.get(reverse("services:rectifications")).status_code == 403


def test_rectification_api_and_overdue_filter(client, people, item, visit_rating):
    from yiwang.core.actions.workflow import do_escalate_overdue
    from yiwang.core.calendar import add_working_days

    rating = visit_rating(item, 4)
    client.force_login(people.admin)
    listed = client.get(f"{API}/rectifications?status=open").json()
    assert listed["count"] == 1 and listed["items"][0]["id"] == rating.pk
    detail = client.get(f"{API}/rectifications/{rating.pk}").json()
    assert {a["code"] for a in detail["actions"]} >= {"fix_now", "schedule_fix", "appeal"}
    assert detail["events"][0]["action"] == "start"
    bad = _post_json(
        client, f"{API}/rectifications/{rating.pk}/act", {"action": "x", "comment": "y"}
    )
    assert bad.status_code == 422
    appealed = _post_json(
        client, f"{API}/rectifications/{rating.pk}/act", {"action": "appeal", "comment": "误评"}
    )
    assert appealed.status_code == 200 and appealed.json()["state"] == "appealing"
    again = _post_json(
        client, f"{API}/rectifications/{rating.pk}/act", {"action": "appeal", "comment": "误评"}
    )
    # A step the case's state does not allow is a conflict, as in every other room.
    assert again.status_code == 409 and again.json()["error"]["code"] == "conflict"
    client.force_login(people.bureau)
    upheld = _post_json(
        client,
        f"{API}/rectifications/{rating.pk}/act",
        {"action": "uphold_appeal", "comment": "核实为误评"},
    )
    assert upheld.status_code == 200
    body = upheld.json()
    assert body["excluded"] and body["closed"] and body["exclusion_reason"] == "核实为误评"
    # An open one that passes its deadline is listed as overdue.
    late = visit_rating(item, 5)
    assert client.get(f"{API}/rectifications?status=overdue").json()["count"] == 0
    late.rectification.refresh_from_db()
    after, _ = add_working_days(late.rectification.case_due, 1)
    do_escalate_overdue(today=after)
    late.rectification.refresh_from_db()
    assert late.rectification.escalation_level == 1
    client.force_login(people.applicant)
    assert client.get(f"{API}/rectifications").status_code == 403


# --- published statistics ---


def test_public_stats_page_hides_staff_names(client, people, item, civil_item, visit_rating):
    for level in (1, 2, 5):
        visit_rating(item, level)
    visit_rating(civil_item, 3, clerk=people.civil_clerk)
    page = client.get(reverse("services:ratings"))
    html = page.content.decode()
    assert page.status_code == 200
    assert item.department.name in html and civil_item.department.name in html
    assert item.name in html and 'id="ratings-chart"' in html and "echarts" in html
    assert 'id="by-staff"' not in html
    assert "王窗口" not in html and "吴窗口" not in html
    chart = json.loads(
        html.split('id="ratings-data" type="application/json">')[1].split("</script>")[0]
    )
    assert sum(chart["good"]) == 3 and sum(chart["bad"]) == 1
    assert 'id="total-count">4<' in html and 'id="total-good">75.0%<' in html
    # Staff see the table per staff member of their jurisdiction.
    client.force_login(people.admin)
    html = client.get(reverse("services:ratings")).content.decode()
    assert 'id="by-staff"' in html and "王窗口" in html and "吴窗口" not in html
    client.force_login(people.bureau)
    html = client.get(reverse("services:ratings")).content.decode()
    assert "王窗口" in html and "吴窗口" in html
    # A bad period is explained, not a crash.
    client.logout()
    bad = client.get(reverse("services:ratings"), {"start": "2026-13-01"})
    assert bad.status_code == 400 and "年-月-日" in bad.content.decode()
    back = client.get(reverse("services:ratings"), {"start": "2026-05-01", "end": "2026-01-01"})
    assert back.status_code == 400 and "不能晚于" in back.content.decode()


def test_stats_api_public_and_staff_only(client, people, item, visit_rating):
    kept = visit_rating(item, 1)
    wrong = visit_rating(item, 5)
    do_act_rectification(actor=people.admin, rating=wrong, action="appeal", comment="误评")
    do_act_rectification(actor=people.bureau, rating=wrong, action="uphold_appeal", comment="误评")
    body = client.get(f"{API}/stats").json()
    assert body["by"] == "department" and body["total"]["count"] == 1
    [row] = body["rows"]
    assert row["key"] == item.department_id and row["good_rate"] == 1.0 and row["average"] == 5.0
    assert client.get(f"{API}/stats?by=item").json()["rows"][0]["code"] == item.code
    assert client.get(f"{API}/stats?by=staff").status_code == 403
    assert client.get(f"{API}/stats?by=room").status_code == 422
    assert client.get(f"{API}/stats?start=2026-02-30").status_code == 422
    client.force_login(people.admin)
    staff = client.get(f"{API}/stats?by=staff").json()
    assert staff["rows"][0]["name"] == "王窗口" and staff["rows"][0]["count"] == 1
    assert kept.pk


def test_published_statistics_are_cached_for_a_while(client, people, item, visit_rating, settings):
    from django.core.cache import cache

    visit_rating(item, 1)
    url = reverse("services:ratings")
    assert 'id="total-count">1<' in client.get(url).content.decode()
    visit_rating(item, 2)
    # Within the cache period the public figures stay as published …
    assert 'id="total-count">1<' in client.get(url).content.decode()
    assert client.get(f"{API}/stats").json()["total"]["count"] == 1
    # … staff tables are live, and a new period (or an expired cache) shows the new one.
    client.force_login(people.admin)
    staff = client.get(f"{API}/stats?by=staff").json()
    assert staff["total"]["count"] == 2
    cache.clear()
    assert 'id="total-count">2<' in client.get(url).content.decode()
    settings.YIWANG = {**settings.YIWANG, "SERVICES_STATS_CACHE_SECONDS": 0}
    visit_rating(item, 3)
    assert 'id="total-count">3<' in client.get(url).content.decode()


def test_callback_phone_masked_and_revealed_with_a_purpose(client, people, item, finished):
    from yiwang.core.models import AuditEntry

    visit = do_issue_visit_ticket(actor=people.clerk, item=item)
    url = reverse("services:rate-visit", args=[visit.number])
    bad = client.post(url, {"level": "5", "t": visit.token, "contact_phone": "12345"})
    assert bad.status_code == 400 and not Rating.objects.exists()
    assert 'value="12345"' in bad.content.decode()  # what was typed is kept
    ok = client.post(url, {"level": "5", "t": visit.token, "contact_phone": "13912345678"})
    assert ok.status_code == 302
    rating = Rating.objects.get(visit_number=visit.number)
    assert rating.contact_phone == "13912345678"
    client.force_login(people.admin)
    detail = reverse("services:rectification", args=[rating.pk])
    html = client.get(detail).content.decode()
    assert "139****5678" in html and "13912345678" not in html
    shown = client.post(detail, {"op": "reveal", "purpose": "差评回访"})
    assert shown.status_code == 200 and "13912345678" in shown.content.decode()
    entry = AuditEntry.objects.filter(action="core.personal.unmask").get()
    assert entry.actor == people.admin and entry.purpose == "差评回访"
    # A rated application carries the applicant's phone for the call-back.
    app = finished()
    client.force_login(people.applicant)
    client.post(reverse("services:rate-application", args=[app.number]), {"level": "4"})
    assert Rating.objects.get(application=app).contact_phone == "13812345678"


def test_my_ratings_show_the_departments_reply(client, people, item, citizen):
    from yiwang.services.actions.ratings import do_rate_visit

    made = []
    for level in (1, 5, 4):
        visit = do_issue_visit_ticket(actor=people.clerk, item=item)
        made.append(
            do_rate_visit(actor=citizen, visit_number=visit.number, level=level, token=visit.token)
        )
    do_act_rectification(
        actor=people.admin, rating=made[1], action="explain", comment="已说明法定材料要求"
    )
    client.force_login(citizen)
    page = client.get(reverse("services:my-ratings"))
    html = page.content.decode()
    assert page.status_code == 200 and "已解释说明：已说明法定材料要求" in html
    assert "回访核实" in html and "王窗口" not in html
    body = client.get(f"{API}/mine").json()
    assert body["count"] == 3
    replies = {r["case_number"]: r["reply"] for r in body["items"]}
    assert replies[made[1].case_number] == "已说明法定材料要求"
    client.force_login(people.approver)
    assert client.get(f"{API}/mine").json()["count"] == 0


def test_visit_rating_refused_keeps_the_input_and_the_code(client, people, item):
    visit = do_issue_visit_ticket(actor=people.clerk, item=item)
    url = reverse("services:rate-visit", args=[visit.number])
    bad = client.post(
        url, {"level": "5", "comment": "排队太久", "contact_phone": "12345", "t": visit.token}
    )
    page = bad.content.decode()
    assert bad.status_code == 400 and 'id="error-summary"' in page
    assert '<a href="#rate-phone">手机号码应为以 1 开头的 11 位数字。</a>' in page
    assert 'id="rate-contact_phone-error"' in page
    assert 'value="12345"' in page and "排队太久</textarea>" in page
    assert f'name="t" value="{visit.token}"' in page  # the rating code goes back with it
    assert not Rating.objects.exists()
    # The code from the QR link (?t=) serves when the form does not send one.
    done = client.post(f"{url}?t={visit.token}", {"level": "2"})
    assert done.status_code == 302 and done.url == f"{url}?t={visit.token}"
    assert Rating.objects.get(visit_number=visit.number).level == 2


def test_callback_phone_reveal_refused_without_the_role(client, people, item):
    visit = do_issue_visit_ticket(actor=people.clerk, item=item)
    client.post(
        reverse("services:rate-visit", args=[visit.number]),
        {"level": "5", "t": visit.token, "contact_phone": "13912345678"},
    )
    rating = Rating.objects.get(visit_number=visit.number)
    client.force_login(people.bureau)
    url = reverse("services:rectification", args=[rating.pk])
    refused = client.post(url, {"op": "reveal", "purpose": "差评回访"})
    page = refused.content.decode()
    assert refused.status_code == 403 and 'id="error-summary"' in page
    assert "您的角色不允许查看完整个人信息。" in page
    assert "139****5678" in page and "13912345678" not in page
