"""The demo city's journeys in a real browser, four ways: desktop, a 390 px phone, 长辈版
on the phone and English. Each walk does what a citizen and the staff behind them do on
day one: the home page (search and 常用服务, or the elder tiles and the 12345 call),
search, 个体工商户设立登记 applied for and approved by 秒批, 出生登记 applied for and
taken by the police bureau's window and approver to 办结, the citizen's own case pages
(the applicant's view, in plain words), the licence wallet with its verification link on
the served address and 亮证, 谁用了我的数据 from 个人中心, the 12345 form's place
picker, 预约 at the city hall, and the clerk's workbench counting what the inbox holds. Every page is checked
for sideways scrolling (and in English for Chinese that is not data); screenshots go to
test-artifacts/journeys/<way>/."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests import demo_world
from tests.browser.conftest import ARTIFACTS
from tests.browser.test_english_journey import CJK_RUN, _data_text
from tests.test_citizen_plain_words import INTERNAL, VisibleText

pytestmark = pytest.mark.django_db(transaction=True)

DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
COUNTY = "410823"  # 武陟县, where the demo staff work
INDIVIDUAL = f"{COUNTY}-XK-0102-01"  # 个体工商户设立登记: 秒批
BIRTH = f"{COUNTY}-QR-0203-01"  # 出生登记: window and approver of the police bureau
VISIT_ITEM = "410800-GG-0201-01"  # 居住证申领: 预约 a visit to the city's hall
CLERK = "wuzhi_police_window_clerk"
APPROVER = "wuzhi_police_approver"
COMMENT = "经审查，符合条件。"  # what the staff write on each step
FORWARD = ("accept", "review", "approve")  # steps forward, in the workflow's order
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@dataclass(frozen=True)
class Way:
    """One way of using the platform: viewport, 长辈版 and language."""

    name: str
    viewport: dict
    elder: bool = False
    language: str = "zh-hans"

    @property
    def locale(self) -> str:
        return "en-GB" if self.language == "en" else "zh-CN"


WAYS = [
    Way("desktop", DESKTOP),
    Way("phone", PHONE),
    Way("elder", PHONE, elder=True),
    Way("english", DESKTOP, language="en"),
]


@dataclass
class Walk:
    """A browser context in one way, checking every page it opens."""

    browser: object
    url: str
    way: Way
    world: demo_world.DemoWorld
    pdf: Path
    data: set[str] = field(default_factory=set)
    page: object = None
    context: object = None
    problems: dict[str, list[str]] = field(default_factory=dict)

    def learn_data(self) -> None:
        """In English, what the walk may show as data (see test_english_journey)."""
        if self.way.language == "en":
            from yiwang.core.models import User

            people = " ".join(User.objects.values_list("full_name", flat=True))
            self.data = set(CJK_RUN.findall(f"{_data_text(self.world)} {people} {COMMENT}"))

    def open(self) -> None:
        self.close()
        self.context = self.browser.new_context(
            base_url=self.url,
            locale=self.way.locale,
            viewport=self.way.viewport,
            is_mobile=self.way.viewport is PHONE,
            has_touch=self.way.viewport is PHONE,
        )
        cookies = [{"name": "django_language", "value": self.way.language, "url": self.url}]
        if self.way.elder:
            cookies.append({"name": "yiwang_elder", "value": "1", "url": self.url})
        self.context.add_cookies(cookies)
        self.page = self.context.new_page()
        self.page.set_default_timeout(15000)

    def close(self) -> None:
        if self.context is not None:
            self.context.close()
            self.context = None

    def sign_in(self, username: str) -> None:
        self.open()
        self.page.goto("/login/")
        self.page.locator("#login-form input[name=username]").fill(username)
        self.page.locator("#login-form input[name=password]").fill(demo_world.PASSWORD)
        with self.page.expect_navigation():
            self.page.locator("#login-form button[type=submit]").click()

    def visit(self, path: str):
        response = self.page.goto(path)
        assert response is not None and response.status < 400, (path, response)
        return response

    def check(self, step: str, *, citizen: bool = False) -> None:
        """The open page fits the screen, is in the walk's language and, for a citizen,
        shows no internal code."""
        folder = ARTIFACTS / "journeys" / self.way.name
        folder.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(folder / f"{step}.png"), full_page=True)
        found: list[str] = []
        scroll = self.page.evaluate("document.documentElement.scrollWidth")
        if scroll > self.way.viewport["width"]:
            found.append(f"scrolls sideways: {scroll} px")
        lang = (self.page.locator("html").get_attribute("lang") or "").lower()
        if not lang.startswith(self.way.language[:2]):
            found.append(f"lang={lang}")
        if self.way.language == "en":
            # a masked name (李*斌) shows single characters of data
            text = re.sub(r"\S\*+\S?", " ", self.page.locator("main").inner_text())
            found += [f"Chinese: {w}" for w in sorted(set(CJK_RUN.findall(text)) - self.data)]
        if citizen:
            parser = VisibleText()
            parser.feed(self.page.content())
            text = " ".join(parser.parts)
            found += [
                f"{what}: {m.group(0)}" for what, rx in INTERNAL.items() for m in rx.finditer(text)
            ]
        if found:
            self.problems[step] = found


# --- steps ---------------------------------------------------------------------------


def home(walk: Walk) -> None:
    """The home page: in 长辈版 large tiles for the eight most used services and a
    one-tap 12345 call; otherwise a search box and 常用服务 on the service hall."""
    page = walk.page
    walk.visit("/")
    walk.check("home")
    if walk.way.elder:
        assert page.locator("#elder-services a").count() >= 8
        assert page.locator("#elder-call").get_attribute("href") == "tel:12345"
        return
    walk.visit("/services/")
    assert page.locator("#popular li").count() > 0
    page.locator("#hall-q").fill("餐饮")
    with page.expect_navigation():
        page.locator("#hall-search-go").click()
    walk.check("search")
    assert page.locator("a[href*='/services/bundles/']").count() > 0, "一件事 not found"


def fill_application(walk: Walk, item, who) -> None:
    """Answer every 申请表 question as a valid applicant and supply every upload."""
    from yiwang.services.tests.test_every_item import World, field_value

    w = World(client=None, user=who, kind="person")
    answers = {f["name"]: field_value(f, w, item) for f in item.form_fields or []}
    walk.page.evaluate(
        """(answers) => {
          for (const [name, value] of Object.entries(answers)) {
            for (const el of document.querySelectorAll(`#apply-form [name="${name}"]`)) {
              if (el.type === "checkbox" || el.type === "radio") { el.checked = el.value === value || value === "1"; continue; }
              if (el.tagName === "SELECT" && ![...el.options].some(o => o.value === value)) {
                el.add(new Option(value, value));
              }
              el.value = value;
            }
          }
        }""",
        answers,
    )
    for upload in walk.page.locator("#apply-form input[type=file]").all():
        upload.set_input_files(str(walk.pdf))


def apply(walk: Walk, code: str, step: str):
    """Open the item's guide, then its form (prefilled where the platform knows the
    answer), submit it and land on the applicant's view of the case."""
    from yiwang.core.models import User
    from yiwang.services.models import Application, ServiceItem

    item = ServiceItem.objects.get(code=code)
    page = walk.page
    walk.visit(f"/services/items/{code}/")
    walk.check(f"{step}-guide", citizen=True)
    page.locator(f"a[href='/services/items/{code}/apply/']").first.click()
    page.wait_for_url("**/apply/")
    walk.check(f"{step}-form", citizen=True)
    citizen = User.objects.get(username=demo_world.CITIZEN)
    phone = page.locator("#apply-form input[type=tel]").first
    if phone.count():
        assert phone.input_value() == citizen.phone, "phone not prefilled"
    fill_application(walk, item, citizen)
    with page.expect_navigation():
        page.locator("#submit-application").click()
    app = Application.objects.filter(item=item, applicant=citizen).order_by("-pk").first()
    assert app is not None, page.locator("main").inner_text()[:600]
    assert page.url.endswith(f"/services/my/{app.number}/")
    walk.learn_data()
    walk.check(f"{step}-case", citizen=True)
    assert page.locator("#note-form, form[action*='note'], input[type=file]").count() == 0
    return app


