"""数据冲突 → 数据异议 → 更正 in a real browser: civil affairs objects to the authority's
value, public security corrects it, the record shows the new version and its history."""

from __future__ import annotations

PASSWORD = "Jz-test-pass-2026"
IDN = "11010519491231002X"


def test_conflict_objection_and_correction(page, shot, make_staff, login):
    from django.db import transaction

    from yiwang.core.models import Department
    from yiwang.data.actions.standards import do_seed_data_standards
    from yiwang.data.models import Conflict, DataResource, Person
    from yiwang.data.registry import apply_rows, derive

    do_seed_data_standards(actor=None)
    resource = DataResource.objects.get(registry="person", status="published")
    for line, name in (("public_security", "张三"), ("civil_affairs", "张山")):
        with transaction.atomic():
            apply_rows(
                registry="person",
                rows=[derive("person", {"id_number": IDN, "name": name})],
                resource=resource,
                department=Department.objects.get(code=f"410800-{line}"),
            )
    conflict = Conflict.objects.get()
    make_staff("data_steward", "410800", "civil_affairs", username="mzsteward")
    make_staff("data_steward", "410800", "public_security", username="gasteward")

    login("mzsteward")
    page.goto("/data/conflicts/")
    shot("data-conflicts")
    with page.expect_navigation():
        page.locator(f'tr[data-id="{conflict.pk}"] a').click()
    page.get_by_label("异议理由（必填）").fill("婚姻登记档案记载为张山。")
    with page.expect_navigation():
        page.get_by_role("button", name="对权威值提出异议").click()
    assert page.locator("#objection-state").inner_text() == "权威部门核实"
    number = page.locator("h1 small").inner_text()
    shot("data-objection-raised")

    page.get_by_role("button", name="退出").click()
    login("gasteward")
    page.goto("/data/objections/?status=open")
    row = page.get_by_role("row").filter(has_text=number)
    assert "权威部门核实" in row.inner_text()
    with page.expect_navigation():
        row.get_by_role("link", name=number).click()
    page.get_by_label("办理意见").fill("经核对户籍档案，已更正。")
    with page.expect_navigation():
        page.get_by_role("button", name="核实有误并更正").click()
    assert page.locator("#objection-outcome").inner_text() == "已更正"
    shot("data-objection-corrected")

    person = Person.objects.get()
    assert (person.name, person.version) == ("张山", 2)
    page.goto(f"/data/registries/person/{person.pk}/")
    assert page.locator("#version").inner_text() == "2"
    assert "数据异议更正" in page.locator("#history").inner_text()
    assert IDN not in page.content()
    shot("data-registry-record")
