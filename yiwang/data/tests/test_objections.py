"""数据异议 and 数据冲突 through the pages: element authority decides, a non-authority
accepts or objects, the authority corrects (new version, history, consumers told) or
explains, the requester is told; overdue objections show as overdue."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from yiwang.core.calendar import add_working_days
from yiwang.core.inbox import inbox_for
from yiwang.core.models import AuditEntry, Notification
from yiwang.data.models import Conflict, DataObjection, Person, RecordHistory, ShareGrant
from yiwang.data.registry import apply_rows, derive

pytestmark = pytest.mark.django_db

IDN = "11010519491231002X"


def load(data_city, line: str, rows: list[dict], registry: str = "person"):
    with transaction.atomic():
        return apply_rows(
            registry=registry,
            rows=[derive(registry, dict(r)) for r in rows],
            resource=data_city.resource(registry),
            department=data_city.department("410800", line),
        )


@pytest.fixture
def people(data_city, steward):
    """The authority (public security), a department that supplied a differing name
    (civil affairs), a sharing consumer (health, with an active grant) and an outsider."""
    from yiwang.core.actions.identity import do_create_api_client

    load(data_city, "public_security", [{"id_number": IDN, "name": "张三", "ethnicity": "01"}])
    out = load(data_city, "civil_affairs", [{"id_number": IDN, "name": "张山"}])
    assert out.conflicts == 1
    health = data_city.department("410800", "health")
    client = do_create_api_client(
        actor=None, name="卫健系统", scopes=["read"], org_unit=data_city.unit("410800", "health")
    ).client
    now = timezone.now()
    ShareGrant.objects.create(
        resource=data_city.resource("person"),
        consumer=health,
        client=client,
        fields=["name"],
        purpose="就医身份核验",
        starts_at=now - dt.timedelta(days=1),
        expires_at=now + dt.timedelta(days=300),
    )

    class People:
        authority = steward("public_security")
        other = steward("civil_affairs")
        consumer = steward("health")
        outsider = steward("education")
        conflict = Conflict.objects.get()

    return People


def _notes(user) -> list[Notification]:
    return list(Notification.objects.filter(user=user))


def test_non_authority_value_becomes_a_conflict_and_accepting_keeps_authority(client, people):
    person = Person.objects.get()
    assert (person.name, person.version) == ("张三", 1)
    client.force_login(people.other)
    page = client.get(reverse("data:conflicts"))
    assert page.status_code == 200 and b"conflict-row" in page.content
    resp = client.post(reverse("data:conflict", args=[people.conflict.pk]), {"op": "accept"})
    assert resp.status_code == 302
    people.conflict.refresh_from_db()
    assert people.conflict.status == Conflict.Status.ACCEPTED
    assert Person.objects.get().name == "张三"
    again = client.post(reverse("data:conflict", args=[people.conflict.pk]), {"op": "accept"})
    assert again.status_code == 409 and b"do-accept" not in again.content


def test_authority_cannot_resolve_a_conflict_and_outsiders_get_404(client, people):
    client.force_login(people.authority)
    resp = client.post(reverse("data:conflict", args=[people.conflict.pk]), {"op": "accept"})
    assert resp.status_code == 403
    client.force_login(people.outsider)
    assert client.get(reverse("data:conflict", args=[people.conflict.pk])).status_code == 404
    people.conflict.refresh_from_db()
    assert people.conflict.status == Conflict.Status.OPEN


def test_objection_to_authority_value_corrected_with_history_and_notices(client, people):
    client.force_login(people.other)
    resp = client.post(
        reverse("data:conflict", args=[people.conflict.pk]),
        {"op": "object", "reason": "婚姻登记档案记载为张山。"},
    )
    assert resp.status_code == 302
    objection = DataObjection.objects.get()
    people.conflict.refresh_from_db()
    assert people.conflict.status == Conflict.Status.OBJECTED
    assert objection.authority.code == "410800-public_security"
    assert objection.requester.code == "410800-civil_affairs"
    assert (objection.current_value, objection.proposed_value) == ("张三", "张山")
    case = objection.case
    assert case.state == "verifying" and case.number == objection.number
    assert case.state_due == add_working_days(timezone.localdate(case.opened_at), 5)[0]
    assert case in inbox_for(people.authority)
    assert case not in inbox_for(people.other)
    assert any("收到数据异议" in n.title for n in _notes(people.authority))

    # The requester cannot answer its own objection.
    client.force_login(people.other)
    refused = client.post(reverse("data:objection", args=[objection.pk]), {"op": "correct"})
    assert refused.status_code == 403
    assert Person.objects.get().name == "张三"

    client.force_login(people.authority)
    detail = client.get(reverse("data:objection", args=[objection.pk]))
    assert b"do-correct" in detail.content and b"do-explain" in detail.content
    done = client.post(
        reverse("data:objection", args=[objection.pk]),
        {"op": "correct", "comment": "经核对户籍档案，已更正。"},
    )
    assert done.status_code == 302
    person = Person.objects.get()
    assert (person.name, person.version) == ("张山", 2)
    old = RecordHistory.objects.get(record_id=person.pk)
    assert json.loads(old.values) == {"name": "张三"} and old.replaced_by == "objection"
    objection.refresh_from_db()
    assert objection.outcome == DataObjection.Outcome.CORRECTED and objection.resolved_at
    objection.case.refresh_from_db()
    assert objection.case.state == "corrected" and objection.case.closed_at is not None
    assert any("已更正" in n.title for n in _notes(people.other))
    assert any("基础库数据已更正" in n.title for n in _notes(people.consumer))
    assert not _notes(people.outsider)
    assert AuditEntry.objects.filter(action="data.objection.correct").exists()
    # Closed: no second answer.
    again = client.post(
        reverse("data:objection", args=[objection.pk]), {"op": "explain", "comment": "x"}
    )
    assert again.status_code == 409


def test_explain_needs_a_comment_and_tells_the_requester(client, people):
    client.force_login(people.other)
    record = Person.objects.get()
    resp = client.post(
        reverse("data:objection_new"),
        {
            "registry": "person",
            "record": "",
            "key": IDN,
            "field": "ethnicity",
            "proposed_value": "03",
            "reason": "低保材料记载为回族。",
        },
    )
    assert resp.status_code == 302, resp.content.decode()[:500]
    objection = DataObjection.objects.get()
    assert objection.record_id == record.pk and objection.authority.line == "public_security"
    client.force_login(people.authority)
    url = reverse("data:objection", args=[objection.pk])
    empty = client.post(url, {"op": "explain", "comment": " "})
    assert empty.status_code == 400
    assert "请填写说明" in empty.content.decode()
    client.post(url, {"op": "explain", "comment": "户籍档案记载为汉族，数据无误。"})
    objection.refresh_from_db()
    assert objection.outcome == DataObjection.Outcome.EXPLAINED
    assert Person.objects.get().ethnicity == "01"
    note = [n for n in _notes(people.other) if "已答复" in n.title]
    assert note and "数据无误" in note[0].body


def test_bad_objections_are_refused_clearly(client, people):
    client.force_login(people.other)
    url = reverse("data:objection_new")
    base = {"registry": "person", "key": IDN, "field": "ethnicity", "reason": "理由充分"}
    bad_value = client.post(url, {**base, "proposed_value": "abc"})
    assert bad_value.status_code == 400 and "数据元标准" in bad_value.content.decode()
    same = client.post(url, {**base, "proposed_value": "01"})
    assert same.status_code == 400
    unknown = client.post(url, {**base, "key": "110105194912310038", "proposed_value": "03"})
    assert unknown.status_code == 404
    client.post(url, {**base, "proposed_value": "03"})
    duplicate = client.post(url, {**base, "proposed_value": "05"})
    assert duplicate.status_code == 409
    assert DataObjection.objects.count() == 1
    client.force_login(people.authority)
    own = client.post(url, {**base, "proposed_value": "05"})
    assert own.status_code == 400 and "权威来源" in own.content.decode()


def test_objection_pages_deny_other_departments(client, people):
    client.force_login(people.other)
    client.post(
        reverse("data:objection_new"),
        {
            "registry": "person",
            "key": IDN,
            "field": "ethnicity",
            "proposed_value": "03",
            "reason": "理由充分",
        },
    )
    objection = DataObjection.objects.get()
    client.force_login(people.outsider)
    assert client.get(reverse("data:objection", args=[objection.pk])).status_code == 404
    listing = client.get(reverse("data:objections"))
    assert objection.number.encode() not in listing.content


def test_overdue_objection_shows_as_overdue(client, people, monkeypatch):
    client.force_login(people.other)
    client.post(
        reverse("data:objection_new"),
        {
            "registry": "person",
            "key": IDN,
            "field": "ethnicity",
            "proposed_value": "03",
            "reason": "理由充分",
        },
    )
    objection = DataObjection.objects.select_related("case").get()
    due = objection.case.state_due
    assert due is not None and due > timezone.localdate()
    client.force_login(people.authority)
    before = client.get(reverse("data:objections")).content.decode()
    assert objection.number in before and "已超期" not in before.split("<tbody>")[1]
    # Advance "today" past the engine's time limit.
    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: due + dt.timedelta(days=1))
    after = client.get(reverse("data:objections")).content.decode()
    assert "已超期" in after.split("<tbody>")[1]
    overdue = client.get(reverse("data:objections") + "?status=overdue").content.decode()
    assert objection.number in overdue
    detail = client.get(reverse("data:objection", args=[objection.pk])).content.decode()
    assert "已超期" in detail


def test_seed_demo_objections_one_open_one_resolved_and_noop_without_records(data_city, steward):
    from yiwang.data.actions.objections import seed_demo_objections

    assert seed_demo_objections() == {"open": 0, "resolved": 0}
    steward("civil_affairs")
    steward("public_security")
    load(
        data_city,
        "public_security",
        [
            {"id_number": IDN, "name": "张三", "ethnicity": "01"},
            {"id_number": "410802199001011236", "name": "李四", "ethnicity": "01"},
        ],
    )
    made = seed_demo_objections()
    assert (made["open"], made["resolved"]) == (1, 1)
    outcomes = sorted(DataObjection.objects.values_list("outcome", flat=True))
    assert outcomes == ["", "explained"]
    assert seed_demo_objections() == {"open": 0, "resolved": 0}
    assert DataObjection.objects.count() == 2


def test_case_closed_on_the_generic_case_page_still_corrects_the_record(client, people):
    from yiwang.core.actions.workflow import do_transition

    client.force_login(people.other)
    client.post(
        reverse("data:conflict", args=[people.conflict.pk]),
        {"op": "object", "reason": "婚姻登记档案记载为张山。"},
    )
    objection = DataObjection.objects.get()
    # The authority answers on the generic case page instead of the objection page.
    do_transition(actor=people.authority, case=objection.case, action_code="correct")
    assert Person.objects.get().name == "张三"
    client.force_login(people.authority)
    url = reverse("data:objection", args=[objection.pk])
    page = client.get(url).content.decode()
    assert "do-correct" in page and "do-explain" not in page
    client.post(url, {"op": "correct"})
    objection.refresh_from_db()
    assert objection.outcome == DataObjection.Outcome.CORRECTED
    assert Person.objects.get().name == "张山"
    client.force_login(people.other)
    assert client.post(url, {"op": "correct"}).status_code == 409


def test_refused_objection_step_re_renders_its_form_with_the_input_kept(client, people):
    client.force_login(people.other)
    raised = client.post(
        reverse("data:objection_new"),
        {"registry": "person", "key": IDN, "field": "ethnicity", "proposed_value": "03"},
    )
    page = raised.content.decode()
    assert raised.status_code == 400 and 'id="error-summary"' in page
    assert '<a href="#reason">请说明异议理由。</a>' in page and 'id="reason-error"' in page
    assert 'value="03"' in page
    client.post(
        reverse("data:objection_new"),
        {
            "registry": "person",
            "key": IDN,
            "field": "ethnicity",
            "proposed_value": "03",
            "reason": "低保材料记载为回族。",
        },
    )
    objection = DataObjection.objects.get()
    client.force_login(people.authority)
    url = reverse("data:objection", args=[objection.pk])
    bad = client.post(url, {"op": "correct", "value": "abc", "comment": "按档案更正"})
    page = bad.content.decode()
    assert bad.status_code == 400 and 'id="error-summary"' in page
    assert '<a href="#correct-value">' in page and 'id="correct-value-error"' in page
    assert 'value="abc"' in page and "按档案更正</textarea>" in page
    long = client.post(url, {"op": "explain", "comment": "无误" * 1001})
    page = long.content.decode()
    assert long.status_code == 400
    assert '<a href="#explain-comment">说明不能超过 2000 字。</a>' in page
    assert 'id="explain-comment-error"' in page and "无误" * 1001 + "</textarea>" in page
    odd = client.post(url, {"op": "withdraw"})
    assert odd.status_code == 400 and "未知的操作。" in odd.content.decode()
    objection.refresh_from_db()
    assert objection.outcome == ""


def test_refused_objection_to_a_conflict_re_renders_with_the_input_kept(client, people):
    client.force_login(people.other)
    url = reverse("data:conflict", args=[people.conflict.pk])
    bad = client.post(url, {"op": "object", "proposed_value": "张珊", "reason": "档"})
    page = bad.content.decode()
    assert bad.status_code == 400 and 'id="error-summary"' in page
    assert '<a href="#object-reason">请说明异议理由。</a>' in page
    assert 'id="object-reason-error"' in page and 'aria-invalid="true"' in page
    assert 'value="张珊"' in page and "档</textarea>" in page
    people.conflict.refresh_from_db()
    assert people.conflict.status == Conflict.Status.OPEN and not DataObjection.objects.exists()