def wallet(walk: Walk) -> None:
    """The wallet, a licence with its verification link on the served address, and
    亮证: a one-minute code."""
    from yiwang.licences.models import Licence

    page = walk.page
    walk.visit("/licences/wallet/")
    walk.check("wallet", citizen=True)
    page.locator("main tr[data-identifier] th a").first.click()
    page.wait_for_url(re.compile(r"/licences/wallet/\d+/$"))
    walk.check("licence", citizen=True)
    link = page.locator("main a[href*='/licences/verify/?']").first.get_attribute("href") or ""
    assert link.startswith(walk.url), link
    pk = int(page.url.rstrip("/").rsplit("/", 1)[1])
    assert Licence.objects.filter(pk=pk).exists()
    page.locator("#show-licence").click()
    page.wait_for_selector("#show-code")
    assert re.fullmatch(r"\d{4} \d{4}", page.locator("#show-code").inner_text().strip())
    walk.check("show", citizen=True)


def my_data(walk: Walk) -> None:
    """谁用了我的数据, linked from 个人中心, lists the registry checks of the day."""
    page = walk.page
    walk.visit("/me/")
    walk.check("me", citizen=True)
    link = page.locator("a[href='/data/my-data/']").first
    if walk.way.elder:  # 长辈版 keeps 个人中心 to the tiles; the page is one tap further
        assert link.count() == 1
        walk.visit("/data/my-data/")
    else:
        link.click()
        page.wait_for_url("**/data/my-data/")
    walk.check("my-data", citizen=True)
    assert page.locator("main table tbody tr").count() > 0


