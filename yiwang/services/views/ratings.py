"""好差评 pages: the applicant rates a finished 办件; a visitor rates a window visit with
five large buttons (no account needed, elder-friendly); a window clerk issues the visit's
number and QR code; staff follow 差评整改 (list, detail with actions); everyone sees the
published statistics per department and per item (per staff member for staff only)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from yiwang.core import masking
from yiwang.core.access import has_perm
from yiwang.core.errors import refused, status_of
from yiwang.core.forms import add_errors
from yiwang.core.http import AuthenticatedHttpRequest
from yiwang.core.identity.totp import qr_svg_data_uri
from yiwang.core.inbox import case_events
from yiwang.services import access
from yiwang.services.actions.ratings import (
    do_act_rectification,
    do_issue_visit_ticket,
    do_rate_application,
    do_rate_visit,
    find_visit,
    rectification_actions,
)
from yiwang.services.forms import (
    RateApplicationForm,
    RateVisitForm,
    RectificationActForm,
    RevealForm,
    SentForm,
    VisitIssueForm,
)
from yiwang.services.models import Level, Rating, ServiceItem, WindowVisit
from yiwang.services.queries import (
    MINE_RELATED,
    filtered_rectifications,
    parse_period,
    rating_row,
    visit_rate_url,
)
from yiwang.services.stats import published_stats, published_summary, rating_stats

STATUS_FILTERS = ("open", "overdue", "closed")
TABLE_ROWS = 100
# Levels as the rating buttons show them: value, label, a short hint for the eye.
LEVEL_BUTTONS = [
    (Level.VERY_SATISFIED, "★★★★★"),
    (Level.SATISFIED, "★★★★"),
    (Level.BASIC, "★★★"),
    (Level.DISSATISFIED, "★★"),
    (Level.VERY_DISSATISFIED, "★"),
]


def level_buttons() -> list[dict]:
    return [{"value": int(v), "label": v.label, "stars": stars} for v, stars in LEVEL_BUTTONS]


def _url(name: str, *args) -> str:
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return ""


# --- rating a finished 办件 ---


@login_required
def rate_application(request: HttpRequest, number: str) -> HttpResponse:
    """评价 a finished 办件 (the applicant, once)."""
    application = (
        access.own_applications(request.user)
        .select_related("item", "case", "department")
        .filter(number=number)
        .first()
    )
    if application is None:
        raise Http404(_("未找到该办件，或您无权查看。"))
    status = 200
    form = RateApplicationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            do_rate_application(
                actor=request.user,
                application=application,
                level=form.cleaned_data["level"],
                comment=form.cleaned_data["comment"],
            )
        except ValidationError as exc:
            add_errors(form, exc)
            status = status_of(exc)
        except PermissionDenied as exc:
            form.add_error(None, str(exc))
            status = 403
        else:
            messages.success(request, _("感谢您的评价！"))
            return redirect("services:rate-application", number=application.number)
    rating = Rating.objects.filter(application=application).first()
    case = application.case
    done = bool(case and case.closed_at and case.state in ("completed", "not_accepted"))
    return render(
        request,
        "services/ratings/rate_application.html",
        {
            "application": application,
            "rating": rating,
            "done": done,
            "form": form,
            "levels": level_buttons(),
            "back_url": _url("services:my-application", application.number),
        },
        status=status,
    )


# --- window visits ---


def rate_visit(request: HttpRequest, visit_number: str) -> HttpResponse:
    """评价 a window visit: public, five large buttons; the rating code comes from the QR
    code (``?t=``) or the clerk's evaluation screen."""
    visit = find_visit(visit_number)  # an unknown number is a 404
    status = 200
    link_token = request.GET.get("t", "")[:64]
    form = RateVisitForm(request.POST or None, initial={"t": link_token})
    token = form.token(link_token)
    if request.method == "POST" and form.is_valid():
        try:
            do_rate_visit(
                actor=request.user,
                visit_number=visit.number,
                level=form.cleaned_data["level"],
                comment=form.cleaned_data["comment"],
                channel="window" if request.user.pk == visit.clerk_id else "app",
                token=token,
                contact_phone=form.cleaned_data["contact_phone"],
            )
        except ValidationError as exc:
            add_errors(form, exc)
            status = status_of(exc)
        except PermissionDenied as exc:
            form.add_error(None, str(exc))
            status = 403
        else:
            messages.success(request, _("感谢您的评价！"))
            url = reverse("services:rate-visit", args=[visit.number])
            return redirect(f"{url}?t={token}" if token else url)
    rating = Rating.objects.filter(visit_number=visit.number).first()
    allowed = access.may_rate_visit(request.user, visit, token)
    return render(
        request,
        "services/ratings/rate_visit.html",
        {
            "visit": visit,
            "rating": rating,
            "allowed": allowed,
            "form": form,
            "levels": level_buttons(),
        },
        status=status,
    )


