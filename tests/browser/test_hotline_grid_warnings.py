"""网格化管理 and 预警信息发布 in a real browser: a grid worker on a phone fills the position
from the browser's geolocation, attaches a photo and reports; the event is dispatched at
once and, after the department answers and the centre concludes, the worker checks it on
the spot. The 值班长 drafts and publishes a warning; anyone reads it on the public page,
its level written in words beside the colour."""

from __future__ import annotations

from pathlib import Path

import pytest

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


pytestmark = pytest.mark.django_db(transaction=True)

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture
def crew(make_staff, city, settings, tmp_path):
    from yiwang.hotline.actions.grid import do_define_grid, do_set_grid_workers

    settings.MEDIA_ROOT = tmp_path / "media"

    class Crew:
        worker = make_staff("grid_worker", "410823", "big_data", username="wz_grid")
        agent = make_staff("hotline_agent", "410800", "hotline", username="hx_agent2")
        supervisor = make_staff("hotline_supervisor", "410800", "hotline", username="hx_sup")
        handler = make_staff("hotline_handler", "410800", "urban_management", username="jz_urban")
        grid = do_define_grid(
            actor=None, code="410823001-01", name="城关镇建设路网格", division="410823001"
        )

    do_set_grid_workers(actor=None, grid=Crew.grid, workers=[Crew.worker])
    return Crew


def test_grid_worker_reports_from_a_phone_and_checks_the_result(browser, live_server, crew):
    from yiwang.hotline.actions import handling as h
    from yiwang.hotline.models import Ticket

    context = browser.new_context(
        base_url=live_server.url,
        locale="zh-CN",
        viewport={"width": 390, "height": 844},
        is_mobile=True,
        has_touch=True,
        geolocation={"longitude": 113.4031, "latitude": 35.0991},
        permissions=["geolocation"],
    )
    page = context.new_page()
    page.set_default_timeout(15000)
    try:
        page.goto("/login/")
        page.get_by_label("用户名").fill("wz_grid")
        page.get_by_label("密码").fill("Jz-test-pass-2026")
        with page.expect_navigation():
            page.locator("#login-form button[type=submit]").click()
        page.goto("/hotline/grid/")
        assert "城关镇建设路网格" in page.locator("#my-grids").inner_text()
        page.get_by_label("事件类型").select_option("report")
        page.get_by_label("情况描述").fill("建设路与人民路口井盖缺失，夜间行人容易掉落")
        page.get_by_label("诉求分类").select_option("010403")
        page.locator("#locate-me").click()
        page.wait_for_function("document.getElementById('f-lat').value !== ''")
        assert page.get_by_label("经度").input_value() == "113.403100"
        assert page.get_by_label("纬度").input_value() == "35.099100"
        page.get_by_label("现场照片").set_input_files(
            {"name": "井盖.png", "mimeType": "image/png", "buffer": PNG}
        )
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "hotline-grid-phone.png"), full_page=True)
        with page.expect_navigation():
            page.locator("#report-go").click()
        assert page.locator("#event-state").inner_text() == "已派单待签收"
        assert "焦作市城市管理局" in page.locator("#event-department").inner_text()
        assert page.locator("#photos img").count() == 1
        t = Ticket.objects.get()
        assert (t.longitude, t.latitude) == (113.4031, 35.0991)

        h.do_sign(actor=crew.handler, ticket=t)
        h.do_reply(actor=crew.handler, ticket=t, result="resolved", reply="已补装井盖")
        h.do_conclude(actor=crew.agent, ticket=t)
        page.reload()
        page.get_by_label("已解决").check()
        page.get_by_label("核查说明").fill("现场已修复")
        with page.expect_navigation():
            page.locator("#verify-go").click()
        assert page.locator("#event-state").inner_text() == "已回访归档"
        assert page.locator("#verify-form").count() == 0
    finally:
        context.close()


def test_supervisor_publishes_a_warning_read_on_the_public_page(page, login, crew, shot):
    login("hx_sup")
    page.goto("/hotline/warnings/")
    page.get_by_label("标题").fill("武陟县暴雨黄色预警")
    page.get_by_label("预警类别").fill("暴雨")
    page.locator("input[name=level][value=yellow]").check()
    page.get_by_label("预警内容与防御指引").fill("预计未来6小时武陟县降雨量将达50毫米以上。")
    page.get_by_label("发布区域").select_option(["410823"])
    with page.expect_navigation():
        page.locator("#draft-go").click()
    with page.expect_navigation():
        page.locator("#publish-go").click()
    assert "发送完毕" in page.locator("#progress-text").inner_text()
    assert page.locator("#warning-state").inner_text() == "已发布"
    # The county's grid worker is among the recipients.
    assert page.locator("#reach-areas td[data-group=grid_workers]").inner_text() == "1 / 1"
    shot("hotline-warning-detail")

    page.context.clear_cookies()
    page.goto("/hotline/warnings/public/")
    card = page.locator("article.warning-card").first
    assert "黄色预警" in card.locator(".level").inner_text()
    assert "武陟县暴雨黄色预警" in card.inner_text()
    assert page.get_by_role("heading", name="武陟县", exact=True).count() == 1
    shot("hotline-warnings-public")
