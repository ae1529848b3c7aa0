"""诉求分类 (three-level taxonomy): the loader, versions and their differences, the 12345
值班长's pages (and everyone else refused), the refusals of bad input, the categories API,
and ``resolve`` turning an old predicted code into the leaf replacing it."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from yiwang.core.models import AuditEntry
from yiwang.hotline import taxonomy
from yiwang.hotline.actions.taxonomy import (
    do_add_leaf,
    do_edit_leaf,
    do_load_taxonomy,
    do_publish_taxonomy,
    do_set_leaf_active,
    next_code,
)
from yiwang.hotline.models import Category, TaxonomyVersion

pytestmark = pytest.mark.django_db
PAGE = "/hotline/taxonomy/"
NODES = taxonomy.read()["nodes"]
LEAVES = [n for n in NODES if len(n["code"]) == 6]
FIRST = LEAVES[0]


def _leaf_post(**kw) -> dict:
    data = {
        "name": "共享单车乱停放",
        "name_en": "Badly parked shared bikes",
        "description": "共享单车、电动自行车乱停乱放。",
        "description_en": "Shared bicycles left where they block the way.",
        "keywords": "共享单车 单车乱停、电单车，乱停乱放",
        "line": "urban_management",
        "active": "on",
    }
    data.update(kw)
    return data


# --- the loader ---


def test_the_shipped_tree_is_loaded_once_as_version_one(city):
    assert Category.objects.count() == len(NODES)
    assert Category.objects.filter(code__regex=r"^\d{6}$").count() == len(LEAVES)
    first = TaxonomyVersion.objects.get(number=1)
    assert len(first.snapshot) == len(NODES)
    assert {n["code"] for n in first.snapshot} == {n["code"] for n in NODES}
    leaf = Category.objects.get(code=FIRST["code"])
    assert leaf.level == 3 and leaf.parent.level == 2 and leaf.parent.parent.level == 1
    assert leaf.keywords == FIRST["keywords"] and leaf.line == FIRST["line"]


def test_loading_again_changes_nothing_and_keeps_edits_of_activity(city):
    assert do_load_taxonomy(actor=None) == {"created": 0, "updated": 0}
    leaf = Category.objects.get(code=FIRST["code"])
    Category.objects.filter(pk=leaf.pk).update(name="改过的名称", active=False)
    extra = do_add_leaf(actor=None, group=leaf.parent, **_leaf_post(line=leaf.line))
    assert do_load_taxonomy(actor=None) == {"created": 0, "updated": 1}
    leaf.refresh_from_db()
    assert leaf.name == FIRST["name"] and leaf.active is False  # the name back, still off
    assert Category.objects.filter(pk=extra.pk).exists()  # never deletes
    assert AuditEntry.objects.filter(action="hotline.taxonomy.load").exists()


# --- versions ---


def test_publish_snapshots_the_tree_and_lists_what_changed(city, supervisor):
    leaf = Category.objects.get(code=FIRST["code"])
    do_edit_leaf(actor=supervisor, leaf=leaf, **_leaf_post(name="新名称", line=leaf.line))
    added = do_add_leaf(actor=supervisor, group=leaf.parent, **_leaf_post(line=leaf.line))
    version = do_publish_taxonomy(actor=supervisor, note="调整小类")
    assert version.number == 2 and version.published_by == supervisor
    assert len(version.snapshot) == len(NODES) + 1
    change = taxonomy.diff(TaxonomyVersion.objects.get(number=1).snapshot, version.snapshot)
    assert [n["code"] for n in change["added"]] == [added.code]
    assert change["removed"] == []
    edited = {c["code"]: c["fields"] for c in change["changed"]}
    assert set(edited[leaf.code]) >= {"name", "keywords"}
    assert AuditEntry.objects.filter(action="hotline.taxonomy.publish").exists()


def test_publish_needs_a_note(supervisor):
    with pytest.raises(ValidationError) as err:
        do_publish_taxonomy(actor=supervisor, note="  ")
    assert "note" in err.value.message_dict


def test_next_code_follows_the_highest_child(city):
    group = Category.objects.get(code=FIRST["parent"])
    highest = max(int(c.code[-2:]) for c in group.children.all())
    assert next_code(group) == f"{group.code}{highest + 1:02d}"


# --- actions refuse what the pages refuse ---


def test_bad_leaf_input_is_refused_with_every_problem(supervisor):
    leaf = Category.objects.get(code=FIRST["code"])
    with pytest.raises(ValidationError) as err:
        do_edit_leaf(
            actor=supervisor,
            leaf=leaf,
            **_leaf_post(name=" ", keywords="字" * 31, line="nowhere"),
        )
    assert set(err.value.message_dict) == {"name", "keywords", "line"}
    with pytest.raises(ValidationError):
        do_add_leaf(actor=supervisor, group=leaf, **_leaf_post())  # a leaf is no 中类
    with pytest.raises(ValidationError):
        do_set_leaf_active(actor=supervisor, leaf=leaf.parent, active=False)


def test_keywords_split_on_spaces_commas_and_dunhao():
    words = taxonomy.split_keywords("噪音 扰民、夜间施工，广场舞,噪音;  ")
    assert words == ["噪音", "扰民", "夜间施工", "广场舞"]


@pytest.mark.parametrize(
    ("role", "division", "line"),
    [
        ("hotline_agent", "410800", "hotline"),
        ("hotline_handler", "410823", "housing"),
        ("hotline_supervisor", "410823", "big_data"),  # a county's 值班长
        ("leader", "410800", "general_office"),
    ],
)
def test_actions_refuse_everyone_but_the_city_supervisor(make_staff, role, division, line):
    actor = make_staff(role, division, line)
    leaf = Category.objects.get(code=FIRST["code"])
    with pytest.raises(PermissionDenied):
        do_edit_leaf(actor=actor, leaf=leaf, **_leaf_post(line=leaf.line))
    with pytest.raises(PermissionDenied):
        do_publish_taxonomy(actor=actor, note="不该发布")


# --- pages ---


def test_supervisor_sees_the_tree_and_searches_it(client, supervisor):
    client.force_login(supervisor)
    page = client.get(PAGE).content.decode()
    assert f'id="leaf-{FIRST["code"]}"' in page and f'id="node-{FIRST["parent"]}"' in page
    word = FIRST["keywords"][-1]
    found = client.get(PAGE, {"q": word}).content.decode()
    assert f'id="leaf-{FIRST["code"]}"' in found
    other = next(n for n in LEAVES if word not in n["keywords"] and word not in n["name"])
    other_group = next(n for n in NODES if n["code"] == other["parent"])
    if word not in other_group["name"]:
        assert f'id="leaf-{other["code"]}"' not in found
    nothing = client.get(PAGE, {"q": "没有这种说法zzz"}).content.decode()
    assert "没有符合条件的分类" in nothing


def test_supervisor_edits_adds_stops_and_publishes(client, supervisor):
    client.force_login(supervisor)
    leaf = Category.objects.get(code=FIRST["code"])
    form = client.get(f"{PAGE}{leaf.code}/").content.decode()
    assert leaf.name in form and "、".join(leaf.keywords[:2]) in form
    r = client.post(f"{PAGE}{leaf.code}/", _leaf_post(line=leaf.line, keywords="甲 乙、丙"))
    assert r.status_code == 302
    leaf.refresh_from_db()
    assert leaf.name == "共享单车乱停放" and leaf.keywords == ["甲", "乙", "丙"]
    group = leaf.parent
    code = next_code(group)
    r = client.post(f"{PAGE}{group.code}/new/", _leaf_post(line=group.line))
    assert r.status_code == 302
    added = Category.objects.get(code=code)
    assert added.parent == group and added.active
    assert client.post(f"{PAGE}{code}/active/", {"active": "0"}).status_code == 302
    added.refresh_from_db()
    assert added.active is False
    r = client.post(f"{PAGE}versions/", {"note": "新增共享单车小类"})
    assert r.status_code == 302
    versions = client.get(f"{PAGE}versions/").content.decode()
    assert 'id="version-2"' in versions and "新增共享单车小类" in versions
    assert code in versions  # listed as added


def test_bad_input_on_the_pages_is_answered_in_chinese_and_english(client, supervisor):
    client.force_login(supervisor)
    leaf = Category.objects.get(code=FIRST["code"])
    r = client.post(f"{PAGE}{leaf.code}/", _leaf_post(name="", line="nowhere"))
    assert r.status_code == 400
    page = r.content.decode()
    assert "请填写分类名称。" in page and "请选择有承办部门的条线。" in page
    r = client.post(f"{PAGE}{leaf.code}/", _leaf_post(line=leaf.line, keywords="字" * 31))
    assert r.status_code == 400 and "每个关键词不能超过 30 个字符。" in r.content.decode()
    r = client.post(f"{PAGE}versions/", {"note": ""})
    assert r.status_code == 400 and "请填写版本说明。" in r.content.decode()
    client.cookies["django_language"] = "en"
    r = client.post(
        f"{PAGE}{leaf.code}/", _leaf_post(name="", line=leaf.line), HTTP_ACCEPT_LANGUAGE="en"
    )
    assert r.status_code == 400 and "Please enter the category name." in r.content.decode()


def test_unknown_or_wrong_level_codes_are_not_found(client, supervisor):
    client.force_login(supervisor)
    assert client.get(f"{PAGE}999999/").status_code == 404
    assert client.get(f"{PAGE}{FIRST['parent']}/").status_code == 404  # a 中类 is no leaf
    assert client.get(f"{PAGE}{FIRST['code']}/new/").status_code == 404  # nor a leaf a 中类


def test_others_are_refused(client, make_staff, agent, citizen):
    leaf = FIRST["code"]
    others = [
        agent,
        make_staff("hotline_handler", "410823", "housing"),
        make_staff("hotline_supervisor", "410823", "big_data"),
        make_staff("dept_admin", "410800", "market"),
        citizen,
    ]
    for user in others:
        client.force_login(user)
        for url in (PAGE, f"{PAGE}versions/", f"{PAGE}{leaf}/", f"{PAGE}{FIRST['parent']}/new/"):
            assert client.get(url).status_code == 403, (user, url)
        assert client.post(f"{PAGE}{leaf}/", _leaf_post()).status_code == 403
        assert client.post(f"{PAGE}{leaf}/active/", {"active": "0"}).status_code == 403
        assert client.post(f"{PAGE}versions/", {"note": "x"}).status_code == 403
    client.logout()
    r = client.get(PAGE)
    assert r.status_code == 302 and "/login/" in r["Location"]
    assert Category.objects.get(code=leaf).active
    assert TaxonomyVersion.objects.count() == 1


def test_home_links_the_tree_for_the_city_supervisor_only(client, supervisor, agent):
    client.force_login(supervisor)
    assert 'id="taxonomy-link"' in client.get("/hotline/").content.decode()
    client.force_login(agent)
    assert 'id="taxonomy-link"' not in client.get("/hotline/").content.decode()


# --- API and intake ---


def test_categories_api_gives_level_and_keywords(client, citizen):
    client.force_login(citizen)
    tree = client.get("/api/v1/hotline/categories").json()
    top = next(t for t in tree if t["code"] == FIRST["parent"][:2])
    group = next(g for g in top["children"] if g["code"] == FIRST["parent"])
    leaf = next(c for c in group["children"] if c["code"] == FIRST["code"])
    assert (top["level"], group["level"], leaf["level"]) == (1, 2, 3)
    assert leaf["keywords"] == FIRST["keywords"] and leaf["children"] == []