@login_required
def visit_issue(request: AuthenticatedHttpRequest) -> HttpResponse:
    """发放窗口服务编号: the clerk picks the item served; the number and QR code follow."""
    access.require_window_clerk(request.user, _("窗口服务编号由窗口人员发放。"))
    items = access.public_items().filter(level=ServiceItem.Level.HANDLING).order_by("code")
    if request.method == "POST":
        form = VisitIssueForm(request.POST, items=items)
    else:
        form = VisitIssueForm(initial={"item": request.GET.get("item", "")[:40]}, items=items)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                visit = do_issue_visit_ticket(actor=request.user, **form.cleaned_data)
            except ValidationError as exc:
                add_errors(form, exc)
                status = status_of(exc)
            else:
                return redirect("services:visit", number=visit.number)
    recent = WindowVisit.objects.filter(clerk=request.user).select_related("item")[:10]
    return render(
        request,
        "services/ratings/visit_issue.html",
        {
            "form": form,
            "recent": recent,
            "rated": set(
                Rating.objects.filter(visit_number__in=[v.number for v in recent]).values_list(
                    "visit_number", flat=True
                )
            ),
        },
        status=status,
    )


@login_required
def visit_ticket(request: AuthenticatedHttpRequest, number: str) -> HttpResponse:
    """The visit's number and QR code, for the clerk to show or print."""
    access.require_window_clerk(request.user, _("窗口服务编号由窗口人员发放。"))
    visit = (
        WindowVisit.objects.select_related("item", "department")
        .filter(number=number, clerk=request.user)
        .first()
    )
    if visit is None:
        raise Http404(_("未找到该窗口服务记录。"))
    link = visit_rate_url(visit, absolute=True)
    return render(
        request,
        "services/ratings/visit_ticket.html",
        {
            "visit": visit,
            "link": link,
            "qr": qr_svg_data_uri(link),
            "screen_url": reverse("services:rate-visit", args=[visit.number]),
            "rating": Rating.objects.filter(visit_number=visit.number).first(),
        },
    )


# --- my ratings ---


@login_required
def my_ratings(request: AuthenticatedHttpRequest) -> HttpResponse:
    """我的评价: the ratings a citizen or enterprise gave, with the department's reply."""
    qs = Rating.objects.filter(rater=request.user).select_related(*MINE_RELATED)
    page = Paginator(qs, 20).get_page(request.GET.get("page"))
    rows = [rating_row(r, staff_view=False, reply=True) for r in page.object_list]
    return render(request, "services/ratings/mine.html", {"page": page, "rows": rows})


# --- 差评整改 ---


def _staff_only(request: HttpRequest) -> None:
    if not access.is_staff(request.user):
        raise PermissionDenied(_("差评整改仅对工作人员开放。"))


@login_required
def rectifications(request: HttpRequest) -> HttpResponse:
    """差评整改 list of the staff member's jurisdiction; overdue ones marked."""
    _staff_only(request)
    status = request.GET.get("status", "open")
    status = status if status in STATUS_FILTERS else ""
    page = Paginator(filtered_rectifications(request.user, status), 50).get_page(
        request.GET.get("page")
    )
    today = timezone.localdate()
    return render(
        request,
        "services/ratings/rectifications.html",
        {
            "page": page,
            "rows": [rating_row(r, today) for r in page.object_list],
            "status": status,
            "query": f"status={status}",
        },
    )


def _rater_label(r: Rating) -> str:
    if r.rater is not None:
        return masking.mask_name(r.rater.full_name or r.rater.username)
    return _("匿名（窗口评价器或扫码评价）")


