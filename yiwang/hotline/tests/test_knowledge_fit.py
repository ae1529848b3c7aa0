"""Knowledge answers that fit the matter (答复口径按诉求分类): a noise complaint that
happens to mention a business licence gets the noise answer first — not "how to apply
for a business licence" — in the console's suggestions and in the API, whether the
matter is the ticket's category, the one the agent chose, or the one the classifier
reads in the words; the category's ancestors come next, then the rest by content."""

from __future__ import annotations

import pytest

from yiwang.hotline.classify import classify
from yiwang.hotline.knowledge import search
from yiwang.hotline.models import Category, KnowledgeEntry

pytestmark = pytest.mark.django_db
API = "/api/v1/hotline/knowledge"
NOISE_COMPLAINT = (
    "我家楼下新开了一家饭店，排风扇和风机从早响到晚上十二点，孩子没法睡觉。"
    "我问老板，他说营业执照都办好了。开饭店申请营业执照的时候就没人管噪音吗？"
)


@pytest.fixture
def tree(db):
    """A small matter tree of this test's own (the city's tree is being replaced)."""
    env = Category.objects.create(code="T90", name="生态环境（测试）", line="ecology")
    noise = Category.objects.create(code="T9001", name="噪声扰民（测试）", parent=env)
    market = Category.objects.create(code="T91", name="市场监管（测试）", line="market")
    licence = Category.objects.create(code="T9101", name="证照办理（测试）", parent=market)
    return {"env": env, "noise": noise, "market": market, "licence": licence}


def _entry(city, line: str, question: str, answer: str, category, hits: int = 0, keywords=""):
    from yiwang.hotline.actions.knowledge import do_save_entry

    e = do_save_entry(
        actor=None,
        department=city.department("410800", line),
        question=question,
        answer=answer,
        keywords=keywords,
        category=category,
    )
    KnowledgeEntry.objects.filter(pk=e.pk).update(hits=hits)
    return e


@pytest.fixture
def answers(city, tree):
    return {
        "licence": _entry(
            city,
            "market",
            "开饭店怎么申请营业执照",
            "开饭店申请营业执照：带身份证和经营场所证明到政务服务中心市场监管窗口办理，"
            "餐饮店还需办理食品经营许可证。",
            tree["licence"],
            hits=80,  # the most cited answer of the hall
        ),
        "noise": _entry(
            city,
            "ecology",
            "商铺设备噪声扰民怎么处理",
            "饭店、商铺的排风扇、风机、空调外机等设备噪声影响居民休息的，由生态环境部门"
            "依法监测处理；夜间可先拨打 12345 登记。",
            tree["noise"],
            keywords="噪音 噪声 扰民",
        ),
        "env": _entry(
            city,
            "ecology",
            "生态环境问题的投诉渠道",
            "大气、水、噪音、油烟等环境问题可拨打 12345 或 12369 投诉。",
            tree["env"],
        ),
    }


def test_the_tickets_matter_comes_first_in_the_api(client, agent, answers, tree, take):
    t = take(NOISE_COMPLAINT, category="T9001", address="解放区民主路丰泽园小区")
    client.force_login(agent)
    r = client.get(API, {"ticket": t.number})
    assert r.status_code == 200, r.content
    ids = [row["id"] for row in r.json()]
    assert ids[:2] == [answers["noise"].pk, answers["env"].pk]  # its category, then above
    assert ids.index(answers["licence"].pk) > 1
    # Words alone, with the matter named by the caller: the same order.
    r = client.get(API, {"q": NOISE_COMPLAINT, "category": "T9001"})
    assert r.json()[0]["id"] == answers["noise"].pk
    assert client.get(API, {"ticket": "NOPE-1"}).status_code == 404


def test_the_console_suggests_the_noise_answer_first(client, agent, answers):
    client.force_login(agent)
    html = client.get(
        "/hotline/knowledge/search/", {"q": NOISE_COMPLAINT, "category": "T9001"}
    ).content.decode()
    assert html.index("商铺设备噪声扰民怎么处理") < html.index("开饭店怎么申请营业执照")


def test_without_a_category_the_classifiers_reading_ranks(city, answers, tree):
    """No category chosen yet: the matter the classifier reads in the words decides —
    the noise answer is filed under it, the licence answer elsewhere."""
    guess = classify(NOISE_COMPLAINT)
    assert guess.code, "the classifier reads a matter"
    read = Category.objects.get(code=guess.code)
    KnowledgeEntry.objects.filter(pk=answers["noise"].pk).update(category=read)
    other = Category.objects.exclude(pk=read.pk).exclude(pk=read.parent_id).first()
    KnowledgeEntry.objects.filter(pk=answers["licence"].pk).update(category=other)
    found = search(None, NOISE_COMPLAINT)
    assert found[0] == answers["noise"]


def test_keyword_searches_still_rank_by_words(city, answers):
    """A short keyword search reads no matter: the words alone rank."""
    assert search(None, "营业执照")[0] == answers["licence"]
    assert search(None, "噪声扰民")[0] == answers["noise"]


def test_a_long_message_is_searched_by_what_it_is_about(city, answers):
    """A letter whose opening is pleasantries still finds its answer: it is searched by
    the heaviest words of the whole text."""
    opening = "您好，我是一名退休教师，在这个小区住了二十多年，一直很喜欢这里的环境。" * 8
    found = search(None, opening + NOISE_COMPLAINT, category="T9001")
    assert found and found[0] == answers["noise"]
