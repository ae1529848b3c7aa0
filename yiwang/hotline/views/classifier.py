"""分类模型 page (/hotline/classifier/): the 12345 值班长 and the 大数据局管理员 see the
classifier's versions with their held-out figures, accuracy per leaf and per 大类 over
time from agents' labels (ECharts, with the numbers in tables), start a retraining in
the background and roll back to the previous version. Everyone else is refused."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from yiwang.hotline import access, queries
from yiwang.hotline.actions.classifier import (
    do_promote_version,
    do_rollback,
    do_start_retrain,
    enqueue_retrain,
)
from yiwang.hotline.models import Category


def _level1_names() -> dict[str, str]:
    return {
        c["code"]: c["name"]
        for c in Category.objects.filter(parent__isnull=True).values("code", "name")
    }


@login_required
def overview(request: HttpRequest) -> HttpResponse:
    """Versions, figures, accuracy over time; the retrain and rollback buttons."""
    access.require_classifier(request.user)
    versions = queries.classifier_versions()
    accuracy = queries.label_accuracy()
    names = _level1_names()
    for entry in accuracy["level1"]:
        entry["name"] = names.get(entry["code"], entry["code"])
    active = next((v for v in versions if v.status == "active"), None)
    chart = {
        "months": accuracy["months"],
        "series": [{"name": _("全部"), "data": accuracy["overall"]}]
        + [{"name": f"{e['code']} {e['name']}", "data": e["series"]} for e in accuracy["level1"]],
    }
    context = {
        "versions": versions,
        "active": active,
        "training": [v for v in versions if v.status == "candidate"],
        "accuracy": accuracy,
        "chart": chart,
    }
    return render(request, "hotline/classifier.html", context)


@login_required
@require_POST
def retrain(request: HttpRequest) -> HttpResponse:
    """重新训练: a candidate version, trained by the worker; the page shows its stage."""
    access.require_classifier(request.user)
    try:
        version = do_start_retrain(actor=request.user)
    except ValidationError as exc:
        messages.error(request, "; ".join(exc.messages))
    else:
        enqueue_retrain(version)
        messages.success(request, _("已开始训练模型版本 v%d。") % version.number)
    return redirect("hotline:classifier")


@login_required
@require_POST
def rollback(request: HttpRequest) -> HttpResponse:
    """回退 to the version in use before the active one."""
    access.require_classifier(request.user)
    try:
        version = do_rollback(actor=request.user)
    except ValidationError as exc:
        messages.error(request, "; ".join(exc.messages))
    else:
        messages.success(request, _("已回退到模型版本 v%d。") % version.number)
    return redirect("hotline:classifier")


@login_required
@require_POST
def promote(request: HttpRequest, number: int) -> HttpResponse:
    """启用 a chosen version by hand."""
    access.require_classifier(request.user)
    try:
        version = do_promote_version(actor=request.user, number=number)
    except ValidationError as exc:
        messages.error(request, "; ".join(exc.messages))
    else:
        messages.success(request, _("已启用模型版本 v%d。") % version.number)
    return redirect("hotline:classifier")


urlpatterns = [
    path("classifier/", overview, name="classifier"),
    path("classifier/retrain/", retrain, name="classifier-retrain"),
    path("classifier/rollback/", rollback, name="classifier-rollback"),
    path("classifier/<int:number>/promote/", promote, name="classifier-promote"),
]