def book_visit(walk: Walk) -> None:
    """预约: from a guide, a free slot at the city hall, confirmed and listed under 我的预约."""
    page = walk.page
    walk.visit(f"/services/items/{VISIT_ITEM}/")
    with page.expect_navigation():
        page.locator("#book-visit").click()
    walk.check("book", citizen=True)
    page.locator("label.slot:not(.full)").first.click()
    with page.expect_navigation():
        page.locator("#book-go").click()
    assert page.url.endswith("/services/me/bookings/")
    walk.check("bookings", citizen=True)


def hotline_form(walk: Walk) -> None:
    """The 12345 form offers a place picker rather than a typed address only."""
    walk.visit("/hotline/submit/")
    walk.check("hotline-submit", citizen=True)
    assert walk.page.locator("#submit-form [data-division-picker]").count() > 0


def staff_take(walk: Walk, username: str, app, step: str) -> None:
    """A staff member opens the case from their inbox (which the workbench counts) and
    takes each step forward open to them, with a comment that is kept."""
    walk.sign_in(username)
    page = walk.page
    walk.visit("/workbench/")
    walk.check(f"{step}-workbench")
    waiting = int(page.locator("#waiting-count").inner_text())
    assert page.locator("a[href$='/apply/']").count() == 0, "在线申请 shown to staff"
    walk.visit("/inbox/")
    walk.check(f"{step}-inbox")
    rows = page.locator("main tbody tr:has(a)").count()
    assert waiting == rows or waiting > rows >= 1, (waiting, rows)
    page.locator(f"a:has-text('{app.number}')").first.click()
    page.wait_for_load_state()
    walk.check(f"{step}-case")
    taken = 0
    for action in FORWARD:
        button = page.locator(f"#act-{action}")
        if not button.count():
            continue
        page.locator("textarea[name=comment]").fill(COMMENT)
        with page.expect_navigation():
            button.click()
        taken += 1
        walk.check(f"{step}-{action}")
    assert taken, f"{username} could take no step"


def _walk(walk: Walk) -> None:
    from yiwang.services.models import Application

    walk.open()
    home(walk)
    walk.sign_in(demo_world.CITIZEN)
    individual = apply(walk, INDIVIDUAL, "individual")
    individual.refresh_from_db()
    assert individual.outcome == Application.Outcome.APPROVED and individual.licence_identifier
    birth = apply(walk, BIRTH, "birth")
    wallet(walk)
    my_data(walk)
    book_visit(walk)
    hotline_form(walk)
    staff_take(walk, CLERK, birth, "clerk")
    staff_take(walk, APPROVER, birth, "approver")
    birth.refresh_from_db()
    assert birth.flow.state == "completed", birth.flow.state
    assert COMMENT in " ".join(birth.flow.events.values_list("comment", flat=True))
    walk.sign_in(demo_world.CITIZEN)
    walk.visit(f"/services/my/{birth.number}/")
    walk.check("birth-completed", citizen=True)


@pytest.mark.slow
@pytest.mark.parametrize("way", WAYS, ids=[w.name for w in WAYS])
def test_demo_journeys(browser, live_server, settings, tmp_path, way):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.YIWANG = {**settings.YIWANG, "PUBLIC_BASE_URL": live_server.url}  # as yiwang demo
    world = demo_world.build()
    pdf = tmp_path / "材料.pdf"
    pdf.write_bytes(PDF)
    walk = Walk(browser, live_server.url, way, world, pdf)
    walk.learn_data()
    try:
        _walk(walk)
    finally:
        walk.close()
    assert walk.problems == {}, walk.problems
