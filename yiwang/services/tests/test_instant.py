"""秒批: a rule that holds approves by the platform (rule named, licence issued); one that
fails, or lacks an input, leaves the case for normal review with the reason written."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from yiwang.core.models import AuditEntry
from yiwang.services.actions.applications import do_act, do_apply
from yiwang.services.instant import Facts, evaluate

pytestmark = pytest.mark.django_db

RULE = {
    "code": "JZZ-01",
    "name": "居住满半年且人口库有登记",
    "basis": "《居住证暂行条例》第二条",
    "when": [
        {"field": "form.months", "op": "ge", "value": 6},
        {"field": "registry.person.name", "op": "present"},
        {"field": "applicant.age", "op": "ge", "value": 16},
        {"field": "applicant.division", "op": "in", "value": ["4108"]},
    ],
}
FIELDS = [
    {"name": "address", "label": "居住地址", "type": "text", "required": True},
    {"name": "months", "label": "已居住月数", "type": "integer", "required": True, "min": 0},
]


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def permit_item(make_item, licence_types):
    """居住证申领 by the city public security bureau (its seal comes with the catalogue)."""
    return make_item(
        "居住证申领",
        line="public_security",
        division="410800",
        applicants="person",
        licence_type_code="residence_permit",
        form_fields=FIELDS,
        instant_rules=[RULE],
        materials=[],
        promised_days=7,
    )


@pytest.fixture
def registered(registry, citizen):
    return registry(
        "person", {"id_number": citizen.id_number, "name": "张三", "division": "410811"}
    )


def _apply(citizen, item, months=12):
    return do_apply(
        actor=citizen,
        item=item,
        form_data={"address": "焦作市山阳区塔南路 1 号", "months": months},
        uploads={},
    )


def test_rule_holds_platform_approves_and_issues(permit_item, citizen, registered):
    app = _apply(citizen, permit_item)
    app.refresh_from_db()
    case = app.case
    assert case.state == "completed" and case.closed_at is not None
    assert app.outcome == "approved" and app.decided_by_rule == "JZZ-01"
    events = list(case.events.order_by("id"))
    assert [e.action for e in events] == ["start", "accept", "review", "approve"]
    assert all(e.actor is None for e in events[1:])
    assert (
        "居住满半年且人口库有登记" in events[-1].comment and "居住证暂行条例" in events[-1].comment
    )
    from yiwang.licences.public import find_valid_licence

    licence = find_valid_licence(holder_id=citizen.id_number, type_code="residence_permit")
    assert licence.identifier == app.licence_identifier
    assert licence.data == {"address": "焦作市山阳区塔南路 1 号"}
    done = AuditEntry.objects.get(action="services.application.complete", object_id=str(app.pk))
    assert done.actor is None and done.change["rule"] == "JZZ-01"


def test_rule_fails_case_stays_for_review(permit_item, citizen, registered, make_staff):
    app = _apply(citizen, permit_item, months=3)
    app.refresh_from_db()
    assert app.case.state == "submitted" and app.outcome == "" and not app.decided_by_rule
    note = app.case.events.get(action="comment")
    assert note.actor is None
    assert "规则「居住满半年且人口库有登记」不满足：已居住月数 ≥ 6" in note.comment
    # Normal review still works.
    clerk = make_staff("window_clerk", "410800", "public_security")
    approver = make_staff("approver", "410800", "public_security")
    do_act(actor=clerk, application=app, action="accept")
    do_act(actor=approver, application=app, action="review")
    do_act(actor=approver, application=app, action="approve")
    app.refresh_from_db()
    assert app.outcome == "approved" and app.licence_identifier and not app.decided_by_rule


def test_missing_input_cannot_decide(permit_item, citizen):
    app = _apply(citizen, permit_item)  # not in the person registry
    app.refresh_from_db()
    assert app.case.state == "submitted" and app.outcome == ""
    note = app.case.events.get(action="comment").comment
    assert "无法判断：缺少人口库中的姓名" in note


def test_rule_holds_but_finishing_fails_keeps_the_case(make_item, citizen, registered):
    """No seal for the county department: the licence cannot be issued, so the whole
    automatic step is undone and the case waits for review with the reason."""
    from yiwang.licences.actions import do_seed_licence_types

    do_seed_licence_types(actor=None, seals=False)
    item = make_item(
        "居住证申领（县）",
        line="public_security",
        division="410823",
        applicants="person",
        licence_type_code="residence_permit",
        form_fields=FIELDS,
        instant_rules=[RULE],
        materials=[],
    )
    app = _apply(citizen, item)
    app.refresh_from_db()
    assert app.case.state == "submitted" and app.case.closed_at is None
    assert app.outcome == "" and not app.licence_identifier and not app.decided_by_rule
    actions = list(app.case.events.values_list("action", flat=True))
    assert actions == ["start", "comment"]
    assert "自动办结未能完成" in app.case.events.get(action="comment").comment


def test_licence_held_rule(make_item, enterprise_user, licence_types, registry):
    from yiwang.licences.public import do_issue_licence

    item = make_item(
        "户外广告设置备案",
        applicants="entity",
        form_fields=[{"name": "size", "label": "面积", "type": "number", "required": True}],
        instant_rules=[
            {
                "code": "GG-1",
                "name": "持有营业执照且面积不超过 10 平方米",
                "when": [
                    {"field": "licence.business_licence", "op": "held"},
                    {"field": "form.size", "op": "le", "value": 10},
                    {"field": "applicant.kind", "op": "eq", "value": "entity"},
                ],
            }
        ],
        materials=[],
    )
    first = do_apply(actor=enterprise_user, item=item, form_data={"size": "8"}, uploads={})
    first.refresh_from_db()
    assert first.outcome == "" and "持有有效的电子营业执照" in (
        first.case.events.get(action="comment").comment
    )
    do_issue_licence(
        actor=None,
        licence_type="business_licence",
        holder_name="焦作示例科技有限公司",
        holder_id=enterprise_user.credit_code,
        holder_id_type="001",
        data={
            "entity_type": "有限公司",
            "legal_rep": "李四",
            "established": "2020-01-01",
            "address": "焦作",
        },
    )
    second = do_apply(actor=enterprise_user, item=item, form_data={"size": "8"}, uploads={})
    second.refresh_from_db()
    assert second.outcome == "approved" and second.decided_by_rule == "GG-1"
    third = do_apply(actor=enterprise_user, item=item, form_data={"size": "12.5"}, uploads={})
    third.refresh_from_db()
    assert third.outcome == ""


def _facts(**kw) -> Facts:
    base: dict[str, Any] = {
        "form": {},
        "kind": "person",
        "id_type": "111",
        "id_number": "11010519491231002X",
        "today": dt.date(2026, 11, 26),
    }
    base.update(kw)
    return Facts(**base)


@pytest.mark.parametrize(
    ("condition", "form", "expected"),
    [
        ({"field": "form.a", "op": "eq", "value": "x"}, {"a": "x"}, True),
        ({"field": "form.a", "op": "ne", "value": "x"}, {"a": "y"}, True),
        ({"field": "form.n", "op": "lt", "value": 10}, {"n": 9.5}, True),
        ({"field": "form.n", "op": "gt", "value": 10}, {"n": 10}, False),
        ({"field": "form.n", "op": "eq", "value": 10}, {"n": 10.0}, True),
        ({"field": "form.d", "op": "ge", "value": "2026-01-01"}, {"d": "2026-03-01"}, True),
        ({"field": "form.c", "op": "eq", "value": True}, {"c": True}, True),
        ({"field": "form.c", "op": "eq", "value": True}, {"c": False}, False),
        ({"field": "form.s", "op": "in", "value": ["a", "b"]}, {"s": "b"}, True),
        ({"field": "form.s", "op": "present"}, {"s": "v"}, True),
        ({"field": "form.s", "op": "present"}, {}, False),
        ({"field": "applicant.age", "op": "ge", "value": 76}, {}, True),
        ({"field": "applicant.age", "op": "ge", "value": 77}, {}, False),
        ({"field": "applicant.kind", "op": "eq", "value": "person"}, {}, True),
    ],
)
def test_operators(condition, form, expected):
    decision = evaluate([{"code": "R", "when": [condition]}], _facts(form=form))
    assert decision.approved is expected


def test_missing_inputs_and_bad_rules_never_approve():
    facts = _facts(form={"a": 1})
    for condition in (
        {"field": "form.b", "op": "eq", "value": 1},
        {"field": "applicant.division", "op": "eq", "value": "4108"},  # no registry record
        {"field": "registry.person.no_such_field", "op": "present", "value": True},
        {"field": "nonsense", "op": "eq", "value": 1},
    ):
        decision = evaluate([{"code": "R", "name": "规则", "when": [condition]}], facts)
        assert not decision.approved
    broken = evaluate([{"code": "R", "when": [{"field": "form.a", "op": "like"}]}, "x"], facts)
    assert not broken.approved and "格式不正确" in str(broken.reasons[0])
    assert "malformed" in broken.reasons[0].en  # each reason in both languages
    assert [str(r) for r in evaluate([], facts).reasons] == ["事项没有秒批规则"]


def test_age_is_counted_to_the_birthday():
    born = "11010519491231002X"  # 1949-12-31
    assert _facts(id_number=born, today=dt.date(2026, 12, 30))._applicant("age") == 76
    assert _facts(id_number=born, today=dt.date(2026, 12, 31))._applicant("age") == 77
    assert timezone.localdate()  # the default is today


def test_upload_free_rule_path_uses_cleaned_types(permit_item, citizen, registered):
    """Form values reach the rules already cleaned (an integer field as a number)."""
    app = do_apply(
        actor=citizen,
        item=permit_item,
        form_data={"address": "焦作市", "months": " 6 "},
        uploads={"unused": SimpleUploadedFile("a.pdf", b"%PDF-1.4")},
    )
    app.refresh_from_db()
    assert app.form_data["months"] == 6 and app.outcome == "approved"
