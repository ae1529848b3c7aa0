"""Data room home (数据资源): tiles with live counts linking to the catalogue, data
elements, ingestion, conflicts, share requests and objections, and a data steward's
to-dos for their department. Tiles of areas not installed are hidden."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import NoReverseMatch, path, reverse
from django.utils.translation import gettext as _

from yiwang.core.access import has_perm, require
from yiwang.data import access
from yiwang.data.actions.catalogue import grade_review_cutoff


def url_or_none(name: str) -> str | None:
    """The URL of ``name`` when that page exists, else None (its tile is hidden)."""
    try:
        return reverse(name)
    except NoReverseMatch:
        return None


def tiles(user) -> list[dict]:
    """The home tiles the user may open: label, live count, link."""
    from yiwang.data.models import DataElement

    specs = [
        (
            "data:catalogue",
            _("已发布数据资源"),
            lambda: access.resources(user).filter(status="published").count(),
            _("政务数据目录：浏览、检索和导出"),
        ),
        (
            "data:elements",
            _("数据元"),
            lambda: DataElement.objects.count(),
            _("一数一源一标准"),
        ),
        (
            "data:batches",
            _("归集批次"),
            lambda: access.batches(user).count(),
            _("数据归集与质量"),
        ),
        (
            "data:conflicts",
            _("待处理冲突"),
            lambda: access.conflicts(user).filter(status="open").count(),
            _("与权威来源不一致的数据"),
        ),
        (
            "data:share-requests",
            _("待办共享申请"),
            lambda: (
                access.share_requests(user)
                .filter(status__in=("provider_review", "bureau_review"))
                .count()
            ),
            _("共享申请与授权"),
        ),
        (
            "data:objections",
            _("待处理异议"),
            lambda: access.objections(user).filter(outcome="").count(),
            _("数据异议核查"),
        ),
        (
            "data:registries",
            _("基础库"),
            lambda: len(access.registry_codes(user)),
            _("人口、法人、信用、空间地理"),
        ),
    ]
    out = []
    for name, label, count, hint in specs:
        url = url_or_none(name)
        if url is None:
            continue
        out.append(
            {
                "id": name.split(":")[1],
                "url": url,
                "label": label,
                "count": count(),
                "hint": hint,
            }
        )
    return out


def steward_todos(user) -> list[dict]:
    """A steward's to-dos in their department's catalogue: drafts to submit, returned
    entries to fix, published ones due for regrading."""
    from yiwang.data.models import DataResource

    if not has_perm(user, "data.manage"):
        return []
    mine = access.manageable_resources(user).select_related("provider")
    st = DataResource.Status
    todos = []
    for r in mine.filter(status__in=(st.DRAFT, st.RETURNED)).order_by("-updated_at")[:20]:
        todos.append(
            {
                "resource": r,
                "what": _("退回修改") if r.status == st.RETURNED else _("草稿待提交"),
            }
        )
    for r in mine.filter(status=st.PUBLISHED, graded_at__lt=grade_review_cutoff())[:20]:
        todos.append({"resource": r, "what": _("需复核定级")})
    return todos


def reviews(user) -> list:
    """Submitted entries waiting for the bureau's review (reviewers only)."""
    from yiwang.data.models import DataResource

    if not has_perm(user, "data.review"):
        return []
    return list(
        access.resources(user)
        .filter(status=DataResource.Status.SUBMITTED)
        .select_related("provider")
        .order_by("updated_at")[:20]
    )


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """The data room's landing page for staff with ``data.view``."""
    require(request.user, "data.view")
    return render(
        request,
        "data/home.html",
        {
            "tiles": tiles(request.user),
            "todos": steward_todos(request.user),
            "reviews": reviews(request.user),
        },
    )


urlpatterns: list = [path("", home, name="home")]