@login_required
def rectification(request: HttpRequest, pk: int) -> HttpResponse:
    """One 差评 and its rectification: the rating, the deadline, the history and the
    actions open to the user."""
    _staff_only(request)
    rating = filtered_rectifications(request.user, "").filter(pk=pk).first()
    if rating is None:
        raise Http404(_("未找到该差评整改，或您无权查看。"))
    status = 200
    phone = masking.mask_phone(rating.contact_phone) if rating.contact_phone else ""
    actions = rectification_actions(request.user, rating)
    form = RectificationActForm(actions=actions)
    sent = SentForm(request.POST, names=["reveal"]).sent if request.method == "POST" else ""
    reveal = RevealForm(
        request.POST if sent else None, purpose=_("差评回访"), hidden=True, auto_id="reveal-%s"
    )
    if sent == "reveal" and reveal.is_valid():
        try:
            phone = masking.reveal(
                request.user, rating, "contact_phone", reveal.cleaned_data["purpose"]
            )
        except PermissionDenied as exc:
            reveal.add_error(None, str(exc))
            status = refused(exc).status
    elif request.method == "POST":
        form = RectificationActForm(request.POST, actions=actions)
        status = 400
        if form.is_valid():
            try:
                do_act_rectification(
                    actor=request.user,
                    rating=rating,
                    action=form.cleaned_data["action"],
                    comment=form.cleaned_data["comment"][:2000],
                )
            except ValidationError as exc:
                add_errors(form, exc)
                status = status_of(exc)
            except PermissionDenied as exc:
                form.add_error(None, str(exc))
                status = refused(exc).status
            else:
                messages.success(request, _("已办理。"))
                return redirect("services:rectification", pk=rating.pk)
        rating = filtered_rectifications(request.user, "").get(pk=pk)
        actions = rectification_actions(request.user, rating)
    context: dict[str, Any] = {
        "r": rating,
        "row": rating_row(rating, reply=True),
        "rater": _rater_label(rating),
        "applicant_id": masking.mask_id_number(rating.applicant_id_number or ""),
        "phone": phone,
        "can_reveal": bool(rating.contact_phone) and has_perm(request.user, "personal.unmask"),
        "actions": actions,
        "form": form,
        "reveal_form": reveal,
        "events": case_events(rating.rectification),
        "application_url": _url("services:staff-application", rating.application.number)
        if rating.application_id
        else "",
    }
    return render(request, "services/ratings/rectification.html", context, status=status)


# --- published statistics ---


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def stats_rows(lines) -> list[dict]:
    return [
        {
            **line.as_dict(),
            "good_pct": _pct(line.good_rate),
            "rectify_pct": _pct(line.rectify_rate),
            "average_text": "—" if line.average is None else f"{line.average:.2f}",
        }
        for line in lines
    ]


def ratings_stats(request: HttpRequest) -> HttpResponse:
    """好差评公开: per department and per item over a period, with a chart; the table per
    staff member only for staff (their jurisdiction)."""
    start, end, errors = parse_period(request.GET.get("start", ""), request.GET.get("end", ""))
    departments = published_stats("department", start=start, end=end)
    items = published_stats("item", start=start, end=end)
    staff_rows = None
    if access.is_staff(request.user):
        staff_rows = stats_rows(
            rating_stats("staff", start=start, end=end, qs=access.staff_ratings(request.user))
        )[:TABLE_ROWS]
    chart = {
        "x": [line.name for line in departments[:20]],
        "good": [line.good for line in departments[:20]],
        "bad": [line.bad for line in departments[:20]],
        "labels": {"good": _("好评（非常满意、满意、基本满意）"), "bad": _("差评")},
    }
    total = published_summary(start=start, end=end)
    return render(
        request,
        "services/ratings/stats.html",
        {
            "start": start,
            "end": end,
            "errors": errors,
            "total": stats_rows([total])[0],
            "departments": stats_rows(departments)[:TABLE_ROWS],
            "items": stats_rows(items)[:TABLE_ROWS],
            "staff_rows": staff_rows,
            "chart": chart,
            "is_staff": access.is_staff(request.user),
            "can_issue": access.is_window_clerk(request.user),
        },
        status=400 if errors else 200,
    )


urlpatterns = [
    path("ratings/", ratings_stats, name="ratings"),
    path("ratings/mine/", my_ratings, name="my-ratings"),
    path("my/<str:number>/rate/", rate_application, name="rate-application"),
    path("rate/visit/<str:visit_number>/", rate_visit, name="rate-visit"),
    path("visits/new/", visit_issue, name="visit-issue"),
    path("visits/<str:number>/", visit_ticket, name="visit"),
    path("rectifications/", rectifications, name="rectifications"),
    path("rectifications/<int:pk>/", rectification, name="rectification"),
]
