"""好差评 writes: the applicant rates a finished 办件 once; a visitor rates a window visit
(窗口服务) once under its number; a 差评 opens a 差评整改 case for the handling department
(谁办理、谁负责) on the ``service_rectification`` workflow, whose actions — call back and
fix now, fix by the deadline, explain, appeal, the bureau's ruling — go through
``do_act_rectification``. An upheld appeal removes the rating from the statistics."""

from __future__ import annotations

import secrets
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.http import Http404
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from yiwang.core import audit
from yiwang.core.access import Grant, grant_covers
from yiwang.core.actions.notify import do_notify
from yiwang.core.actions.workflow import do_start_case, do_transition
from yiwang.core.errors import Conflict, Invalid, NotFound, Refusal
from yiwang.core.identifiers import validate_credit_code, validate_id_number, validate_mobile
from yiwang.core.models import Case, Department, Division, RoleAssignment, User
from yiwang.core.notify.text import Text, bilingual
from yiwang.core.numbering import next_number
from yiwang.core.workflow import ENGINE_EVENTS, definition_of
from yiwang.services import access
from yiwang.services.models import (
    Application,
    Channel,
    HolderIdType,
    Level,
    Rating,
    ServiceItem,
    WindowVisit,
)

RECTIFICATION_WORKFLOW = "service_rectification"
# Case states after which the applicant may rate (办结, 不予受理).
RATABLE_STATES = ("completed", "not_accepted")
# Final states of a rectification that count as rectified (整改完成, 已解释说明).
RECTIFIED_STATES = ("fixed", "explained")
RECTIFY_ACTIONS = (
    "fix_now",
    "schedule_fix",
    "explain",
    "report_fixed",
    "appeal",
    "uphold_appeal",
    "reject_appeal",
)
COMMENT_MAX = 1000
VISIT_NUMBER_KIND = "FW"
# 评价码: printed on the visit ticket and held by its QR code; no 0/O, 1/I look-alikes.
TOKEN_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
TOKEN_LENGTH = 8


def rectify_days() -> int:
    """限期整改 in working days, counted from the rating (configurable, default 15)."""
    return int(settings.YIWANG.get("SERVICES_RECTIFY_DAYS", 15))


def field_error(
    field: str, message: str, code: str, kind: type[Refusal] = Invalid
) -> ValidationError:
    """An error on one field that keeps its code, of the given kind (``Invalid`` unless
    said otherwise)."""
    return kind({field: kind(message, code=code)})


def clean_level(level: Any) -> int:
    """One of the five levels 1 非常满意 … 5 非常不满意, or a clear error."""
    value: int | None = None
    if isinstance(level, int) and not isinstance(level, bool):
        value = level
    elif isinstance(level, str) and level.strip().isdigit():
        value = int(level.strip())
    if value not in Level.values:
        raise field_error(
            "level",
            _("评价等级应为 1～5：1 非常满意、2 满意、3 基本满意、4 不满意、5 非常不满意。"),
            "invalid_level",
        )
    return value


def clean_comment(comment: Any) -> str:
    comment = str(comment or "").strip()
    if len(comment) > COMMENT_MAX:
        raise field_error("comment", _("评价内容不能超过 %d 字。") % COMMENT_MAX, "too_long")
    return comment


def clean_phone(phone: Any) -> str:
    """An optional mobile number for the call-back (回访), checked when given."""
    phone = str(phone or "").strip()
    if not phone:
        return ""
    try:
        return validate_mobile(phone)
    except ValidationError as exc:
        raise field_error("contact_phone", exc.messages[0], "invalid") from None


def _url(name: str, *args) -> str:
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return ""


def rectification_url(rating: Rating) -> str:
    """The staff page of a rating's rectification."""
    return _url("services:rectification", rating.pk)


def department_admins(department: Department, division: Division) -> list[User]:
    """Active 部门管理员 whose jurisdiction covers ``division`` × ``department``."""
    depts = [department.pk] + ([department.parent_id] if department.parent_id else [])
    holdings = (
        RoleAssignment.objects.filter(role="dept_admin", user__is_active=True)
        .filter(
            Q(org_unit__department_id__in=depts)
            | Q(org_unit__isnull=True, user__org_unit__department_id__in=depts)
        )
        .select_related("user__org_unit__division", "org_unit__division")
    )
    out: dict[int, User] = {}
    for ra in holdings:
        unit = ra.org_unit or ra.user.org_unit
        if unit is None:
            continue
        g = Grant("dept_admin", unit.division.path, unit.department_id)
        if grant_covers(g, division.path, department.pk, department.parent_id):
            out[ra.user_id] = ra.user
    return list(out.values())


