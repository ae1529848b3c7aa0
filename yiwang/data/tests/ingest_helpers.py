"""Files with a known mix of good and bad person rows, in every supported format."""

from __future__ import annotations

import csv
import io
import json
from itertools import islice

from yiwang.core.synth import CitySynth

HEADER = ["公民身份号码", "姓名", "性别", "出生日期", "户籍区划", "联系电话"]
GOOD = 6


def people(n: int, seed: int = 7) -> list[dict]:
    return list(islice(CitySynth(seed).people(n), n))


def person_row(p: dict) -> list[str]:
    return [
        p["id_number"],
        p["full_name"],
        "1" if p["sex"] == "M" else "2",
        p["birth_date"].isoformat(),
        p["division"],
        p["phone"],
    ]


def mixed_rows() -> tuple[list[list[str]], dict[int, str], list[dict]]:
    """Rows (header excluded), {row number: expected reason code} for the bad ones, and
    the people behind them (for building fixes)."""
    ps = people(GOOD + 6)
    rows = [person_row(p) for p in ps[:GOOD]]
    bad: dict[int, str] = {}

    def add(row: list[str], code: str) -> None:
        rows.append(row)
        bad[len(rows)] = code

    r = person_row(ps[6])
    r[0] = r[0][:17] + ("0" if r[0][17] != "0" else "1")
    add(r, "id_check")
    r = person_row(ps[7])
    r[1] = ""
    add(r, "required")
    r = person_row(ps[8])
    r[4] = "419999"
    add(r, "unknown_division")
    add(person_row(ps[0]), "duplicate_key")
    r = person_row(ps[9])
    r[3] = "2001-01-01"
    add(r, "birth_date_mismatch")
    r = person_row(ps[10])
    r[5] = "12345"
    add(r, "mobile_format")
    return rows, bad, ps


def fixed_rows(bad: dict[int, str], ps: list[dict]) -> list[list[str]]:
    """Corrected versions of the bad rows, with the 行号 column first."""
    replacement = people(1, seed=99)[0]
    out = []
    for n, code in bad.items():
        p = replacement if code == "duplicate_key" else ps[n - 1]
        out.append([str(n), *person_row(p)])
    return out


def as_csv(header: list[str], rows: list[list[str]], encoding: str = "utf-8") -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(header)
    w.writerows(rows)
    return buf.getvalue().encode(encoding)


def as_xlsx(header: list[str], rows: list[list[str]]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.worksheet.worksheet import Worksheet

    book = Workbook()
    sheet = book.active
    assert isinstance(sheet, Worksheet)
    sheet.append(header)
    for r in rows:
        sheet.append(r)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def as_json(header: list[str], rows: list[list[str]], wrapped: bool = False) -> bytes:
    records = [dict(zip(header, r, strict=True)) for r in rows]
    doc = {"records": records} if wrapped else records
    return json.dumps(doc, ensure_ascii=False).encode()


def encode(fmt: str, header: list[str], rows: list[list[str]]) -> tuple[str, bytes]:
    if fmt == "csv-utf8":
        return "people.csv", as_csv(header, rows, "utf-8-sig")
    if fmt == "csv-gbk":
        return "people-gbk.csv", as_csv(header, rows, "gbk")
    if fmt == "xlsx":
        return "people.xlsx", as_xlsx(header, rows)
    return "people.json", as_json(header, rows, wrapped=True)


def civil_affairs_people_resource(data_city):
    """A published civil-affairs resource that also lands in the person registry (民政
    holds names and ID numbers too, but is not their authoritative source)."""
    from yiwang.data.models import DataElement, DataItem, DataResource

    base = data_city.resource("person")
    resource = DataResource.objects.create(
        code="301-0099",
        status="published",
        catalogue=base.catalogue,
        kind=base.kind,
        name="婚姻登记当事人信息",
        provider=data_city.department("410800", "civil_affairs"),
        registry="person",
        share_type="conditional",
        open_type="none",
        update_cycle="monthly",
        grade="general",
    )
    for i, (name, code, field, required, key) in enumerate(
        [
            ("公民身份号码", "DE00001", "id_number", True, True),
            ("姓名", "DE00002", "name", True, False),
        ],
        start=1,
    ):
        element = DataElement.objects.get(code=code)
        DataItem.objects.create(
            resource=resource,
            position=i,
            name=name,
            data_type=element.data_type,
            element=element,
            field=field,
            required=required,
            is_key=key,
        )
    return resource
