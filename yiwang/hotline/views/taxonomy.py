"""诉求分类维护 pages (/hotline/taxonomy/): the three-level tree with leaf counts and a
search over names and keywords, the 小类 edit and add forms, 停用/启用, and the versions
(发布新版本 with a note; each version with what changed since the one before). Only the
city's 12345 值班长 reaches them (``access.require_edit_taxonomy``)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from yiwang.core.errors import status_of
from yiwang.core.forms import add_errors
from yiwang.hotline import access
from yiwang.hotline.actions import taxonomy as actions
from yiwang.hotline.forms import LeafForm, PublishForm
from yiwang.hotline.models import Category
from yiwang.hotline.queries import line_choices, taxonomy_tree, taxonomy_versions


def _node(code: str, level: int) -> Category:
    """The node of ``level`` with ``code``, or 404."""
    node = Category.objects.select_related("parent__parent").filter(code=code).first()
    if node is None or node.level != level:
        raise Http404(_("没有这个诉求分类。"))
    return node


@login_required
def tree(request: HttpRequest) -> HttpResponse:
    """The tree: 大类 and 中类 collapsible, each with its count of leaves; ``q`` filters."""
    access.require_edit_taxonomy(request.user)
    q = request.GET.get("q", "")[:60]
    nodes = taxonomy_tree(q)
    context = {
        "tree": nodes,
        "q": q,
        "leaves": sum(t["count"] for t in nodes),
        "publish": PublishForm(),
    }
    return render(request, "hotline/taxonomy/tree.html", context)


def _save(form: LeafForm, write) -> tuple[Category | None, int]:
    """Run ``write`` with the form's values: the leaf, or None and the status of refusal."""
    if not form.is_valid():
        return None, 400
    try:
        return write(**form.cleaned_data), 200
    except ValidationError as exc:
        add_errors(form, exc)
        return None, status_of(exc)


@login_required
def edit(request: HttpRequest, code: str) -> HttpResponse:
    """修改小类: names, descriptions, keywords, handling line, 启用."""
    access.require_edit_taxonomy(request.user)
    leaf = _node(code, 3)
    lines = line_choices()
    if request.method != "POST":
        form = LeafForm(initial=LeafForm.initial_of(leaf), lines=lines)
        return _leaf_page(request, form, leaf=leaf)
    form = LeafForm(request.POST, lines=lines)
    saved, status = _save(
        form, lambda **f: actions.do_edit_leaf(actor=request.user, leaf=leaf, **f)
    )
    if saved is None:
        return _leaf_page(request, form, leaf=leaf, status=status)
    messages.success(request, _("小类“%s”已保存。") % saved.name)
    return redirect("hotline:taxonomy")


@login_required
def add(request: HttpRequest, code: str) -> HttpResponse:
    """新增小类 under the 中类 ``code``, with its next free code."""
    access.require_edit_taxonomy(request.user)
    group = _node(code, 2)
    lines = line_choices()
    if request.method != "POST":
        form = LeafForm(initial={"line": group.line, "active": True}, lines=lines)
        return _leaf_page(request, form, group=group)
    form = LeafForm(request.POST, lines=lines)
    saved, status = _save(
        form, lambda **f: actions.do_add_leaf(actor=request.user, group=group, **f)
    )
    if saved is None:
        return _leaf_page(request, form, group=group, status=status)
    messages.success(
        request, _("已新增小类 %(code)s %(name)s。") % {"code": saved.code, "name": saved.name}
    )
    return redirect("hotline:taxonomy")


def _leaf_page(request, form, *, leaf=None, group=None, status: int = 200) -> HttpResponse:
    group = group or leaf.parent
    context = {"form": form, "leaf": leaf, "group": group, "top": group.parent}
    return render(request, "hotline/taxonomy/leaf.html", context, status=status)


@login_required
@require_POST
def set_active(request: HttpRequest, code: str) -> HttpResponse:
    """停用 or 启用 a leaf (``active`` = "1" or "0"); a leaf is never deleted."""
    access.require_edit_taxonomy(request.user)
    leaf = _node(code, 3)
    active = request.POST.get("active") == "1"
    actions.do_set_leaf_active(actor=request.user, leaf=leaf, active=active)
    done = _("小类“%s”已启用。") if active else _("小类“%s”已停用。")
    messages.success(request, done % leaf.name)
    return redirect("hotline:taxonomy")


@login_required
def versions(request: HttpRequest) -> HttpResponse:
    """诉求分类版本 with their changes; POST publishes a new version with a note."""
    access.require_edit_taxonomy(request.user)
    form = PublishForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                version = actions.do_publish_taxonomy(
                    actor=request.user, note=form.cleaned_data["note"]
                )
            except ValidationError as exc:
                add_errors(form, exc)
                status = status_of(exc)
            else:
                messages.success(request, _("已发布诉求分类第 %d 版。") % version.number)
                return redirect("hotline:taxonomy-versions")
        else:
            status = 400
    context = {"form": form, "versions": taxonomy_versions()}
    return render(request, "hotline/taxonomy/versions.html", context, status=status)


urlpatterns = [
    path("taxonomy/", tree, name="taxonomy"),
    path("taxonomy/versions/", versions, name="taxonomy-versions"),
    path("taxonomy/<str:code>/", edit, name="taxonomy-leaf"),
    path("taxonomy/<str:code>/new/", add, name="taxonomy-add"),
    path("taxonomy/<str:code>/active/", set_active, name="taxonomy-active"),
]