def bureau_admins() -> list[User]:
    """Active 大数据局管理员 (they rule on appeals, city-wide)."""
    return list(
        User.objects.filter(is_active=True, role_assignments__role="bureau_admin")
        .distinct()
        .order_by("pk")[:50]
    )


def _tell(actor, users, title: Text, body: Text, url: str) -> None:
    for user in users:
        do_notify(actor=actor, user=user, title=title, body=body, url=url)


def _handler(application: Application) -> User | None:
    """The staff member who handled the case last (谁办理、谁负责): the actor of the last
    workflow action taken by staff, else the window clerk who took it in."""
    event = (
        application.flow.events.filter(actor__kind=User.Kind.STAFF)
        .exclude(action__in=list(ENGINE_EVENTS))
        .select_related("actor")
        .order_by("-at", "-id")
        .first()
    )
    if event is not None:
        return event.actor
    return application.clerk


def _create(**fields) -> Rating:
    """Insert a rating; a second rating of the same service is a clear conflict."""
    try:
        with transaction.atomic():
            return Rating.objects.create(**fields)
    except IntegrityError:
        raise Conflict(
            _("该服务已经评价过，每次服务只能评价一次。"), code="already_rated"
        ) from None


def _rectification_note(rating: Rating) -> str:
    """The platform's note opening a 差评整改 case: the rating, the service rated, who was
    rated and the rater's own words (as typed)."""
    lines = [
        _("差评：%(level)s（%(channel)s）")
        % {"level": rating.get_level_display(), "channel": rating.get_channel_display()},
        _("办件/窗口服务编号：%s") % rating.case_number,
        _("被评价人员：%s") % (rating.staff or _("未记录")),
    ]
    if rating.comment:
        lines.append(_("评价内容：%s") % rating.comment)
    return "\n".join(lines)


def _open_rectification(rating: Rating) -> Case:
    """差评整改: a case for the handling department, due in ``rectify_days()`` working
    days; the department's admins are told (the bureau when the department has none)."""
    days = rectify_days()
    case = do_start_case(
        actor=None,
        workflow_code=RECTIFICATION_WORKFLOW,
        title=_("差评整改：%s") % rating.item.name,
        division=rating.division,
        department=rating.department,
        subject=rating,
        comment=bilingual(lambda: _rectification_note(rating)),
        case_time_limit_days=days,
    )
    rating.rectification = case
    rating.save(update_fields=["rectification"])
    recipients = department_admins(rating.department, rating.division) or bureau_admins()
    _tell(
        None,
        recipients,
        bilingual(lambda: _("差评待整改：%s") % rating.item.name),
        bilingual(
            lambda: (
                _(
                    "收到一条“%(level)s”评价（%(number)s），请在 1 个工作日内回访核实，%(due)s 前整改完毕。"
                )
                % {
                    "level": rating.get_level_display(),
                    "number": rating.case_number,
                    "due": case.case_due or "—",
                }
            )
        ),
        rectification_url(rating),
    )
    audit.record(
        actor=None,
        action="services.rating.rectification_open",
        obj=rating,
        change={
            "case": case.number,
            "department": rating.department_id,
            "case_due": case.case_due,
            "notified": [u.pk for u in recipients],
        },
    )
    return case


def _after_rating(actor, rating: Rating) -> Rating:
    audit.record(
        actor=actor,
        action="services.rating.rate",
        obj=rating,
        change={
            "case_number": rating.case_number,
            "item": rating.item.code,
            "department": rating.department_id,
            "staff": rating.staff_id,
            "channel": rating.channel,
            "level": rating.level,
            "bad": rating.is_bad,
        },
    )
    if rating.is_bad:
        _open_rectification(rating)
    return rating


