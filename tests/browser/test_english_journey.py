"""One citizen's journey in English — search, the service guide, the application form,
the case page and the licence wallet: the page's main content holds no Chinese but data
(the names of services, departments, places and people, as the government records them),
at desktop and phone width, with screenshots under test-artifacts/."""

from __future__ import annotations

import re

import pytest

from tests import demo_world
from tests.browser.conftest import ARTIFACTS

pytestmark = pytest.mark.django_db(transaction=True)

CJK_RUN = re.compile(r"[\u3400-\u9fff]+")
VIEWPORTS = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}


def _data_text(world) -> str:
    """Everything the journey may show as data, joined: what the services and licences
    rooms store (事项, 材料, 环节, 申请表 answers, 照面信息 …), departments and divisions,
    the citizen's name and address."""
    from django.apps import apps

    from yiwang.core.models import Department, Division

    parts: list[str] = []
    for label in ("services", "licences"):
        for model in apps.get_app_config(label).get_models():
            parts += [str(row) for row in model.objects.values()]
    for licence in world.licences:  # encrypted at rest: read through the model
        parts += [licence.holder_name, str(licence.data)]
    parts += Department.objects.values_list("name", flat=True)
    parts += Division.objects.values_list("name", flat=True)
    parts += [world.citizen.full_name, demo_world.ADDRESS]
    return "\n".join(parts)


def _chinese_left(page, data: set[str]) -> list[str]:
    """Chinese runs in the main content that are not data. The platform's own notes in
    the case history (流转记录) are stored in both languages, so they count too."""
    text = page.locator("main").inner_text()
    return sorted(set(CJK_RUN.findall(text)) - data)


@pytest.mark.parametrize("width", list(VIEWPORTS))
def test_citizen_journey_in_english(browser, live_server, settings, tmp_path, width):
    settings.MEDIA_ROOT = tmp_path / "media"
    world = demo_world.build()
    data = set(
        CJK_RUN.findall(_data_text(world))
    )  # whole runs, so UI words inside data still count
    ARTIFACTS.mkdir(exist_ok=True)
    context = browser.new_context(
        base_url=live_server.url, locale="en-GB", viewport=VIEWPORTS[width]
    )
    context.add_cookies([{"name": "django_language", "value": "en", "url": live_server.url}])
    page = context.new_page()
    page.set_default_timeout(15000)
    left: dict[str, list[str]] = {}

    def check(step: str) -> None:
        page.screenshot(path=str(ARTIFACTS / f"english-journey-{width}-{step}.png"), full_page=True)
        found = _chinese_left(page, data)
        if found:
            left[step] = found
        width_px = page.evaluate("document.documentElement.scrollWidth")
        assert width_px <= VIEWPORTS[width]["width"], (step, width_px)

    try:
        page.goto("/login/")
        page.locator("#login-form input[name=username]").fill(demo_world.CITIZEN)
        page.locator("#login-form input[name=password]").fill(demo_world.PASSWORD)
        with page.expect_navigation():
            page.locator("#login-form button[type=submit]").click()
        assert page.locator("html").get_attribute("lang") == "en"

        page.goto("/services/items/")
        check("search")
        page.locator(f"a[href='/services/items/{demo_world.INSTANT_ITEM}/']").first.click()
        page.wait_for_url(f"**/services/items/{demo_world.INSTANT_ITEM}/")
        check("guide")
        page.locator(f"a[href='/services/items/{demo_world.INSTANT_ITEM}/apply/']").first.click()
        page.wait_for_url("**/apply/")
        check("apply")
        page.goto(f"/services/my/{world.applications[0].number}/")
        check("my-case")
        page.goto("/licences/wallet/")
        check("wallet")
        page.goto(f"/licences/wallet/{world.licences[0].pk}/")
        check("licence")
    finally:
        context.close()
    assert left == {}, left
