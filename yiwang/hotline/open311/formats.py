"""Open311 GeoReport v2 output (接口数据格式): one nested value rendered as JSON or as the
spec's schemaless XML, with W3C timestamps and the spec's error list.

The JSON side follows the spec's Spark convention (a container element holds an array of
one repeated child), so the XML is produced from the same value: a list under key ``k``
becomes ``<k><child>…</child>…</k>`` with the child name from ``CHILDREN``.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from typing import Any
from xml.etree import ElementTree as ET

from django.http import HttpResponse
from django.utils import timezone

FORMATS = ("json", "xml")
CONTENT_TYPES = {
    "json": "application/json; charset=utf-8",
    "xml": "text/xml; charset=utf-8",
}
XML_DECLARATION = '<?xml version="1.0" encoding="utf-8"?>\n'
# Container element → its repeated child (GeoReport v2 and Service Discovery pages).
CHILDREN = {
    "services": "service",
    "service_requests": "request",
    "attributes": "attribute",
    "values": "value",
    "endpoints": "endpoint",
    "formats": "format",
    "errors": "error",
}


def w3c(value: dt.datetime | dt.date | None) -> str | None:
    """A W3C datetime with the local offset, e.g. ``2026-05-04T09:30:00+08:00``; a date
    (全程时限 is a date) becomes the end of that day."""
    if value is None:
        return None
    if not isinstance(value, dt.datetime):
        value = dt.datetime.combine(value, dt.time(23, 59, 59))
        value = timezone.make_aware(value)
    return timezone.localtime(value).replace(microsecond=0).isoformat()


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value) if math.isfinite(value) else ""
    return str(value)


def _fill(parent: ET.Element, key: str, value: Any) -> None:
    node = ET.SubElement(parent, key)
    if isinstance(value, list):
        child = CHILDREN[key]
        for item in value:
            if isinstance(item, dict):
                _fill_dict(ET.SubElement(node, child), item)
            else:
                ET.SubElement(node, child).text = _text(item)
    elif isinstance(value, dict):
        _fill_dict(node, value)
    elif value is not None:
        node.text = _text(value)


def _fill_dict(node: ET.Element, data: dict) -> None:
    for key, value in data.items():
        _fill(node, key, value)


def to_xml(root: str, data: dict | list) -> str:
    """The spec's XML for ``data`` under ``root`` (a list's items become ``CHILDREN[root]``
    elements), with the UTF-8 declaration the spec asks for."""
    node = ET.Element(root)
    if isinstance(data, list):
        child = CHILDREN[root]
        for item in data:
            _fill_dict(ET.SubElement(node, child), item)
    else:
        _fill_dict(node, data)
    return XML_DECLARATION + ET.tostring(node, encoding="unicode")


def render(fmt: str, root: str, data: dict | list, status: int = 200) -> HttpResponse:
    """An HTTP response of ``data`` in ``fmt`` (json or xml) with the spec's content type."""
    if fmt == "json":
        body = json.dumps(data, ensure_ascii=False, allow_nan=False)
    else:
        body = to_xml(root, data)
    response = HttpResponse(body.encode("utf-8"), status=status, content_type=CONTENT_TYPES[fmt])
    response["Cache-Control"] = "no-store" if status >= 400 else "no-cache"
    return response


def errors(fmt: str, status: int, descriptions: list[str]) -> HttpResponse:
    """The spec's error list: ``[{"code": status, "description": …}]`` or
    ``<errors><error><code/><description/></error></errors>``."""
    items = [{"code": status, "description": d} for d in descriptions if d] or [
        {"code": status, "description": str(status)}
    ]
    return render(fmt, "errors", items, status=status)
