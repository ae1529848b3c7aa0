"""Forms that do not ask what the government knows, in a real browser, on a desktop and
a 390 px phone: the apply page comes filled in from the account and 人口库, the division
picker lists the next level in place (the no-script 下一级 button is hidden), the 12345
form takes the browser's own position without any map, and 谁用了我的数据 fits the
screen. No page scrolls sideways."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "Jz-test-pass-2026"
SIZES = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def open_page(browser, live_server, size: str, **extra):
    context = browser.new_context(
        base_url=live_server.url, locale="zh-CN", viewport=SIZES[size], **extra
    )
    page = context.new_page()
    page.set_default_timeout(15000)
    return context, page


def sign_in(page, username: str) -> None:
    page.goto("/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    with page.expect_navigation():
        page.locator("#login-form button[type=submit]").click()


def scrolls_sideways(page) -> bool:
    return page.evaluate(
        "document.documentElement.scrollWidth > document.documentElement.clientWidth"
    )


@pytest.fixture
def dibao(city, licence_types, citizen):
    """最低生活保障 of the demo hall, and 张三 in 人口库 (武陟县, with a phone)."""
    from django.db import transaction

    from yiwang.data.actions.standards import do_seed_data_standards
    from yiwang.data.models import DataResource
    from yiwang.data.registry import apply_rows, derive
    from yiwang.services.demo import CITY, seed_services_demo
    from yiwang.services.models import ServiceItem

    do_seed_data_standards(actor=None)
    with transaction.atomic():
        apply_rows(
            registry="person",
            rows=[
                derive(
                    "person",
                    {"id_number": citizen.id_number, "name": "张三", "division": "410823"},
                )
            ],
            resource=DataResource.objects.get(registry="person", status="published"),
            department=city.department("410800", "public_security"),
        )
    seed_services_demo(only={"JF-0302"})
    return ServiceItem.objects.get(code=f"{CITY}-JF-0302-01")


@pytest.mark.parametrize("size", SIZES)
def test_apply_page_is_prefilled_and_the_picker_lists_the_next_level(
    browser, live_server, dibao, citizen, size
):
    from yiwang.core.models import Division
    from yiwang.services.models import Application

    town = Division.objects.filter(parent_id="410822").order_by("code").first()
    context, page = open_page(browser, live_server, size)
    try:
        sign_in(page, citizen.username)
        page.goto(f"/services/items/{dibao.code}/apply/")
        assert page.locator("#prefilled").is_visible()
        assert page.locator("#f-phone").input_value() == citizen.phone
        county = page.locator("#f-division-county")
        assert county.input_value() == "410823"
        assert page.locator("[data-division-next]").is_hidden()
        assert not scrolls_sideways(page)
        county.select_option("410822")
        township = page.locator("#f-division-township")
        township.wait_for()
        assert town.name in township.inner_text()
        township.select_option(town.code)
        page.locator("#f-household_size").fill("2")
        page.locator("#f-monthly_income").fill("500")
        page.locator("#f-reason").fill("无固定收入")
        for i, upload in enumerate(page.locator("input[type=file]").all()):
            upload.set_input_files(
                {"name": f"m{i}.pdf", "mimeType": "application/pdf", "buffer": PDF + bytes([i])}
            )
        assert not scrolls_sideways(page)
        with page.expect_navigation():
            page.locator("#submit-application").click()
        assert Application.objects.get().form_data["division"] == town.code
    finally:
        context.close()


@pytest.mark.parametrize("size", SIZES)
def test_12345_form_takes_the_place_and_the_browsers_position(
    browser, live_server, city, citizen, size
):
    from yiwang.hotline.models import Ticket

    context, page = open_page(
        browser,
        live_server,
        size,
        geolocation={"longitude": 113.064, "latitude": 35.171},
        permissions=["geolocation"],
    )
    try:
        sign_in(page, citizen.username)
        page.goto("/hotline/submit/")
        assert not scrolls_sideways(page)
        page.locator("#place-county").select_option("410822")
        page.locator("#place-township").wait_for()
        page.get_by_label("诉求内容").fill("小区门口路灯不亮，晚上出行不便")
        page.get_by_label("事发地址").fill("幸福路 3 号")
        page.locator("[data-locate]").click()
        page.wait_for_function("document.getElementById('longitude').value !== ''")
        assert "113.064" in page.locator("#locate-status").inner_text()
        assert not scrolls_sideways(page)
        with page.expect_navigation():
            page.locator("#submit-button").click()
        t = Ticket.objects.get()
        assert t.address == "博爱县幸福路 3 号" and float(t.longitude) == pytest.approx(113.064)
    finally:
        context.close()


@pytest.mark.parametrize("size", SIZES)
def test_who_used_my_data_fits_the_screen(browser, live_server, city, citizen, size):
    from yiwang.core import datause

    datause.note(
        subject=citizen.id_number,
        kind="unmask",
        user_label="焦作市民政局",
        what="申请人、证件号码、联系电话",
        purpose="核实最低生活保障申请人身份信息，确认家庭成员与收入情况",
    )
    context, page = open_page(browser, live_server, size)
    try:
        sign_in(page, citizen.username)
        page.goto("/me/")
        with page.expect_navigation():
            page.locator(".data-reads-link").click()
        assert "核实最低生活保障申请人身份信息" in page.locator("#my-data").inner_text()
        assert not scrolls_sideways(page)
    finally:
        context.close()
