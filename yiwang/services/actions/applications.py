"""办件 writes: apply online (citizens and enterprises for themselves), one-window intake
(a window clerk for any department), take workflow actions with the outcome kept in
step, 补正 with new materials, 秒批 by rule, and issuing the e-licence on approval."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from yiwang.core import audit, datause
from yiwang.core.actions.notify import Notice, do_notify, do_notify_each
from yiwang.core.actions.uploads import do_open_upload
from yiwang.core.actions.workflow import (
    do_comment,
    do_start_case,
    do_start_case_through,
    do_transition,
)
from yiwang.core.errors import Conflict
from yiwang.core.fields import assign_row_ids
from yiwang.core.identifiers import validate_credit_code, validate_id_number, validate_mobile
from yiwang.core.identity import assurance
from yiwang.core.models import User
from yiwang.core.notify.text import Bilingual, Text, bilingual
from yiwang.core.workflow import available_actions, definition_of, handling_roles
from yiwang.services import access, instant
from yiwang.services.actions import issuing, routing
from yiwang.services.formdata import clean_form
from yiwang.services.materials import (
    REGISTRY_LABELS,
    CheckedUpload,
    Need,
    check_material,
    resolve_materials,
    save_material,
)
from yiwang.services.models import Application, Channel, HolderIdType, Material, ServiceItem
from yiwang.services.notices import channels_for, step_title

OUTCOME_OF = {
    "approve": Application.Outcome.APPROVED,
    "refuse": Application.Outcome.REFUSED,
    "not_accept": Application.Outcome.NOT_ACCEPTED,
    "withdraw": Application.Outcome.WITHDRAWN,
}
APPLICANT_ACTIONS = ("resubmit", "withdraw")
ONLINE_CHANNELS = (Channel.ONLINE, Channel.APP)
NAME_MAX = 100


@dataclass(frozen=True)
class Applicant:
    """Who applies: name, identifier (ID number or credit code) and, when they have one,
    their account."""

    name: str
    id_type: str
    id_number: str
    phone: str = ""
    user: Any = None

    @property
    def kind(self) -> str:
        return "entity" if self.id_type == HolderIdType.CREDIT_CODE else "person"


@dataclass
class Prepared:
    """A checked submission for one item, ready to store."""

    item: ServiceItem
    applicant: Applicant
    form: dict
    needs: list[Need]
    files: dict[int, CheckedUpload] = field(default_factory=dict)
    received: set[int] = field(default_factory=set)


def applicant_from_account(user) -> Applicant:
    """The applicant as their verified account says: a citizen's ID number and name, an
    enterprise's credit code and name. Only a 实名 account applies in that name (its
    registry facts and licences stand in for materials, 免证可办): below it,
    ``Forbidden`` with reason ``assurance_required`` and how to reach the level."""
    kind = getattr(user, "kind", "")
    if kind in (User.Kind.CITIZEN, User.Kind.ENTERPRISE):
        assurance.require_verified(user)
    if kind == User.Kind.CITIZEN:
        if not user.id_number:
            raise ValidationError(_("您的账号尚未绑定身份证号码，不能在线申请。"), code="no_id")
        return Applicant(
            user.full_name or user.get_username(),
            HolderIdType.ID_CARD,
            user.id_number,
            user.phone or "",
            user,
        )
    if kind == User.Kind.ENTERPRISE:
        if not user.credit_code:
            raise ValidationError(
                _("您的企业账号尚未绑定统一社会信用代码，不能在线申请。"), code="no_id"
            )
        return Applicant(
            user.enterprise_name or user.full_name or user.get_username(),
            HolderIdType.CREDIT_CODE,
            user.credit_code,
            user.phone or "",
            user,
        )
    raise PermissionDenied(_("在线申请仅对群众和企业用户开放；窗口人员请使用一窗受理。"))


def check_eligible(item: ServiceItem, kind: str, channel: str) -> None:
    """The item can be applied for: a published 业务办理项, online when the channel is
    online, and for this kind of applicant (自然人 / 法人)."""
    if item.status != ServiceItem.Status.PUBLISHED or item.level != ServiceItem.Level.HANDLING:
        raise ValidationError(
            _("事项「%s」未发布或不是可申请的办理项。") % item.name, "not_eligible"
        )
    if channel in ONLINE_CHANNELS and not item.online:
        where = item.place or _("政务服务大厅")
        raise ValidationError(
            _("事项「%(name)s」暂不支持网上办理，请到%(where)s窗口办理。")
            % {"name": item.name, "where": where},
            "not_online",
        )
    if item.applicants == ServiceItem.Applicants.PERSON and kind != "person":
        raise ValidationError(
            _("事项「%s」的服务对象为自然人，法人和其他组织不能申请。") % item.name, "wrong_kind"
        )
    if item.applicants == ServiceItem.Applicants.ENTITY and kind != "entity":
        raise ValidationError(
            _("事项「%s」的服务对象为法人和其他组织，个人不能申请。") % item.name, "wrong_kind"
        )


def files_for(uploads: Mapping | None, key: str, pk: int) -> list:
    """The files submitted for one material: under ``material_<pk>`` (forms) or the pk."""
    if not uploads:
        return []
    out: list = []
    for k in (key, str(pk), pk):
        getlist = getattr(uploads, "getlist", None)
        if getlist is not None and isinstance(k, str):
            found = getlist(k)
        else:
            value = uploads.get(k)
            found = [] if value is None else (value if isinstance(value, list) else [value])
        out.extend(found)
        if out:
            break
    return out


def check_files(
    needs: Iterable[Need],
    uploads: Mapping | None,
    received: Iterable[int | str] = (),
    *,
    errors: dict[str, list[str]],
    checked: dict[str, CheckedUpload] | None = None,
    require: bool = True,
) -> dict[int, CheckedUpload]:
    """Check the upload for every material the applicant must supply; a required one with
    neither a file nor (at the window) a tick for paper received is an error. ``checked``
    caches checks by field key (one file may serve several items of a 一件事)."""
    received = {int(r) for r in received}
    out: dict[int, CheckedUpload] = {}
    for need in needs:
        if need.satisfied:
            continue
        files = files_for(uploads, need.key, need.spec.pk)
        if len(files) > 1:
            errors[need.key] = [
                _("「%s」只能上传一个文件，可合并为一个 PDF 后上传。") % need.spec.name
            ]
            continue
        if not files:
            if require and need.spec.required and need.spec.pk not in received:
                errors[need.key] = [_("请上传「%s」。") % need.spec.name]
            continue
        try:
            if checked is not None and need.key in checked:
                out[need.spec.pk] = checked[need.key]
                continue
            upload = check_material(files[0], need.spec.name)
        except ValidationError as exc:
            errors[need.key] = list(exc.messages)
            continue
        out[need.spec.pk] = upload
        if checked is not None:
            checked[need.key] = upload
    return out


def prepare(
    item: ServiceItem,
    applicant: Applicant,
    form_data: Mapping | None,
    uploads: Mapping | None,
    *,
    channel: str,
    received: Iterable[int | str] = (),
    errors: dict[str, list[str]] | None = None,
) -> Prepared:
    """Check a submission for one item (eligibility, form, materials) without writing;
    raises one ValidationError naming every bad field (nothing is saved)."""
    check_eligible(item, applicant.kind, channel)
    errors = {} if errors is None else errors
    form, form_errors = clean_form(item.form_fields, form_data)
    errors.update(form_errors)
    needs = resolve_materials(item, id_type=applicant.id_type, id_number=applicant.id_number)
    received = set(received) if channel == Channel.WINDOW else set()
    files = check_files(needs, uploads, received, errors=errors)
    if errors:
        raise ValidationError(errors)
    return Prepared(item, applicant, form, needs, files, {int(r) for r in received})


def application_url(application: Application) -> str:
    """The applicant's page of an application."""
    try:
        return reverse("services:my-application", args=[application.number])
    except NoReverseMatch:
        return ""


