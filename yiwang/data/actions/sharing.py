"""共享交换 writes: share requests (共享需求统一受理), their review on the
``data_share_request`` workflow, grants (共享授权) with scoped credentials, revocation."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from oauth2_provider.models import get_access_token_model, get_refresh_token_model

from yiwang.core import audit
from yiwang.core.actions.identity import ApiClientCredentials, do_create_api_client
from yiwang.core.actions.workflow import do_start_case, do_transition
from yiwang.core.models import Department
from yiwang.core.notify.text import Text, bilingual
from yiwang.data import access
from yiwang.data.models import DataResource, ShareGrant, ShareRequest
from yiwang.data.models.catalogue import ShareType

WORKFLOW = "data_share_request"
SCOPE = "exchange"  # OAuth2 scope of every exchange-gateway credential


@dataclass
class ShareOutcome:
    """What a request or decision produced; ``credentials`` carries the client secret,
    shown once and never stored in clear."""

    request: ShareRequest
    grant: ShareGrant | None = None
    credentials: ApiClientCredentials | None = None


def _department_of(actor) -> Department:
    unit = getattr(actor, "org_unit", None)
    if unit is None or unit.department_id is None:
        raise PermissionDenied(_("只有部门工作人员可以提出共享申请。"))
    return unit.department


def _clean(
    resource: DataResource,
    fields: list[str],
    purpose: str,
    legal_basis: str,
    consumer_system: str,
    starts_on: dt.date | None,
    ends_on: dt.date | None,
) -> dict[str, Any]:
    """Check a share request (共享申请) before it is filed: a published resource, the
    信息项 wanted, the purpose, legal basis and consuming system, and the period of use;
    raises one ValidationError naming every problem by field."""
    errors: dict[str, list[str]] = {}
    if resource.status != DataResource.Status.PUBLISHED:
        errors.setdefault("resource", []).append(_("该数据资源未发布，不能申请共享。"))
    names = list(resource.items.values_list("name", flat=True))
    wanted = _wanted_items(names, fields, errors)
    for key, value, message in (
        ("purpose", purpose, _("请填写数据用途。")),
        ("legal_basis", legal_basis, _("请填写申请依据。")),
        ("consumer_system", consumer_system, _("请填写使用数据的系统。")),
    ):
        if not (value or "").strip():
            errors.setdefault(key, []).append(message)
    if len((consumer_system or "").strip()) > 120:
        errors.setdefault("consumer_system", []).append(_("系统名称不能超过 120 字。"))
    _check_period(starts_on, ends_on, errors)
    if errors:
        raise ValidationError(errors, code="invalid")
    # Keep the catalogue's order of items.
    return {"fields": [n for n in names if n in wanted]}


def _wanted_items(names: list[str], fields: list[str], errors: dict[str, list[str]]) -> list[str]:
    """The 信息项 asked for, without blanks or repeats; at least one, all of them items
    of the resource (``names``)."""
    wanted = []
    for f in fields or []:
        f = str(f).strip()
        if f and f not in wanted:
            wanted.append(f)
    unknown = [f for f in wanted if f not in names]
    if not wanted:
        errors.setdefault("fields", []).append(_("请至少选择一个信息项。"))
    elif unknown:
        errors.setdefault("fields", []).append(
            _("资源中没有这些信息项：%s") % "、".join(unknown[:10])
        )
    return wanted


def _check_period(
    starts_on: dt.date | None, ends_on: dt.date | None, errors: dict[str, list[str]]
) -> None:
    """The period of use (使用期限): both dates, in order, not yet over, at most three
    years."""
    if starts_on is None:
        errors.setdefault("starts_on", []).append(_("请填写使用起始日期。"))
    if ends_on is None:
        errors.setdefault("ends_on", []).append(_("请填写使用截止日期。"))
    if starts_on and ends_on:
        if ends_on < starts_on:
            errors.setdefault("ends_on", []).append(_("截止日期不能早于起始日期。"))
        elif ends_on < timezone.localdate():
            errors.setdefault("ends_on", []).append(_("截止日期已过。"))
        elif (ends_on - starts_on).days > 366 * 3:
            errors.setdefault("ends_on", []).append(_("使用期限不能超过三年。"))


def _tell(actor, users, title: Text, req: ShareRequest) -> None:
    """In-app notice (站内消息) about a request to each of ``users``."""
    from django.urls import reverse

    from yiwang.core.actions.notify import do_notify

    url = reverse("data:share-request", args=[req.pk])
    for user in users:
        do_notify(actor=actor, user=user, title=title, body=req.number, url=url, channels=())


def _holders(role: str, department: Department | None = None) -> list:
    from yiwang.core.models import User

    qs = User.objects.filter(is_active=True, role_assignments__role=role)
    if department is not None:
        qs = qs.filter(org_unit__department=department)
    return list(qs.distinct()[:50])


def _grant(*, actor, request: ShareRequest) -> tuple[ShareGrant, ApiClientCredentials]:
    """Issue the grant and its dedicated API client for a granted request."""
    creds = do_create_api_client(
        actor=actor,
        name=f"{request.consumer_system}（{request.consumer.name}）"[:120],
        scopes=[SCOPE],
        org_unit=request.requested_by.org_unit,
    )
    tz = timezone.get_current_timezone()
    grant = ShareGrant.objects.create(
        request=request,
        resource=request.resource,
        consumer=request.consumer,
        client=creds.client,
        fields=list(request.fields),
        purpose=request.purpose[:2000],
        rate_per_minute=settings.YIWANG.get("SHARE_RATE_PER_MINUTE", 600),
        starts_at=dt.datetime.combine(request.starts_on, dt.time.min, tzinfo=tz),
        expires_at=dt.datetime.combine(
            request.ends_on + dt.timedelta(days=1), dt.time.min, tzinfo=tz
        ),
    )
    audit.record(
        actor=actor,
        action="data.share.grant",
        obj=grant,
        purpose=request.purpose[:200],
        change={
            "request": request.number,
            "resource": request.resource.code,
            "fields": grant.fields,
            "client_id": creds.client_id,
            "expires_at": grant.expires_at,
        },
    )
    return grant, creds


@transaction.atomic
def do_request_share(
    *,
    actor,
    resource: DataResource,
    fields: list[str],
    purpose: str,
    legal_basis: str,
    consumer_system: str,
    starts_on: dt.date | None,
    ends_on: dt.date | None,
) -> ShareOutcome:
    """共享申请: a consuming department's data steward asks for items of a published
    resource. 无条件共享 is granted at once, 不予共享 refused at once with the resource's
    legal reason, 有条件共享 goes to the provider then the bureau on the workflow."""
    access.require_steward(actor, _("只有数据专员可以提出共享申请。"))
    consumer = _department_of(actor)
    cleaned = _clean(resource, fields, purpose, legal_basis, consumer_system, starts_on, ends_on)
    assert starts_on is not None and ends_on is not None, "_clean refuses a missing date"
    from yiwang.core.numbering import next_number

    req = ShareRequest.objects.create(
        number=next_number(consumer.division.code, "GXSQ"),
        resource=resource,
        consumer=consumer,
        consumer_system=consumer_system.strip(),
        fields=cleaned["fields"],
        purpose=purpose.strip(),
        legal_basis=legal_basis.strip(),
        starts_on=starts_on,
        ends_on=ends_on,
        status=ShareRequest.Status.PROVIDER_REVIEW,
        requested_by=actor,
    )
    out = ShareOutcome(request=req)
    now = timezone.now()
    if resource.share_type == ShareType.UNCONDITIONAL:
        req.status = ShareRequest.Status.GRANTED
        req.reason = _("无条件共享，自动授权。")
        req.decided_at = now
    elif resource.share_type == ShareType.NONE:
        req.status = ShareRequest.Status.REFUSED
        req.reason = resource.no_share_basis or _("该资源为不予共享类，未说明依据，请联系提供方。")
        req.decided_at = now
    else:
        req.case = do_start_case(
            actor=actor,
            workflow_code=WORKFLOW,
            title=_("共享申请 %(number)s：%(resource)s")
            % {"number": req.number, "resource": resource.name},
            division=resource.provider.division,
            department=resource.provider,
            applicant=actor,
            subject=req,
        )
    req.save()
    audit.record(
        actor=actor,
        action="data.share.request",
        obj=req,
        purpose=req.purpose[:200],
        change={
            "resource": resource.code,
            "share_type": resource.share_type,
            "fields": req.fields,
            "system": req.consumer_system,
            "status": req.status,
        },
    )
    if req.status == ShareRequest.Status.GRANTED:
        out.grant, out.credentials = _grant(actor=actor, request=req)
    elif req.status == ShareRequest.Status.PROVIDER_REVIEW:
        _tell(
            actor,
            _holders("data_steward", resource.provider),
            bilingual(lambda: _("待答复的共享申请：%s") % resource.name),
            req,
        )
    return out


@transaction.atomic
def do_decide_share(
    *, actor, request: ShareRequest, action: str, comment: Text = ""
) -> ShareOutcome:
    """Take a workflow action on a conditional request (提供方同意/不同意, 大数据局授权/不予共享,
    撤回); the request's status follows the case; a grant is issued on 授权."""
    req = ShareRequest.objects.select_for_update().get(pk=request.pk)
    if req.case is None:
        raise ValidationError(_("该申请无需审核。"), code="no_case")
    case = do_transition(actor=actor, case=req.case, action_code=action, comment=comment)
    said = str(comment or "").strip()  # the Chinese of the platform's note (its demo)
    req.status = case.state
    out = ShareOutcome(request=req)
    if case.closed_at is not None:
        req.decided_at = case.closed_at
        req.reason = said
    req.save(update_fields=["status", "decided_at", "reason"])
    audit.record(
        actor=actor,
        action="data.share.decide",
        obj=req,
        change={"action": action, "status": req.status, "comment": said[:500]},
    )
    if req.status == ShareRequest.Status.GRANTED:
        out.grant, out.credentials = _grant(actor=actor, request=req)
    if req.status == ShareRequest.Status.BUREAU_REVIEW:
        _tell(
            actor,
            _holders("bureau_admin"),
            bilingual(lambda: _("待审核的共享申请：%s") % req.resource.name),
            req,
        )
    elif case.closed_at is not None and req.requested_by_id != getattr(actor, "pk", None):
        _tell(
            actor,
            [req.requested_by],
            bilingual(lambda: _("共享申请已办结：%s") % req.get_status_display()),
            req,
        )
    for f in ShareRequest._meta.concrete_fields:
        setattr(request, f.attname, getattr(req, f.attname))
    return out