@transaction.atomic
def do_rate_application(
    *,
    actor,
    application: Application,
    level: Any,
    comment: str = "",
    channel: str = Channel.ONLINE,
) -> Rating:
    """评价 a finished 办件: only its applicant, only once the case is 办结 or 不予受理,
    only once. The record keeps the item, department, division, the staff member who
    handled it, the applicant's identifier and the apply and handle times."""
    level = clean_level(level)
    comment = clean_comment(comment)
    if channel not in Channel.values:
        raise field_error("channel", _("评价渠道无效。"), "invalid")
    if not getattr(actor, "is_authenticated", False):
        raise PermissionDenied(_("请先登录再评价。"))
    row = (
        Application.objects.select_for_update(of=("self",))
        .select_related("item", "case", "department", "division", "clerk")
        .filter(pk=application.pk)
        .first()
    )
    if row is None or row.applicant_id is None or row.applicant_id != actor.pk:
        raise PermissionDenied(_("只有申请人本人可以评价该办件。"))
    case = row.case
    if case is None or case.closed_at is None or case.state not in RATABLE_STATES:
        raise Conflict(
            _("办件 %s 尚未办结，办结（或不予受理）后才能评价。") % row.number, code="not_done"
        )
    if Rating.objects.filter(application=row).exists():
        raise Conflict(
            _("办件 %s 已经评价过，每个办件只能评价一次。") % row.number, code="already_rated"
        )
    rating = _create(
        application=row,
        item=row.item,
        department=row.department,
        division=row.division,
        staff=_handler(row),
        rater=actor,
        channel=channel,
        level=level,
        comment=comment,
        applicant_id_type=row.applicant_id_type,
        applicant_id_number=row.applicant_id_number,
        applied_at=row.submitted_at,
        handled_at=row.completed_at or case.closed_at,
        contact_phone=row.contact_phone or getattr(actor, "phone", "") or "",
    )
    return _after_rating(actor, rating)


def _check_holder_id(id_type: str, id_number: str) -> tuple[str, str]:
    id_type, id_number = (id_type or "").strip(), (id_number or "").strip()
    if not id_number:
        return "", ""
    if id_type == HolderIdType.ID_CARD:
        return id_type, validate_id_number(id_number)
    if id_type == HolderIdType.CREDIT_CODE:
        return id_type, validate_credit_code(id_number)
    raise field_error("applicant_id_type", _("请选择证件类型。"), "invalid")


@transaction.atomic
def do_issue_visit_ticket(
    *,
    actor,
    item: ServiceItem,
    application: Application | None = None,
    applicant_id_type: str = "",
    applicant_id_number: str = "",
) -> WindowVisit:
    """窗口服务编号: a window clerk records one in-person visit for an item and hands the
    visitor its number and rating code (printed or as a QR code). The handling
    department is the item's; the clerk is the staff member rated."""
    access.require_window_clerk(actor, _("窗口服务编号由窗口人员发放。"))
    if item.status != ServiceItem.Status.PUBLISHED:
        raise field_error("item", _("事项「%s」未发布。") % item.name, "not_eligible")
    if application is not None:
        if not access.applications(actor).filter(pk=application.pk).exists():
            raise Http404(_("未找到该办件，或您无权查看。"))
        if application.item_id != item.pk:
            raise field_error("application", _("办件与事项不一致。"), "invalid")
        id_type, id_number = application.applicant_id_type, application.applicant_id_number
    else:
        id_type, id_number = _check_holder_id(applicant_id_type, applicant_id_number)
    visit = WindowVisit.objects.create(
        number=next_number(item.division.code, VISIT_NUMBER_KIND),
        token="".join(secrets.choice(TOKEN_ALPHABET) for _i in range(TOKEN_LENGTH)),
        item=item,
        department=item.department,
        division=item.division,
        clerk=actor,
        application=application,
        applicant_id_type=id_type,
        applicant_id_number=id_number,
        served_at=timezone.now(),
    )
    audit.record(
        actor=actor,
        action="services.visit.issue",
        obj=visit,
        change={
            "number": visit.number,
            "item": item.code,
            "application": application.number if application else None,
        },
    )
    return visit


def find_visit(visit_number: str) -> WindowVisit:
    """The window visit with this number, or a clear error (an unknown number)."""
    visit = (
        WindowVisit.objects.select_related("item", "department", "division", "clerk")
        .filter(number=(visit_number or "").strip()[:40])
        .first()
    )
    if visit is None:
        raise field_error(
            "visit_number",
            _("未找到窗口服务编号 %s，请核对窗口出示的编号。") % visit_number,
            "unknown_visit",
            NotFound,
        )
    return visit


def _same(given, recorded, field: str, label: str) -> None:
    if given is not None and getattr(given, "pk", given) != getattr(recorded, "pk", recorded):
        raise field_error(field, _("%s与窗口服务记录不一致。") % label, "visit_mismatch")