def _tell(
    actor, application: Application, title: Text, body: Text = "", notices: list | None = None
) -> None:
    """Notify the applicant's account, when the application has one (kept in
    ``notices`` when the caller sends its messages together)."""
    if application.applicant_id is None:
        return
    user = application.applicant
    channels = channels_for(user, notices)
    notice = Notice(actor, user, title, body, application_url(application), channels)
    if notices is not None:
        notices.append(notice)
        return
    do_notify(
        actor=actor,
        user=notice.user,
        title=notice.title,
        body=notice.body,
        url=notice.url,
        channels=notice.channels,
    )


def _note_check(application: Application, need) -> None:
    """A 免证 material is a use of the applicant's data by the handling department — a
    base-registry check or an e-licence check — filed under the applicant (谁用了我的数据),
    in the platform's words in both languages."""
    material = need.spec.name
    if need.source == Material.Source.REGISTRY:
        fact = need.spec.registry_fact
        kind = "registry"
        what = bilingual(
            lambda: (
                _("%(registry)s（代替“%(material)s”）")
                % {"registry": REGISTRY_LABELS.get(fact, fact), "material": material}
            )
        )
    else:
        kind = "licence"
        what = bilingual(lambda: _("电子证照：%s") % material)
    item, number = application.item.name, application.number
    datause.note(
        subject=application.applicant_id_number,
        kind=kind,
        obj=application,
        department=application.department,
        what=what,
        purpose=bilingual(
            lambda: (
                _("办理“%(item)s”（办件 %(number)s）免证核验") % {"item": item, "number": number}
            )
        ),
    )


