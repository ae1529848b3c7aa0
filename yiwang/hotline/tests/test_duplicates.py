"""相似工单 and 合并工单: similar tickets found by words, place and time (unrelated, far
away, old and merged ones not), links made both ways once, merging ends the duplicate's
case as 已合并 and refuses bad merges; the console partial."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from yiwang.core.models import AuditEntry, Case
from yiwang.hotline.actions.duplicates import do_link_similar, do_merge_ticket
from yiwang.hotline.models import Ticket, TicketLink
from yiwang.hotline.similarity import metres, place_score, similar_tickets, words
from yiwang.hotline.tests.synthetic import make_ticket

pytestmark = pytest.mark.django_db

MANHOLE = "建设路与人民路交叉口的井盖丢失了，晚上路过很危险"


@pytest.fixture
def street(city):
    """Tickets of 武陟县 township 001 and around, over the last weeks."""
    now = timezone.now()
    return {
        "a": make_ticket(MANHOLE, created_at=now - dt.timedelta(days=2)),
        "b": make_ticket(
            "建设路和人民路交叉口井盖丢了，晚上很危险", created_at=now - dt.timedelta(hours=5)
        ),
        "loose": make_ticket(
            "人民路建设路口井盖不见了，希望尽快处理", created_at=now - dt.timedelta(hours=1)
        ),
        "food": make_ticket(
            "城关镇一家饭店后厨卫生太差，吃完拉肚子", category="060101", created_at=now
        ),
        "other_county": make_ticket(MANHOLE, division="410822001", created_at=now),
        "old": make_ticket(MANHOLE, created_at=now - dt.timedelta(days=60)),
    }


def test_words_fold_and_drop_stop_words():
    assert {"井盖", "丢失", "危险"} <= words(MANHOLE)
    assert words("井蓋丟失") == words("井盖丢失")
    assert not words("希望尽快处理，谢谢！") - {"谢谢"}


def test_same_text_same_place_found_unrelated_far_and_old_not(street):
    found = similar_tickets("建设路人民路口的井盖丢了，太危险", division="410823001")
    pks = [t.pk for t, _s in found]
    # Said three ways (丢失、丢了、不见了): all listed.
    assert set(pks) == {street["a"].pk, street["b"].pk, street["loose"].pk}
    assert all(0 < s <= 1 for _t, s in found)
    # The same words far away in time or county, or unrelated words here: not listed.
    assert street["food"].pk not in pks and street["old"].pk not in pks
    assert street["other_county"].pk not in pks
    assert street["old"].pk in [
        t.pk for t, _ in similar_tickets(MANHOLE, division="410823001", days=90)
    ]


def test_a_ticket_finds_its_duplicates_but_not_itself(street):
    found = dict(similar_tickets(street["a"]))
    assert street["a"] not in found and street["b"] in found
    assert found[street["b"]] >= 0.8 > found[street["loose"]] > 0
    # Same text, same place scores higher than same text elsewhere in the county.
    make_ticket(MANHOLE, division="410823004", created_at=timezone.now())
    scores = similar_tickets(MANHOLE, division="410823001")
    here = [s for t, s in scores if t.division_id == "410823001" and t.content == MANHOLE]
    there = [s for t, s in scores if t.division_id == "410823004"]
    assert here and there and here[0] > there[0]


def test_category_does_not_narrow_and_merged_tickets_are_left_out(street):
    """One problem is filed under different matters: the category narrows nothing."""
    same = similar_tickets(MANHOLE, division="410823001")
    assert similar_tickets(MANHOLE, division="410823001", category="060101") == same
    Ticket.objects.filter(pk__in=[street["b"].pk, street["loose"].pk]).update(
        merged_into=street["a"]
    )
    pks = [t.pk for t, _ in similar_tickets(MANHOLE, division="410823001")]
    assert pks == [street["a"].pk]


def test_place_within_500_metres_counts_as_same_place():
    assert 250 < metres(113.400, 35.100, 113.403, 35.100) < 300
    near = place_score("410823001", 113.400, 35.100, "410823002", 113.403, 35.100)
    far = place_score("410823001", 113.400, 35.100, "410823002", 113.45, 35.100)
    same_town_far = place_score("410823001", 113.400, 35.100, "410823001", 113.45, 35.1)
    assert near == 1.0 and far == 0.4 and same_town_far == 0.8
    assert place_score("410823", None, None, "410822001", None, None) == 0.0
    assert place_score(None, None, None, "410822001", None, None) == 0.0


def test_link_similar_both_ways_once(street, agent):
    links = do_link_similar(actor=agent, ticket=street["a"])
    assert [lk.other_id for lk in links] == [street["b"].pk]
    assert TicketLink.objects.filter(ticket=street["b"], other=street["a"]).exists()
    assert TicketLink.objects.count() == 2
    do_link_similar(actor=agent, ticket=street["a"])
    assert TicketLink.objects.count() == 2
    # A lower threshold also links the loosely worded one, still once each way.
    do_link_similar(actor=agent, ticket=street["a"], threshold=0.2)
    do_link_similar(actor=agent, ticket=street["a"], threshold=0.2)
    assert TicketLink.objects.filter(ticket=street["a"]).count() == 2
    assert TicketLink.objects.count() == 4
    assert AuditEntry.objects.filter(action="hotline.ticket.link").count() == 2
    assert do_link_similar(actor=agent, ticket=street["food"]) == []
    assert do_link_similar(actor=None, ticket=street["a"], threshold=1.01) == []


def test_link_similar_needs_a_hotline_role(street, citizen):
    with pytest.raises(PermissionDenied):
        do_link_similar(actor=citizen, ticket=street["a"])


def test_merge_moves_the_case_to_merged(take, agent):
    first = take("武陟县城关镇建设路一家饭店后厨卫生太差，吃完拉肚子")
    dup = take("建设路那家饭店卫生太差，我吃完也拉肚子了")
    assert dup.case.state == "dispatched"
    merged = do_merge_ticket(actor=agent, ticket=dup, into=first, comment="同一饭店，并案办理")
    assert merged.merged_into == first
    dup.refresh_from_db()
    assert dup.merged_into_id == first.pk
    case = Case.objects.get(pk=dup.case_id)
    assert case.state == "merged" and case.closed_at is not None
    assert Case.objects.get(pk=first.case_id).state == "dispatched"
    assert TicketLink.objects.get(ticket=dup, other=first).merged
    assert TicketLink.objects.get(ticket=first, other=dup).merged
    assert AuditEntry.objects.filter(action="hotline.ticket.merge", object_id=str(dup.pk)).exists()


def test_merge_without_case_and_bad_merges_refused(street, agent, wuzhi_market):
    a, b, food = street["a"], street["b"], street["food"]
    with pytest.raises(ValidationError) as err:
        do_merge_ticket(actor=agent, ticket=a, into=a, comment="同")
    assert "自己" in err.value.messages[0]
    with pytest.raises(ValidationError):
        do_merge_ticket(actor=agent, ticket=b, into=a, comment=" ")
    with pytest.raises(PermissionDenied):
        do_merge_ticket(actor=wuzhi_market, ticket=b, into=a, comment="同一井盖")
    do_merge_ticket(actor=agent, ticket=b, into=a, comment="同一井盖")
    assert Ticket.objects.get(pk=b.pk).merged_into_id == a.pk
    with pytest.raises(ValidationError) as err:  # into a ticket that is itself merged
        do_merge_ticket(actor=agent, ticket=food, into=b, comment="并")
    assert err.value.code == "target_merged"
    with pytest.raises(ValidationError) as err:  # merging the merged one again
        do_merge_ticket(actor=agent, ticket=b, into=food, comment="并")
    assert err.value.code == "already_merged"
    Ticket.objects.filter(pk=food.pk).update(concluded_at=timezone.now())
    with pytest.raises(ValidationError) as err:  # into a concluded ticket
        do_merge_ticket(actor=agent, ticket=street["other_county"], into=food, comment="并")
    assert err.value.code == "ticket_closed"
    assert Ticket.objects.get(pk=street["other_county"].pk).merged_into_id is None


def test_merge_refused_when_either_case_is_closed(take, agent):
    first = take("武陟县城关镇建设路一家饭店后厨卫生太差，吃完拉肚子")
    dup = take("建设路那家饭店卫生太差，我吃完也拉肚子了")
    Case.objects.filter(pk=first.case_id).update(state="archived", closed_at=timezone.now())
    with pytest.raises(ValidationError) as err:
        do_merge_ticket(actor=agent, ticket=dup, into=Ticket.objects.get(pk=first.pk), comment="并")
    assert err.value.code == "ticket_closed"
    dup.refresh_from_db()
    assert dup.merged_into_id is None and dup.case.state == "dispatched"


def test_similar_partial_for_the_console(client, street, agent, citizen):
    client.force_login(agent)
    r = client.get(
        "/hotline/similar/",
        {"text": "人民路口井盖丢了很危险", "address": "武陟县城关镇建设路"},
    )
    html = r.content.decode()
    assert r.status_code == 200 and "<html" not in html
    assert street["a"].number in html and street["b"].number in html
    assert street["food"].number not in html and street["other_county"].number not in html
    html = client.get("/hotline/similar/", {"text": "火星移民咨询", "division": "410823"})
    assert "similar-none" in html.content.decode()
    client.force_login(citizen)
    assert client.get("/hotline/similar/", {"text": MANHOLE}).status_code == 403
