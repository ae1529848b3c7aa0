"""12345 in a real browser: an agent takes a call at the console (the knowledge base
answers beside the form), the ticket goes to the responsible county department, which
signs and answers it; the agent checks the answer and concludes it; the caller, with no
account, follows the ticket by its number and query code and rates it."""

import re

import pytest

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def people(make_staff, city):
    from yiwang.hotline.actions.knowledge import do_save_entry

    class People:
        agent = make_staff("hotline_agent", "410800", "hotline", username="hx_agent")
        handler = make_staff("hotline_handler", "410823", "market", username="wz_market")

    do_save_entry(
        actor=None,
        department=city.department("410800", "market"),
        question="饭店卫生差怎么投诉",
        answer="可拨打 12345 或 12315 投诉，市场监管部门将依法查处。",
        keywords="餐饮 卫生 投诉",
    )
    return People


def test_call_to_department_to_citizen_rating(page, shot, login, people):
    login("hx_agent")
    page.goto("/hotline/console/")
    page.get_by_label("诉求类型").select_option("complaint")
    page.get_by_label("诉求内容").fill("武陟县城关镇一家饭店后厨卫生太差，吃完拉肚子，要求查处")
    page.locator("#knowledge-results").get_by_role("heading", name="饭店卫生差怎么投诉").wait_for()
    page.get_by_label("诉求分类").select_option("060101")
    page.get_by_label("地址").fill("武陟县城关镇建设路 12 号")
    page.get_by_label("来电人", exact=True).fill("李女士")
    page.get_by_label("联系电话").fill("13912345678")
    shot("hotline-console")
    with page.expect_navigation():
        page.locator("#take-button").click()
    message = page.locator(".messages").inner_text()
    number = re.search(r"工单编号 (\S+)，", message).group(1)
    code = re.search(r"查询码 (\d{6})", message).group(1)
    assert page.locator("#ticket-state").inner_text().startswith("已派单待签收")
    assert "武陟县市场监督管理局" in page.locator("#ticket-department").inner_text()
    assert "139****5678" in page.locator("#contact").inner_text()
    ticket_url = page.url

    # The county market bureau signs and answers.
    page.context.clear_cookies()
    login("wz_market")
    page.goto("/hotline/department/")
    with page.expect_navigation():
        page.locator("#department-tickets").get_by_role("link", name=number).click()
    with page.expect_navigation():
        page.locator("#sign-button").click()
    page.get_by_label("部分解决").check()
    page.get_by_label("解决", exact=True).check()
    page.get_by_label("答复内容（须填）").fill("已现场检查，责令停业整改并罚款")
    with page.expect_navigation():
        page.locator("#reply-button").click()
    assert page.locator("#ticket-state").inner_text().startswith("已答复待审核")
    shot("hotline-department-reply")

    # The agent checks the answer and concludes.
    page.context.clear_cookies()
    login("hx_agent")
    page.goto(ticket_url)
    with page.expect_navigation():
        page.locator("#conclude-button").click()
    assert page.locator("#ticket-state").inner_text().startswith("已办结待回访")

    # The caller follows the ticket on the public page and rates it, by keyboard.
    page.context.clear_cookies()
    page.goto("/hotline/track/")
    page.get_by_label("工单编号", exact=True).fill(number)
    page.get_by_label("查询码（6 位数字）").fill(code)
    with page.expect_navigation():
        page.locator("#track-button").click()
    assert "已现场检查" in page.locator("#public-reply").inner_text()
    assert "李女士" not in page.content()
    page.get_by_label("满意", exact=True).check()
    page.get_by_label("意见（可选）").fill("处理很快")
    shot("hotline-public-rate")
    page.locator("#rate-button").focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "感谢您的评价" in page.content()
    assert page.locator("#public-state").inner_text() == "已回访归档"
    assert page.locator("#public-satisfaction").inner_text() == "满意"