def _store_materials(
    application: Application,
    prepared: Prepared,
    *,
    window: bool,
    clerk=None,
    stored: dict[str, Material] | None = None,
) -> list[dict]:
    """Materials of a new application: 免证 ones with their reference, uploads stored,
    paper received at the window noted. Returns a summary for the ledger."""
    summary = []
    for need in prepared.needs:
        spec = need.spec
        if need.satisfied:
            Material.objects.create(
                application=application,
                spec=spec,
                name=spec.name,
                source=need.source,
                reference=need.reference[:200],
            )
            summary.append({"spec": spec.pk, "source": need.source, "reference": need.reference})
            if need.source in (Material.Source.REGISTRY, Material.Source.LICENCE):
                _note_check(application, need)  # a generated 申请书 uses no one's data
        elif spec.pk in prepared.files:
            upload = prepared.files[spec.pk]
            material = save_material(
                application=application,
                spec=spec,
                upload=upload,
                source=Material.Source.WINDOW if window else Material.Source.UPLOAD,
                stored_as=(stored or {}).get(upload.sm3),
            )
            if stored is not None:
                stored.setdefault(upload.sm3, material)
            summary.append({"spec": spec.pk, "source": material.source, "sm3": upload.sm3})
        elif spec.pk in prepared.received:
            Material.objects.create(
                application=application,
                spec=spec,
                name=spec.name,
                source=Material.Source.WINDOW,
                reference=(_("窗口收取纸质材料（%s）") % clerk)[:200],
            )
            summary.append({"spec": spec.pk, "source": "window", "paper": True})
    return summary


def _start_comment(clerk) -> Bilingual:
    """The platform's note opening the case (in both languages): submitted online by
    the applicant, or taken in at the window (一窗受理) by the clerk named."""
    if clerk is not None:
        unit = clerk.org_unit.name if clerk.org_unit_id else ""
        return bilingual(
            lambda: (
                _("一窗受理：%(clerk)s（%(unit)s）代申请人提交。") % {"clerk": clerk, "unit": unit}
            )
        )
    return bilingual(lambda: _("申请人网上提交申请。"))


def _new_application(prepared: Prepared, *, channel: str, clerk, bundle_application) -> Application:
    """The application row of a prepared submission, not stored yet."""
    item, applicant = prepared.item, prepared.applicant
    return Application(
        number=f"tmp-{uuid.uuid4().hex}",
        item=item,
        bundle_application=bundle_application,
        applicant=applicant.user,
        applicant_name=applicant.name,
        applicant_id_type=applicant.id_type,
        applicant_id_number=applicant.id_number,
        contact_phone=applicant.phone,
        channel=channel,
        clerk=clerk,
        division=item.division,
        department=item.department,
        form_data=prepared.form,
        submitted_at=timezone.now(),
    )


def _record_submit(actor, clerk, application: Application, prepared: Prepared, summary) -> None:
    applicant = prepared.applicant
    audit.record(
        actor=clerk or actor,
        action="services.application.window_intake" if clerk else "services.application.submit",
        obj=application,
        change={
            "number": application.number,
            "item": prepared.item.code,
            "channel": application.channel,
            "id_number": applicant.id_number,
            "account": applicant.user.pk if applicant.user else None,
            "fields": sorted(prepared.form),
            "materials": summary,
            "case_due": application.flow.case_due,
        },
    )


def _tell_submitted(actor, application: Application, notices: list | None = None) -> None:
    _tell(
        actor,
        application,
        bilingual(lambda: _("您的申请已提交：%s") % application.item.name),
        bilingual(
            lambda: (
                _("办件编号 %(number)s，承诺在 %(due)s 前办结。")
                % {"number": application.number, "due": application.flow.case_due or "—"}
            )
        ),
        notices,
    )


