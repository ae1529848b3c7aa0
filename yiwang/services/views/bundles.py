"""一件事一次办 pages: the published bundles, the combined form (each field once, each
same-name material once, 免证 marked, what the platform knows filled in — 免填写 — with
the same pickers as a single item's form), and one submission with its parts' progress."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from yiwang.core.errors import refused
from yiwang.core.http import AuthenticatedHttpRequest
from yiwang.core.identity import assurance
from yiwang.services import access, widgets
from yiwang.services.actions.applications import applicant_from_account
from yiwang.services.actions.bundles import (
    bundle_items,
    bundle_status,
    combined_fields,
    do_apply_bundle,
    material_groups,
    wrong_kind_message,
)
from yiwang.services.formdata import bound_fields
from yiwang.services.models import Bundle
from yiwang.services.prefill import bundle_answers
from yiwang.services.queries import application_row, with_case
from yiwang.services.views.applications import _applicant_user, upload_context


def bundle_rows(qs) -> list[dict]:
    """一件事 submissions as lists show them, with the combined status."""
    out = []
    for b in qs.select_related("bundle").prefetch_related("parts"):
        out.append(
            {
                "number": b.number,
                "name": b.bundle.name,
                "submitted_at": b.submitted_at,
                "completed_at": b.completed_at,
                "status": bundle_status(b, list(b.parts.all())),
            }
        )
    return out


def published_bundles():
    return Bundle.objects.filter(published=True).prefetch_related("parts__item__department")


def bundles(request: HttpRequest) -> HttpResponse:
    """一件事一次办: the published life and enterprise events, with their items."""
    rows = []
    for b in published_bundles():
        items = [bi.item for bi in b.parts.all()]
        rows.append(
            {
                "b": b,
                "items": items,
                "departments": sorted({i.department.name for i in items}),
                "days": max((i.promised_days or 0 for i in items), default=0),
            }
        )
    return render(
        request,
        "services/bundles/list.html",
        {"rows": rows, "can_apply": access.may_apply(request.user)},
    )


def _group_rows(groups, errors):
    return [
        {
            "group": g,
            "key": g.key,
            "errors": errors.get(g.key, []),
            "items": sorted({n.spec.item.name for n in g.needs}),
        }
        for g in groups
    ]


@login_required
def bundle_apply(request: AuthenticatedHttpRequest, code: str) -> HttpResponse:
    """The combined form of a 一件事: one submission, one application per item."""
    _applicant_user(request)
    bundle = published_bundles().filter(code=code).first()
    if bundle is None:
        raise Http404(_("未找到该一件事，或它尚未发布。"))
    if not assurance.is_verified(request.user):
        return assurance.refusal_page(request, _("在线申请"))
    applicant = applicant_from_account(request.user)
    items = bundle_items(bundle)
    blocked = wrong_kind_message(bundle, items, applicant.kind)
    summary: list[str] = []
    field_errors: dict[str, list[str]] = {}
    status = 200
    fields = combined_fields(bundle, items)
    posted = request.method == "POST"
    sent = widgets.collapse(fields, request.POST) if posted else None
    if posted and not widgets.is_refresh(request.POST):
        try:
            submission = do_apply_bundle(
                actor=request.user,
                bundle=bundle,
                form_data=sent,
                uploads=request.FILES,
            )
        except ValidationError as exc:
            summary, field_errors, status = refused(exc)
        else:
            messages.success(
                request,
                ngettext(
                    "「%(name)s」已提交，共 %(n)d 个事项分送各部门办理，编号 %(number)s。",
                    "「%(name)s」已提交，共 %(n)d 个事项分送各部门办理，编号 %(number)s。",
                    len(items),
                )
                % {"name": bundle.name, "n": len(items), "number": submission.number},
            )
            return redirect("services:my-bundle", number=submission.number)
    groups, _per_item = material_groups(items, applicant)
    # 免填写 as on a single item's form: what the platform knows, on the first showing.
    known = {} if posted or blocked else bundle_answers(request.user, items)
    values = sent if posted else {name: k.value for name, k in known.items()}
    context = {
        "bundle": bundle,
        "items": items,
        "blocked": blocked,
        "fields": widgets.decorate(bound_fields(fields, values, field_errors), known),
        "prefilled": bool(known),
        "groups": _group_rows(groups, field_errors),
        "summary": summary,
        **upload_context(),
    }
    return render(request, "services/bundles/apply.html", context, status=status)


@login_required
def my_bundle(request: HttpRequest, number: str) -> HttpResponse:
    """One 一件事 submission: the combined status and each part's progress."""
    submission = (
        access.bundle_applications(request.user)
        .select_related("bundle")
        .filter(number=number)
        .first()
    )
    if submission is None:
        raise Http404(_("未找到该一件事办件，或它不属于您。"))
    own = submission.applicant_id == request.user.pk
    parts_qs = (
        submission.parts.all() if own else access.applications(request.user, submission.parts.all())
    )
    parts = list(with_case(parts_qs).order_by("id"))
    today = timezone.localdate()
    return render(
        request,
        "services/bundles/detail.html",
        {
            "s": submission,
            "status": bundle_status(submission, parts),
            "parts": [application_row(p, today) for p in parts],
            "own": own,
        },
    )


urlpatterns = [
    path("bundles/", bundles, name="bundles"),
    path("bundles/<str:code>/apply/", bundle_apply, name="bundle-apply"),
    path("my/bundles/<str:number>/", my_bundle, name="my-bundle"),
]