@transaction.atomic
def do_rate_visit(
    *,
    actor,
    visit_number: str,
    item: ServiceItem | None = None,
    department: Department | None = None,
    division: Division | None = None,
    staff: User | None = None,
    level: Any,
    comment: str = "",
    channel: str = Channel.WINDOW,
    token: str = "",
    contact_phone: str = "",
) -> Rating:
    """评价 one window visit under its number, once: on the clerk's evaluation screen or
    by scanning the visit's QR code (its rating code); the visitor needs no account.
    Item, department, division and staff come from the visit record (when given, they
    must agree with it); ``contact_phone`` lets the department call a 差评 back."""
    level = clean_level(level)
    comment = clean_comment(comment)
    contact_phone = clean_phone(contact_phone)
    if channel not in Channel.values:
        raise field_error("channel", _("评价渠道无效。"), "invalid")
    visit = find_visit(visit_number)
    visit = WindowVisit.objects.select_for_update(of=("self",)).get(pk=visit.pk)
    if not access.may_rate_visit(actor, visit, token):
        raise PermissionDenied(_("评价码不正确，请扫描窗口出示的二维码或在窗口评价器上评价。"))
    _same(item, visit.item, "item", _("事项"))
    _same(department, visit.department, "department", _("办理部门"))
    _same(division, visit.division, "division", _("办理区划"))
    _same(staff, visit.clerk, "staff", _("被评价人员"))
    if Rating.objects.filter(visit_number=visit.number).exists():
        raise Conflict(
            _("窗口服务 %s 已经评价过，每次服务只能评价一次。") % visit.number,
            code="already_rated",
        )
    rater = (
        actor if getattr(actor, "kind", "") in (User.Kind.CITIZEN, User.Kind.ENTERPRISE) else None
    )
    application = visit.application
    rating = _create(
        visit_number=visit.number,
        item=visit.item,
        department=visit.department,
        division=visit.division,
        staff=visit.clerk,
        rater=rater,
        channel=channel,
        level=level,
        comment=comment,
        applicant_id_type=visit.applicant_id_type,
        applicant_id_number=visit.applicant_id_number,
        applied_at=application.submitted_at if application else visit.served_at,
        handled_at=visit.served_at,
        contact_phone=contact_phone
        or (application.contact_phone if application else "")
        or (getattr(rater, "phone", "") or ""),
    )
    return _after_rating(actor if getattr(actor, "pk", None) else None, rating)


# --- 差评整改 ---


def rectification_actions(user, rating: Rating) -> list[dict]:
    """The rectification actions ``user`` may take now: ``{"code", "name",
    "comment_required"}``."""
    from yiwang.core.workflow import available_actions

    if rating.rectification_id is None:
        return []
    return [
        {"code": a.code, "name": a.label, "comment_required": a.comment_required}
        for a in available_actions(user, rating.rectification)
    ]


@transaction.atomic
def do_act_rectification(*, actor, rating: Rating, action: str, comment: str = "") -> Rating:
    """Take a 差评整改 action: 回访并立即整改 (fix_now), 回访并限期整改 (schedule_fix,
    due by the case deadline), 回访并解释说明 (explain), 报告整改结果 (report_fixed),
    申诉 (appeal, department admin), 申诉成立 (uphold_appeal, bureau: the rating is
    excluded from the statistics, with the reason) or 申诉不成立 (reject_appeal: back to
    fixing). The rater is told the outcome; appeals go to the bureau."""
    visible = access.rectifications(actor).filter(pk=rating.pk).first() if actor else rating
    if visible is None:
        raise Http404(_("未找到该差评整改，或您无权查看。"))
    row = (
        Rating.objects.select_for_update(of=("self",))
        .select_related("item", "department", "division", "rectification__workflow", "rater")
        .get(pk=rating.pk)
    )
    case = row.rectification
    action = (action or "").strip()
    comment = clean_comment(comment)
    if action not in RECTIFY_ACTIONS:
        raise ValidationError(_("未知的整改操作：%s") % action, code="action_unknown")
    if case is None:
        raise ValidationError(_("该评价没有差评整改。"), code="no_rectification")
    text: Text = comment
    if action == "schedule_fix" and comment and case.case_due:
        due = case.case_due
        text = bilingual(
            lambda: _("%(comment)s（整改期限：%(due)s）") % {"comment": comment, "due": due}
        )
    do_transition(actor=actor, case=case, action_code=action, comment=text)
    changed: list[str] = []
    if case.state == "excluded":
        row.excluded = True
        row.exclusion_reason = comment
        changed += ["excluded", "exclusion_reason"]
        row.save(update_fields=changed)
    d = definition_of(case.workflow)
    audit.record(
        actor=actor,
        action="services.rating.rectify",
        obj=row,
        change={
            "case": case.number,
            "action": action,
            "state": case.state,
            "excluded": row.excluded,
        },
    )
    url = rectification_url(row)

    def title_args() -> dict[str, str]:
        return {"item": row.item.name, "state": d.state_name(case.state)}

    if action == "appeal":
        _tell(
            actor,
            bureau_admins(),
            bilingual(lambda: _("差评申诉待审核：%s") % row.item.name),
            bilingual(
                lambda: (
                    _("%(dept)s 对评价 %(number)s 提出申诉：%(comment)s")
                    % {"dept": row.department.name, "number": row.case_number, "comment": comment}
                )
            ),
            url,
        )
    elif action in ("uphold_appeal", "reject_appeal"):
        _tell(
            actor,
            department_admins(row.department, row.division),
            bilingual(lambda: _("差评申诉审核结果：%(item)s — %(state)s") % title_args()),
            comment,
            url,
        )
    if case.state in RECTIFIED_STATES and row.rater_id is not None:
        _tell(
            actor,
            [row.rater],
            bilingual(lambda: _("您的评价已回访处理：%(item)s — %(state)s") % title_args()),
            comment,
            _url("services:my-ratings"),
        )
    return row