def create_application(
    prepared: Prepared,
    *,
    actor,
    channel: str,
    clerk=None,
    bundle_application=None,
    stored: dict[str, Material] | None = None,
) -> Application:
    """Store a prepared submission: the application, its case (承诺时限 as the whole-case
    limit, working days), its materials; the applicant told; 秒批 tried. When a rule
    holds, the application is written approved at once (``_create_approved``); when
    none does, or finishing fails, the case waits for review with the reasons written on
    it. Call inside a transaction."""
    item = prepared.item
    decision = None
    if item.instant_rules:
        decision = instant.evaluate(item.instant_rules, _facts(prepared))
        if decision.rule is not None:
            try:
                with transaction.atomic():
                    return _create_approved(
                        prepared,
                        decision,
                        actor=actor,
                        channel=channel,
                        clerk=clerk,
                        bundle_application=bundle_application,
                        stored=stored,
                    )
            except (ValidationError, PermissionDenied, OSError) as exc:
                decision = _unfinished(decision.rule, exc)
    application = _new_application(
        prepared, channel=channel, clerk=clerk, bundle_application=bundle_application
    )
    application.save()
    case = do_start_case(
        actor=None if clerk is not None else actor,
        workflow_code=item.workflow_code,
        title=item.name,
        division=item.division,
        department=item.department,
        applicant=prepared.applicant.user,
        subject=application,
        comment=_start_comment(clerk),
        case_time_limit_days=item.promised_days,
    )
    application.case = case
    application.number = case.number
    application.save(update_fields=["case", "number"])
    summary = _store_materials(
        application, prepared, window=channel == Channel.WINDOW, clerk=clerk, stored=stored
    )
    _record_submit(actor, clerk, application, prepared, summary)
    _tell_submitted(clerk or actor, application)
    if decision is not None:
        refer(application, decision)
    routing.alarm_if_unattended(clerk or actor, application)
    return application


def _facts(prepared: Prepared) -> instant.Facts:
    """The 秒批 facts of a submission, as ``instant.facts_for`` gives them once stored."""
    applicant = prepared.applicant
    return instant.Facts(
        form=dict(prepared.form),
        kind="entity" if applicant.id_type == HolderIdType.CREDIT_CODE else "person",
        id_type=applicant.id_type,
        id_number=applicant.id_number,
        labels=instant.form_labels(prepared.item),
    )


def _create_approved(
    prepared: Prepared,
    decision: instant.Decision,
    *,
    actor,
    channel: str,
    clerk,
    bundle_application,
    stored: dict[str, Material] | None,
) -> Application:
    """秒批, written in its final state: the case opened and taken through 受理 → 审查 →
    准予 by the platform in one write (``do_start_case_through``), the licence issued,
    the application stored approved, the applicant's messages sent in one batch. The
    states, history, ledger entries, licence and messages are those of submitting and
    then taking each step (``try_instant`` and ``finish``), which the tests compare."""
    item = prepared.item
    application = _new_application(
        prepared, channel=channel, clerk=clerk, bundle_application=bundle_application
    )
    assign_row_ids([application])  # the case names its subject before the row is stored
    case = do_start_case_through(
        actor=None if clerk is not None else actor,
        workflow_code=item.workflow_code,
        title=item.name,
        division=item.division,
        department=item.department,
        applicant=prepared.applicant.user,
        subject=application,
        comment=_start_comment(clerk),
        case_time_limit_days=item.promised_days,
        steps=instant_steps(decision),
    )
    application.case = case
    application.number = case.number
    application.decided_by_rule = str(decision.rule.get("code", ""))[:100]  # type: ignore[union-attr]
    application.outcome = OUTCOME_OF["approve"]
    application.completed_at = case.closed_at
    notices: list[Notice] = []
    _tell_submitted(clerk or actor, application, notices)
    if item.licence_type_code:
        issue_licence(None, application, notices)
    application.save(force_insert=True)
    summary = _store_materials(
        application, prepared, window=channel == Channel.WINDOW, clerk=clerk, stored=stored
    )
    _record_submit(actor, clerk, application, prepared, summary)
    _completed(None, application, notices)
    do_notify_each(notices)
    return application


