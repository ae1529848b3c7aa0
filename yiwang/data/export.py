"""目录导出: the catalogue as an Excel workbook with the national metadata columns — one
sheet of resources (数据资源), one of their data items (信息项)."""

from __future__ import annotations

import io

from django.db.models import QuerySet
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font

MAX_ROWS = 100_000


def resource_columns() -> list[tuple[str, object]]:
    """(header, value of a resource) for the resources sheet."""
    return [
        (_("资源代码"), lambda r: r.code),
        (_("版本"), lambda r: r.version),
        (_("资源名称"), lambda r: r.name),
        (_("目录分类"), lambda r: f"{r.catalogue.code} {r.catalogue.name}"),
        (_("目录类别"), lambda r: r.get_kind_display()),
        (_("资源提供方"), lambda r: r.provider.name),
        (_("资源摘要"), lambda r: r.abstract),
        (_("资源格式"), lambda r: r.format),
        (_("共享属性"), lambda r: r.get_share_type_display()),
        (_("共享条件"), lambda r: r.share_condition),
        (_("共享方式"), lambda r: r.share_method),
        (_("不予共享依据"), lambda r: r.no_share_basis),
        (_("开放属性"), lambda r: r.get_open_type_display()),
        (_("开放条件"), lambda r: r.open_condition),
        (_("更新周期"), lambda r: r.get_update_cycle_display()),
        (_("数据级别"), lambda r: r.get_grade_display()),
        (_("一般数据分级"), lambda r: r.level or ""),
        (_("定级日期"), lambda r: r.graded_at.isoformat() if r.graded_at else ""),
        (_("发布日期"), lambda r: r.publish_date.isoformat() if r.publish_date else ""),
        (_("关联资源"), lambda r: "、".join(x.code for x in r.related.all())),
        (_("状态"), lambda r: r.get_status_display()),
    ]


def item_columns() -> list[tuple[str, object]]:
    return [
        (_("资源代码"), lambda i: i.resource.code),
        (_("版本"), lambda i: i.resource.version),
        (_("序号"), lambda i: i.position),
        (_("信息项名称"), lambda i: i.name),
        (_("数据类型"), lambda i: i.data_type),
        (_("数据元编码"), lambda i: i.element.code),
        (_("数据元名称"), lambda i: i.element.name),
        (_("必填"), lambda i: _("是") if i.required else _("否")),
        (_("主键"), lambda i: _("是") if i.is_key else _("否")),
    ]


def _sheet(ws, columns, rows) -> None:
    ws.append([h for h, _f in columns])
    for cell in ws[1]:
        cell.font = Font(bold=True)
    ws.freeze_panes = "A2"
    for row in rows:
        ws.append([f(row) for _h, f in columns])


def catalogue_workbook(resources: QuerySet) -> bytes:
    """The .xlsx bytes of ``resources`` (already scoped and filtered by the caller)."""
    from yiwang.data.models import DataItem

    base = resources
    resources = (
        resources.select_related("catalogue", "provider")
        .prefetch_related("related")
        .order_by("code", "version")[:MAX_ROWS]
    )
    wb = Workbook()
    ws = wb.active
    assert ws is not None, "a new workbook has its sheet"
    ws.title = _("数据资源")
    rows = list(resources)
    _sheet(ws, resource_columns(), rows)
    items = (
        DataItem.objects.filter(resource__in=base.values("pk"))
        .select_related("resource", "element")
        .order_by("resource__code", "resource__version", "position")
    )
    _sheet(wb.create_sheet(_("信息项")), item_columns(), items.iterator(chunk_size=2000))
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