# --- demo data ---


def seed_demo_ratings(*, per_item: int = 6, per_department: int = 2) -> int:
    """示范好差评: window visits rated over a spread of published items (a few per
    department), 差评 handled by their departments' admins — fixed on the spot, fixed by
    the deadline, or explained — and one 差评 left open in 回访核实. Deterministic and
    idempotent (nothing is added once ratings exist); returns how many were made."""
    import random

    if Rating.objects.exists():
        return 0
    rnd = random.Random(410800)
    taken: dict[int, int] = {}
    items = []
    handling = ServiceItem.objects.filter(
        status=ServiceItem.Status.PUBLISHED, level=ServiceItem.Level.HANDLING
    ).select_related("department", "division")
    for item in handling.order_by("division_id", "department_id", "code"):
        if taken.get(item.department_id, 0) < per_department:
            taken[item.department_id] = taken.get(item.department_id, 0) + 1
            items.append(item)
    made = 0
    left_open = False
    for item in items:
        clerk = _demo_clerk(item)
        if clerk is None:
            continue
        admins = department_admins(item.department, item.division)
        for i in range(per_item):
            level = rnd.choices([1, 2, 3, 4, 5], weights=[55, 25, 10, 6, 4])[0]
            if level >= Level.DISSATISFIED and not admins:
                level = Level.BASIC  # the demo has no admin there to call back
            if admins and not left_open and i == per_item - 1:
                level = Level.VERY_DISSATISFIED  # the 差评 left open for the demo
            rating = _demo_visit(clerk, item, level, rnd)
            made += 1
            if not rating.is_bad:
                continue
            if not left_open:
                left_open = True
            else:
                _demo_rectify(rating, admins[0], made)
    return made


DEMO_COMMENTS = {
    1: ["办事效率高，一次办好。", "窗口人员耐心细致。", ""],
    2: ["流程清楚，材料一次说清。", ""],
    3: ["等候时间稍长。", ""],
    4: ["材料要求前后说法不一。"],
    5: ["窗口人员态度生硬，多跑了一次。"],
}


def _demo_visit(clerk: User, item: ServiceItem, level: int, rnd) -> Rating:
    visit = do_issue_visit_ticket(actor=clerk, item=item)
    return do_rate_visit(
        actor=clerk,
        visit_number=visit.number,
        level=level,
        comment=rnd.choice(DEMO_COMMENTS[level]),
    )


def _demo_clerk(item: ServiceItem) -> User | None:
    """The window clerk who serves the item in the demo: the department's own window,
    else the division's 综合窗口, else a window covering the division."""
    holdings = RoleAssignment.objects.filter(
        role="window_clerk", user__is_active=True, user__kind=User.Kind.STAFF
    ).select_related("user__org_unit__division", "org_unit__division")
    best: tuple[int, int, User] | None = None
    for ra in holdings:
        unit = ra.org_unit or ra.user.org_unit
        if unit is None or not item.division.path.startswith(unit.division.path):
            continue
        rank = (
            0
            if unit.department_id == item.department_id and unit.division_id == item.division_id
            else 1
            if unit.division_id == item.division_id
            else 2
        )
        if best is None or (rank, ra.user_id) < best[:2]:
            best = (rank, ra.user_id, ra.user)
    return best[2] if best else None


def _demo_rectify(rating: Rating, admin: User, n: int) -> None:
    """Close a demo 差评 the way a department would."""
    steps = [
        [("fix_now", "已回访，当场致歉并更正了办事指南中的材料说明。")],
        [
            ("schedule_fix", "已回访，约定整改窗口服务流程。"),
            ("report_fixed", "已组织窗口人员培训，整改完毕。"),
        ],
        [("explain", "已回访，向办事人解释了法定材料要求，办事人表示理解。")],
    ][n % 3]
    for code, text in steps:
        do_act_rectification(actor=admin, rating=rating, action=code, comment=text)