@transaction.atomic
def do_apply(
    *,
    actor,
    item: ServiceItem,
    form_data: Mapping | None,
    uploads: Mapping | None,
    channel: str = Channel.ONLINE,
) -> Application:
    """申请: a citizen or enterprise applies for an item for themselves (identity from
    their verified account). Checks eligibility, the form and the materials — nothing
    is saved when anything is wrong — then creates the case and tries 秒批."""
    if channel not in (*ONLINE_CHANNELS, Channel.SELF_SERVICE):
        raise ValidationError(_("网上申请的渠道无效。"), code="invalid")
    applicant = applicant_from_account(actor)
    prepared = prepare(item, applicant, form_data, uploads, channel=channel)
    return create_application(prepared, actor=actor, channel=channel)


def find_account(id_type: str, id_number: str):
    """The active citizen (by ID number) or enterprise (by credit code) account of an
    applicant who came to the window, if they have one."""
    from yiwang.core.fields import index_for

    if id_type == HolderIdType.ID_CARD:
        qs = User.objects.filter(
            kind=User.Kind.CITIZEN, id_number_index=index_for(User, "id_number", id_number)
        )
    else:
        qs = User.objects.filter(kind=User.Kind.ENTERPRISE, credit_code=id_number)
    return qs.filter(is_active=True).order_by("pk").first()


def window_applicant(
    name: str,
    id_type: str,
    id_number: str,
    phone: str,
    errors: dict[str, list[str]],
    *,
    name_required: bool = True,
) -> Applicant | None:
    """The applicant a window clerk entered, checked (errors collected per field; the
    phone's as ``applicant_phone``, apart from a 申请表's own 联系电话 field ``phone``).
    To look up what the platform knows of them (免填写) the identifier is enough, so
    ``name_required=False`` lets the name wait."""
    name = (name or "").strip()
    if (name_required and not name) or len(name) > NAME_MAX:
        errors["applicant_name"] = [_("请填写申请人姓名或单位名称（不超过 100 字）。")]
    id_type = (id_type or "").strip()
    number = ""
    if id_type not in HolderIdType.values:
        errors["applicant_id_type"] = [_("请选择证件类型。")]
    else:
        try:
            if id_type == HolderIdType.ID_CARD:
                number = validate_id_number(id_number)
            else:
                number = validate_credit_code(id_number)
        except ValidationError as exc:
            errors["applicant_id_number"] = list(exc.messages)
    try:
        phone = validate_mobile(phone) if (phone or "").strip() else ""
    except ValidationError as exc:
        errors["applicant_phone"] = list(exc.messages)
    if errors:
        return None
    return Applicant(name, id_type, number, phone, find_account(id_type, number))


@transaction.atomic
def do_window_intake(
    *,
    actor,
    item: ServiceItem,
    applicant_name: str,
    applicant_id_type: str,
    applicant_id_number: str,
    phone: str,
    form_data: Mapping | None,
    uploads: Mapping | None,
    received: Iterable[int | str] = (),
) -> Application:
    """一窗受理: a window clerk submits for an applicant standing at the counter, for an
    item of any department. The case is started by the platform with the clerk recorded
    (on the application, in its history and the ledger); it is linked to the applicant's
    account when one exists. ``received`` lists materials taken in on paper."""
    access.require_window_clerk(actor)
    errors: dict[str, list[str]] = {}
    applicant = window_applicant(
        applicant_name, applicant_id_type, applicant_id_number, phone, errors
    )
    if applicant is None:
        # Check the rest too, so the clerk sees every problem at once.
        probe = Applicant("-", applicant_id_type or HolderIdType.ID_CARD, "", "")
        try:
            prepare(
                item,
                probe,
                form_data,
                uploads,
                channel=Channel.WINDOW,
                received=received,
                errors=errors,
            )
        except ValidationError as exc:
            if not hasattr(exc, "error_dict"):
                raise
        raise ValidationError(errors)
    prepared = prepare(
        item, applicant, form_data, uploads, channel=Channel.WINDOW, received=received
    )
    return create_application(prepared, actor=actor, channel=Channel.WINDOW, clerk=actor)


# --- 秒批 ---


