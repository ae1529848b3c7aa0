"""The page kit: one stylesheet and no inline styles, the field and error-summary
partials, status tags, summary lists, empty states, and the keyset paginator (游标分页)
with the data table that uses it."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from urllib.parse import parse_qsl, unquote

import pytest
from django import forms
from django.db import connection
from django.template import Context, Template
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

import yiwang
from yiwang.core.models import Notification
from yiwang.core.paging import KeysetPaginator

pytestmark = pytest.mark.django_db


def render(source: str, **context) -> str:
    return Template("{% load kit %}" + source).render(Context(context))


# ---- one stylesheet ---------------------------------------------------------------


def test_templates_carry_no_style_blocks_or_inline_styles():
    root = Path(yiwang.__file__).parent
    offenders = [
        str(t.relative_to(root))
        for t in root.rglob("templates/**/*.html")
        if re.search(r"<style|\sstyle=", t.read_text())
    ]
    assert offenders == []


def test_stylesheet_defines_tokens_and_elder_scale(client):
    css = (Path(yiwang.__file__).parent / "web/static/web/site.css").read_text()
    for token in ("--colour-accent", "--space-4", "--text-xl", "--elder-scale", "--target-min"):
        assert f"{token}:" in css
    assert "body.elder { font-size: calc(var(--font-base) * var(--elder-scale))" in css


# ---- field and error summary ------------------------------------------------------


class AskForm(forms.Form):
    name = forms.CharField(label="姓名", help_text="与身份证一致")
    kind = forms.ChoiceField(
        label="类型", choices=[("a", "甲"), ("b", "乙")], widget=forms.RadioSelect
    )
    agree = forms.BooleanField(label="我已阅读须知")


def test_field_ties_hint_and_error_to_the_input():
    form = AskForm({"name": ""})
    assert not form.is_valid()
    html = render("{% field form.name %}", form=form)
    assert '<label for="id_name">姓名' in html
    assert '<span class="hint" id="id_name-hint">与身份证一致</span>' in html
    assert 'id="id_name-error"' in html and "这个字段是必填项。" in html
    assert 'aria-describedby="id_name-hint id_name-error"' in html
    assert 'aria-invalid="true"' in html
    assert 'class="field invalid"' in html


def test_field_groups_choices_in_a_fieldset_and_puts_checkboxes_first():
    form = AskForm({"name": "张三"})
    form.is_valid()
    group = render("{% field form.kind %}", form=form)
    assert group.lstrip().startswith("<fieldset") and "<legend" in group
    assert 'aria-describedby="id_kind-error"' in group
    check = render("{% field form.agree %}", form=form)
    assert check.index('type="checkbox"') < check.index("<label")
    clean = render("{% field form.name %}", form=AskForm())
    assert "aria-invalid" not in clean and 'aria-describedby="id_name-hint"' in clean


def test_error_summary_links_each_field_and_keeps_plain_messages():
    form = AskForm({"name": ""})
    form.is_valid()
    form.add_error(None, "整体出错")
    html = render('{% error_summary form "另有一条" %}', form=form)
    assert 'role="alert"' in html and 'tabindex="-1"' in html and "data-error-summary" in html
    assert 'id="error-summary"' in html and "<h2" in html
    assert '<a href="#id_name">这个字段是必填项。</a>' in html
    assert '<a href="#id_kind_0">' in html  # a radio group links to its first option
    assert "<li>整体出错</li>" in html and "<li>另有一条</li>" in html


def test_error_summary_dedupes_and_links_mapped_fields_on_request():
    html = render(
        '{% error_summary summary fields link_fields=True prefix="f-" id="form-errors" title="未提交" %}',
        summary=["地址不能为空。", "其他"],
        fields={"address": ["地址不能为空。"]},
    )
    assert html.count("地址不能为空。") == 1
    assert '<a href="#f-address">地址不能为空。</a>' in html
    assert 'id="form-errors"' in html and "未提交" in html
    assert render("{% error_summary none %}", none=[]) == ""


def test_status_tag_summary_list_and_empty_state():
    assert render('{% status_tag "已办结" "ok" %}') == '<strong class="tag ok">已办结</strong>'
    assert 'class="tag "' in render('{% status_tag "x" "<script>" %}')
    html = render(
        '{% summary_list rows id="facts" %}',
        rows=[("姓名", "张三", "/edit/", "修改"), ("电话", "")],
    )
    assert '<dl class="summary-list"' in html and 'id="facts"' in html
    assert '<a href="/edit/">修改<span class="sr-only"> 姓名</span></a>' in html
    assert "<dd>—</dd>" in html
    empty = render('{% empty_state "还没有办件" "提交后会在这里看到" "/new/" "去办理" %}')
    assert "还没有办件" in empty and '<a class="button" href="/new/">去办理</a>' in empty


# ---- keyset paginator -----------------------------------------------------------


@pytest.fixture
def notes(citizen):
    base = timezone.now()
    made = [Notification.objects.create(user=citizen, title=f"消息{i:02d}") for i in range(33)]
    for i, n in enumerate(made):
        # Pairs share a timestamp, so the pk has to break the ties.
        Notification.objects.filter(pk=n.pk).update(created_at=base - timedelta(minutes=i // 2))
    return Notification.objects.filter(user=citizen)


def walk(paginator, params=None):
    seen, pages, params = [], 0, dict(params or {})
    while True:
        page = paginator.get_page(params)
        seen += [n.pk for n in page]
        pages += 1
        if not page.has_next:
            return seen, pages, page
        params = dict(parse_qsl(page.next_url[1:]))
        assert pages < 50


def test_keyset_pages_cover_every_row_once_in_order_without_counting(notes):
    paginator = KeysetPaginator(notes, sorts={"sent": "created_at"}, default="-sent", per_page=5)
    with CaptureQueriesContext(connection) as queries:
        seen, pages, last = walk(paginator)
    expected = list(notes.order_by("-created_at", "-pk").values_list("pk", flat=True))
    assert seen == expected and pages == 7 and len(last) == 3
    assert not any("COUNT(" in q["sql"].upper() for q in queries.captured_queries)
    assert len(queries.captured_queries) == 7  # one query per page


def test_keyset_previous_returns_the_same_page_and_sort_flips(notes):
    paginator = KeysetPaginator(notes, sorts={"sent": "created_at"}, default="-sent", per_page=5)
    first = paginator.get_page({})
    assert not first.has_previous and first.has_next
    second = paginator.get_page({"cursor": first.next_cursor})
    back = paginator.get_page({"cursor": second.previous_cursor})
    assert [n.pk for n in back] == [n.pk for n in first] and not back.has_previous
    assert "sort=sent" in first.sort_url("sent")  # flips the current descending sort
    ascending, _pages, _last = walk(paginator, {"sort": "sent"})
    assert ascending == list(notes.order_by("created_at", "pk").values_list("pk", flat=True))


def test_keyset_ignores_tampered_cursors_and_unknown_sorts(notes):
    paginator = KeysetPaginator(notes, sorts={"sent": "created_at"}, default="-sent", per_page=5)
    first = paginator.get_page({})
    forged = first.next_cursor[:-2] + "xx"
    assert [n.pk for n in paginator.get_page({"cursor": forged})] == [n.pk for n in first]
    odd = paginator.get_page({"sort": "password", "q": "x"})
    assert odd.sort.param == "-sent" and "q=x" in odd.next_url
    # A cursor made for one sort is not reused under another.
    other = paginator.get_page({"cursor": first.next_cursor, "sort": "sent"})
    assert other.sort.param == "sent" and not other.has_previous


def test_messages_page_pages_by_cursor(client, citizen, notes):
    client.force_login(citizen)
    page = client.get(reverse("core:messages")).content.decode()
    assert page.count('<li class="unread">') == 30
    assert 'id="pager-next"' in page and 'id="pager-previous"' not in page
    cursor = unquote(re.search(r'href="\?sort=-sent&amp;cursor=([^"]+)"', page).group(1))
    second = client.get(reverse("core:messages"), {"cursor": cursor}).content.decode()
    assert 'id="pager-previous"' in second and "消息00" not in second


def test_messages_page_empty_state(client, citizen):
    client.force_login(citizen)
    page = client.get(reverse("core:messages")).content.decode()
    assert 'class="empty-state" id="messages-list"' in page and "暂无消息。" in page


# ---- a citizen form on the kit ------------------------------------------------------


def test_online_request_form_shows_error_summary_linked_to_the_field(client, citizen, city):
    client.force_login(citizen)
    r = client.post(reverse("hotline:submit"), {"kind": "complaint", "content": "  "})
    html = r.content.decode()
    assert r.status_code == 400
    assert 'class="error-summary" id="error-summary" role="alert"' in html
    assert '<a href="#content">诉求内容不能为空。</a>' in html
    assert 'aria-describedby="content-hint content-error"' in html
    assert 'aria-invalid="true"' in html and 'value="complaint" selected' in html


def test_my_tickets_is_a_sortable_data_table(client, citizen, city):
    client.force_login(citizen)
    for text in ("武陟县城关镇饭店卫生差", "木城镇路灯坏了"):
        assert (
            client.post(
                reverse("hotline:submit"),
                {"kind": "complaint", "content": text, "category": "060101"},
            ).status_code
            == 302
        )
    html = client.get(reverse("hotline:my")).content.decode()
    assert 'class="data-table" id="my-tickets"' in html
    assert 'aria-sort="descending"' in html and 'href="?sort=submitted"' in html
    assert html.count('<a href="/hotline/my/') == 2