@transaction.atomic
def do_revoke_grant(*, actor, grant: ShareGrant, reason: str) -> ShareGrant:
    """收回授权: the grant stops at once and its client's tokens are withdrawn."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("请填写收回授权的理由。")}, code="required")
    access.require_revoke(actor, grant)
    row = ShareGrant.objects.select_for_update().get(pk=grant.pk)
    if row.revoked_at is not None:
        raise ValidationError(_("该授权已收回。"), code="already_revoked")
    row.revoked_at = timezone.now()
    row.save(update_fields=["revoked_at"])
    app_id = row.client.application_id
    for rt in get_refresh_token_model().objects.filter(application_id=app_id, revoked__isnull=True):
        rt.revoke()
    get_access_token_model().objects.filter(application_id=app_id).delete()
    audit.record(
        actor=actor,
        action="data.share.revoke",
        obj=row,
        change={"reason": reason[:500], "client": row.client_id},
    )
    grant.revoked_at = row.revoked_at
    return grant


def seed_demo_sharing(*, actor=None) -> dict:
    """Demo share requests: an unconditional one granted, a conditional one waiting at
    the bureau after the provider agreed, a refused one; returns the client secrets of
    the grants so the demo can call the exchange gateway."""
    from yiwang.core.actions.users import do_create_staff
    from yiwang.core.models import OrgUnit, User

    def steward(line: str) -> User:
        unit = OrgUnit.objects.filter(department__code=f"410800-{line}", division="410800").first()
        if unit is None:
            raise LookupError(line)
        found = User.objects.filter(org_unit=unit, role_assignments__role="data_steward").first()
        return found or do_create_staff(
            actor=actor,
            username=f"steward-{line}".replace("_", "-"),
            full_name=_("数据专员"),
            org_unit=unit,
            roles=["data_steward"],
            password=None,
            validate=False,
        )

    def live(registry: str) -> DataResource | None:
        return DataResource.objects.filter(registry=registry, status="published").first()

    today = timezone.localdate()
    end = today + dt.timedelta(days=365)
    out: dict[str, Any] = {"requests": [], "clients": []}
    consumer = steward("civil_affairs")
    credit = live("legal_entity") or live("credit")
    if credit is not None:
        res = do_request_share(
            actor=consumer,
            resource=credit,
            fields=list(credit.items.values_list("name", flat=True)[:4]),
            purpose=_("低保审核中核对申请人名下企业"),
            legal_basis=_("《社会救助暂行办法》第十一条"),
            consumer_system="social-assistance",
            starts_on=today,
            ends_on=end,
        )
        out["requests"].append(res.request.number)
        if res.credentials:
            out["clients"].append(
                {"client_id": res.credentials.client_id, "secret": res.credentials.client_secret}
            )
    person = live("person")
    if person is not None:
        provider = steward(person.provider.line)
        pending = do_request_share(
            actor=consumer,
            resource=person,
            fields=["公民身份号码", "姓名"],
            purpose=_("救助对象身份核验"),
            legal_basis=_("《政务数据共享条例》第十四条"),
            consumer_system="social-assistance",
            starts_on=today,
            ends_on=end,
        ).request
        do_decide_share(
            actor=provider,
            request=pending,
            action="provider_agree",
            comment=bilingual(lambda: _("同意核验用途。")),
        )
        out["requests"].append(pending.number)
        refused = do_request_share(
            actor=consumer,
            resource=person,
            fields=["公民身份号码", "住址", "联系电话"],
            purpose=_("批量获取居民联系方式"),
            legal_basis=_("内部工作需要"),
            consumer_system="outreach",
            starts_on=today,
            ends_on=end,
        ).request
        do_decide_share(
            actor=provider,
            request=refused,
            action="provider_refuse",
            comment=bilingual(
                lambda: _("用途不明确，联系电话和住址超出必要范围（最小必要原则）。")
            ),
        )
        out["requests"].append(refused.number)
    return out