def _messages(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return "；".join(exc.messages)
    return str(exc) or type(exc).__name__


def instant_steps(decision: instant.Decision) -> list[tuple[str, Text]]:
    """The steps the platform takes when a 秒批 rule holds: 受理, 审查, 准予, each with its
    comment in both languages (the last names the rule)."""
    return [
        ("accept", bilingual(lambda: _("秒批：系统自动受理。"))),
        ("review", bilingual(lambda: _("秒批：系统自动审查，申请信息与规则条件一致。"))),
        ("approve", decision.comment()),
    ]


def _unfinished(rule: dict, exc: Exception) -> instant.Decision:
    """A rule that held, but finishing automatically failed: normal review, saying why."""
    err = _messages(exc)
    return instant.Decision(
        None,
        [
            bilingual(
                lambda: (
                    _("规则「%(rule)s」成立，但自动办结未能完成（%(err)s）")
                    % {"rule": rule.get("name"), "err": err}
                )
            )
        ],
    )


def refer(application: Application, decision: instant.Decision) -> None:
    """Not decided by rule: the reasons written on the case (the platform's comment) and
    in the ledger; the case waits for normal review."""
    do_comment(actor=None, case=application.flow, comment=decision.comment())
    audit.record(
        actor=None,
        action="services.application.instant_refer",
        obj=application,
        change={"number": application.number, "reasons": [str(r) for r in decision.reasons]},
    )


def try_instant(application: Application) -> instant.Decision:
    """Evaluate the item's 秒批 rules on a stored application, step by step: when one
    holds the platform accepts, reviews and approves (the licence issued), naming the
    rule; otherwise — or when finishing fails — the case stays for normal review and the
    reasons are written on it. New applications take the one-write path of
    ``create_application``; this is the same outcome reached through ``do_transition``."""
    decision = instant.evaluate(application.item.instant_rules, instant.facts_for(application))
    rule = decision.rule
    if rule is not None:  # decision.approved
        try:
            with transaction.atomic():
                for code, comment in instant_steps(decision):
                    do_transition(
                        actor=None, case=application.flow, action_code=code, comment=comment
                    )
                application.decided_by_rule = str(rule.get("code", ""))[:100]
                finish(None, application, "approve")
            return decision
        except (ValidationError, PermissionDenied, OSError) as exc:
            application.refresh_from_db()
            application.flow.refresh_from_db()
            decision = _unfinished(rule, exc)
    refer(application, decision)
    return decision


# --- licence on approval ---


def issue_licence(actor, application: Application, notices: list | None = None) -> str:
    """签发 the item's e-licence, by the handling department, to the right holder — the
    applicant, or the entity a 设立登记 registers (``issuing``); returns its identifier
    (stored on the application). A licence that cannot be issued is refused in words
    about the licence. Messages are kept in ``notices`` when given."""
    from yiwang.licences.public import do_issue_licence, licence_type_by_slug

    code = application.item.licence_type_code
    licence_type = licence_type_by_slug(code)
    if licence_type is None:
        raise Conflict(_("证照目录中没有“%s”，不能签发。") % code, code="licence_not_issued")
    holder = issuing.licence_holder(actor, application, licence_type, notices)
    try:
        licence = do_issue_licence(
            actor=actor,
            licence_type=licence_type,
            holder_name=holder.name,
            holder_id=holder.id_number,
            holder_id_type=holder.id_type,
            data=issuing.licence_data(application, licence_type, holder),
            issuer=application.department,
            source=f"{application.item.name} {application.number}"[:120],
            notices=notices,
            supersedes=application.item.handling in issuing.REPLACING,
        )
    except ValidationError as exc:
        raise issuing.not_issued(licence_type, exc) from exc
    application.licence_identifier = licence.identifier
    if holder.registered:
        issuing.hand_over_parts(actor, application, holder, licence.identifier)
    return licence.identifier


def finish(actor, application: Application, action: str) -> None:
    """Bring the application in step with its case after ``action``: outcome and
    completion time at a final state; the licence issued on approval; a 一件事 it belongs
    to refreshed."""
    case = application.flow
    fields = ["decided_by_rule"] if application.decided_by_rule else []
    if case.closed_at is not None and not application.outcome:
        application.outcome = OUTCOME_OF.get(action, application.outcome)
        application.completed_at = case.closed_at
        fields += ["outcome", "completed_at"]
    if (
        application.outcome == Application.Outcome.APPROVED
        and application.item.licence_type_code
        and not application.licence_identifier
    ):
        issue_licence(actor, application)
        fields.append("licence_identifier")
    if not fields:
        return
    application.save(update_fields=fields)
    if application.outcome:
        _completed(actor, application)


def _completed(actor, application: Application, notices: list | None = None) -> None:
    """A decided application: in the ledger, its 一件事 refreshed, the applicant told."""
    audit.record(
        actor=actor,
        action="services.application.complete",
        obj=application,
        change={
            "number": application.number,
            "outcome": application.outcome,
            "rule": application.decided_by_rule,
            "licence": application.licence_identifier,
        },
    )
    if application.bundle_application is not None:
        from yiwang.services.actions.bundles import do_refresh_bundle

        do_refresh_bundle(actor=actor, submission=application.bundle_application)
    _tell(
        actor,
        application,
        bilingual(
            lambda: (
                _("您的办件已办结：%(item)s（%(outcome)s）")
                % {"item": application.item.name, "outcome": application.get_outcome_display()}
            )
        ),
        bilingual(
            lambda: (
                _("办件编号 %(number)s。%(licence)s")
                % {
                    "number": application.number,
                    "licence": _("电子证照已签发，可在证照夹下载。")
                    if application.licence_identifier
                    else "",
                }
            )
        ),
        notices,
    )


# --- acting on an application ---


def visible(actor, application: Application) -> Application:
    """The application if ``actor`` may see it, else the 404 an absent one gives."""
    found = access.applications(actor).filter(pk=application.pk).first()
    if found is None:
        raise Http404(_("未找到该办件，或您无权查看。"))
    return found


def _locked(application: Application) -> Application:
    return (
        Application.objects.select_for_update(of=("self",))
        .select_related("item", "case__workflow", "case__division", "case__department")
        .get(pk=application.pk)
    )


def _last_action(application: Application) -> str:
    """The workflow action that moved the case last (engine notes skipped)."""
    d = definition_of(application.flow.workflow)
    for event in application.flow.events.order_by("-at", "-id"):
        if d.action(event.action) is not None:
            return event.action
    return ""


def open_actions(user, application: Application) -> list[dict]:
    """The workflow actions ``user`` may take now, as ``{"code", "name",
    "comment_required"}`` — including the applicant's ones a window clerk does for an
    applicant they took in, and the step that catches up a case finished elsewhere."""
    case = application.case
    if application.outcome or case is None:
        return []
    d = definition_of(case.workflow)
    if case.closed_at is not None:
        last = _last_action(application)
        action = d.action(last)
        if action is None or last not in OUTCOME_OF:
            return []
        by_role = bool(action.roles & handling_roles(user, case))
        by_applicant = action.applicant and user.pk in (case.applicant_id, application.clerk_id)
        if by_role or by_applicant:
            return [{"code": last, "name": action.label, "comment_required": False}]
        return []
    out = {a.code: a for a in available_actions(user, case)}
    if application.clerk_id == user.pk:
        for a in d.actions_from(case.state):
            if a.applicant and a.code in APPLICANT_ACTIONS:
                out.setdefault(a.code, a)
    return [
        {"code": a.code, "name": a.label, "comment_required": a.comment_required}
        for a in out.values()
    ]


def _add_materials(actor, application: Application, uploads: Mapping | None) -> list[dict]:
    """Check and store new uploads for the item's materials (补正); all or nothing."""
    if not uploads:
        return []
    specs = list(application.item.materials.all())
    needs = [Need(spec) for spec in specs]
    errors: dict[str, list[str]] = {}
    known = {n.key for n in needs} | {str(s.pk) for s in specs}
    stray = [k for k in uploads if str(k) not in known]
    if stray:
        errors["materials"] = [_("上传的材料不属于该事项。")]
    files = check_files(needs, uploads, errors=errors, require=False)
    if errors:
        raise ValidationError(errors)
    window = (
        application.clerk_id is not None and actor is not None and actor.pk == application.clerk_id
    )
    summary = []
    for spec in specs:
        if spec.pk in files:
            m = save_material(
                application=application,
                spec=spec,
                upload=files[spec.pk],
                source=Material.Source.WINDOW if window else Material.Source.UPLOAD,
            )
            summary.append({"spec": spec.pk, "sm3": m.sm3})
    return summary


@transaction.atomic
def do_add_materials(*, actor, application: Application, uploads: Mapping | None) -> list[Material]:
    """补充材料 while the application waits for intake or correction (the applicant, or
    the window clerk who took it in)."""
    application = visible(actor, application)
    application = _locked(application)
    if application.outcome or application.flow.closed_at is not None:
        raise Conflict(_("办件 %s 已办结。") % application.number, code="case_closed")
    if application.flow.state not in ("submitted", "correction"):
        raise Conflict(_("只有在待受理或补正环节才能补充材料。"), code="action_not_allowed")
    if actor.pk not in (application.applicant_id, application.clerk_id):
        raise PermissionDenied(_("只有申请人或受理窗口人员可以补充材料。"))
    if not uploads:
        raise ValidationError({"materials": [_("请选择要上传的材料文件。")]})
    before = set(application.materials.values_list("pk", flat=True))
    summary = _add_materials(actor, application, uploads)
    audit.record(
        actor=actor,
        action="services.material.add",
        obj=application,
        change={"number": application.number, "materials": summary},
    )
    return list(application.materials.exclude(pk__in=before))


@transaction.atomic
def do_act(
    *,
    actor,
    application: Application,
    action: str,
    comment: str = "",
    uploads: Mapping | None = None,
    form_data: Mapping | None = None,
) -> Application:
    """Take a workflow action on an application (受理, 补正, 审查, 准予, 不予许可, 撤回 …)
    and keep the application in step: outcome and completion time, the licence issued
    on approval, the applicant told. On ``resubmit`` new uploads (and a corrected form)
    come with it. Someone else's application is a 404."""
    application = _locked(visible(actor, application))
    case = application.flow
    action = (action or "").strip()
    if application.outcome:
        raise Conflict(_("办件 %s 已办结，不能再办理。") % application.number, "case_closed")
    d = definition_of(case.workflow)
    if case.closed_at is not None:
        _catch_up(actor, application, action)
        return application
    by_clerk = (
        action in APPLICANT_ACTIONS
        and application.clerk_id == actor.pk
        and action not in {a.code for a in available_actions(actor, case)}
    )
    if action == "resubmit":
        _resubmit(actor, application, d, form_data, uploads)
    if by_clerk:
        _transition_for_applicant(actor, case, d, action, comment)
    else:
        do_transition(actor=actor, case=case, action_code=action, comment=comment)
    audit.record(
        actor=actor,
        action="services.application.act",
        obj=application,
        change={"number": application.number, "action": action, "state": case.state},
    )
    finish(actor, application, action)
    if not application.outcome:
        routing.alarm_if_unattended(actor, application)
        _tell(
            actor,
            application,
            bilingual(lambda: step_title(action, application.item.name, d.state_name(case.state))),
            comment if action == "request_correction" else "",
        )
    return application


def _catch_up(actor, application: Application, action: str) -> None:
    """A case finished on the generic case page (办件页): only the step that brings the
    application up to date is allowed."""
    if action not in [a["code"] for a in open_actions(actor, application)]:
        raise Conflict(_("办件 %s 已办结，不能再办理。") % application.number, "case_closed")
    finish(actor, application, action)


def _resubmit(
    actor, application: Application, d, form_data: Mapping | None, uploads: Mapping | None
) -> None:
    """补正: only in the correction step; a corrected 申请表 replaces the old one once it
    cleans, and the new materials are added."""
    case = application.flow
    if case.state != "correction":
        raise Conflict(
            _("当前环节“%s”不能提交补正材料。") % d.state_name(case.state),
            code="action_not_allowed",
        )
    if form_data is not None:
        form, errors = clean_form(application.item.form_fields, form_data)
        if errors:
            raise ValidationError(errors)
        application.form_data = form
        application.save(update_fields=["form_data"])
    _add_materials(actor, application, uploads)


def _transition_for_applicant(actor, case, d, action: str, comment: str) -> None:
    """An applicant's step done at the window (窗口代办) for an applicant the clerk took
    in: the platform moves the case, the clerk is named in its history and the ledger."""
    step = d.action(action)
    if step is not None and step.comment_required and not comment.strip():
        raise ValidationError(
            {"comment": _("执行“%s”须填写意见。") % step.name}, code="comment_required"
        )
    typed = comment.strip()
    note = bilingual(lambda: typed + _("（窗口人员 %s 代申请人办理）") % actor)
    do_transition(actor=None, case=case, action_code=action, comment=note)


def do_open_material(*, actor, material: Material) -> bytes:
    """Read a material file for the applicant, the clerk who took it in, or staff who can
    see the case (else 404): decrypted, its SM3 digest checked, the access logged."""
    visible(actor, material.application)
    if not material.file:
        raise Http404(_("该材料没有文件（来自电子证照或基础库核验）。"))
    return do_open_upload(
        actor=actor,
        record=material,
        obj=material.application,
        action="services.material.open",
        change={"material": material.pk},
    )
