"""派单规则 page: which department handles each matter, by default (the category's line at
the ticket's county, else the city) and where a rule names another department for an
area; the duty supervisor adds or replaces rules."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _

from yiwang.core.access import has_perm
from yiwang.core.errors import status_of
from yiwang.core.forms import add_errors
from yiwang.hotline import access
from yiwang.hotline.actions.categories import do_set_routing_rule
from yiwang.hotline.forms import RoutingRuleForm
from yiwang.hotline.models import RoutingRule
from yiwang.hotline.queries import taxonomy_tree


@login_required
def routing(request: HttpRequest) -> HttpResponse:
    """派单规则: the matter tree with each matter's line and the rules that override it."""
    access.require_perm(request.user, "hotline.view", _("您无权查看派单规则。"))
    can_edit = has_perm(request.user, "hotline.supervise")
    form = RoutingRuleForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        access.require_perm(
            request.user, "hotline.supervise", _("只有 12345 值班长可以维护派单规则。")
        )
        if form.is_valid():
            try:
                do_set_routing_rule(actor=request.user, **form.cleaned_data)
            except ValidationError as exc:
                add_errors(form, exc)
                status = status_of(exc)
            else:
                messages.success(request, _("派单规则已保存。"))
                return redirect("hotline:routing")
        else:
            status = 400
    rules: dict[int, list[RoutingRule]] = {}
    for rule in RoutingRule.objects.select_related("division", "department"):
        rules.setdefault(rule.category_id, []).append(rule)
    groups = [
        (
            t["node"],
            rules.get(t["node"].pk, []),
            [
                (
                    g["node"],
                    rules.get(g["node"].pk, []),
                    [(c, rules.get(c.pk, [])) for c in g["leaves"]],
                )
                for g in t["groups"]
            ],
        )
        for t in taxonomy_tree(active=True)
    ]
    context = {
        "groups": groups,
        "can_edit": can_edit,
        "form": form,
    }
    return render(request, "hotline/routing.html", context, status=status)


urlpatterns = [path("routing/", routing, name="routing")]
