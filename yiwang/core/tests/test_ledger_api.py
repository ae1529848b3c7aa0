"""The ledger through its public surface: /api/v1/ledger/* and the audit search pages."""

from __future__ import annotations

import datetime as dt
import secrets

import pytest
from django.urls import reverse
from django.utils import timezone
from oauth2_provider.models import get_access_token_model

from yiwang.core import audit, ledger
from yiwang.core.models import AuditEntry


def bearer_for(user, scope: str) -> dict:
    raw = secrets.token_urlsafe(30)
    token = get_access_token_model()(
        user=user, scope=scope, expires=timezone.now() + dt.timedelta(hours=1)
    )
    token._raw_token, token.token = raw, ""
    token.save()
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


@pytest.fixture
def auditor(make_staff):
    return make_staff("auditor")


@pytest.fixture
def entries(city, auditor):
    """A few entries by two actors, all sealed."""
    clerk = auditor.__class__.objects.get(pk=auditor.pk)
    made = [
        audit.record(
            actor=clerk,
            action="core.case.view",
            obj=("services.case", "A-1"),
            purpose="核查申请材料",
        ),
        audit.record(
            actor=None, action="core.org.rename", obj=("core.orgunit", "7"), purpose="机构调整"
        ),
        audit.record(
            actor=clerk, action="core.case.decide", obj=("services.case", "A-2"), purpose="审批决定"
        ),
    ]
    ledger.seal_pending(grace_seconds=0)
    return made


# --- API ---


def test_proof_api_needs_auth(client, entries):
    response = client.get(f"/api/v1/ledger/entries/{entries[0].pk}/proof")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthenticated"


@pytest.mark.parametrize("role", ["approver", "bureau_admin", "leader"])
def test_proof_api_forbidden_to_non_auditors(client, entries, make_staff, role):
    client.force_login(make_staff(role))
    response = client.get(f"/api/v1/ledger/entries/{entries[0].pk}/proof")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "forbidden"


def test_proof_api_forbidden_to_citizen(client, entries, citizen):
    client.force_login(citizen)
    assert client.get(f"/api/v1/ledger/entries/{entries[0].pk}/proof").status_code == 403
    assert client.get("/api/v1/ledger/entries").status_code == 403


def test_auditor_gets_a_proof_that_verifies_offline(client, entries, auditor):
    client.force_login(auditor)
    response = client.get(f"/api/v1/ledger/entries/{entries[1].pk}/proof")
    assert response.status_code == 200
    proof = response.json()
    assert proof["verified"] is True and proof["entry"]["id"] == entries[1].pk
    proof.pop("verified")
    assert ledger.verify_proof(proof).ok
    proof["path"][0]["hash"] = "11" * 32
    assert not ledger.verify_proof(proof).ok


def test_proof_of_unsealed_entry_is_409_and_unknown_is_404(client, entries, auditor):
    client.force_login(auditor)
    fresh = audit.record(actor=None, action="core.test.fresh", obj=("t", "1"))
    audit.flush()  # written now (not at the test's commit), so it has its id
    assert client.get(f"/api/v1/ledger/entries/{fresh.pk}/proof").status_code == 409
    assert client.get("/api/v1/ledger/entries/999999/proof").status_code == 404


def test_bearer_token_needs_audit_scope(client, entries, auditor):
    url = f"/api/v1/ledger/entries/{entries[0].pk}/proof"
    assert client.get(url, **bearer_for(auditor, "read org")).status_code == 403
    assert client.get(url, **bearer_for(auditor, "audit")).status_code == 200


def test_head_is_the_latest_signed_head(client, entries, auditor):
    client.force_login(auditor)
    body = client.get("/api/v1/ledger/head").json()
    last = ledger.latest_head()
    assert body["head"] == last["head"] and body["block_number"] == last["block_number"]
    assert ledger.signature_valid(body["head"], body["signature"], body["public_key"])
    assert ledger.head_hash(body["header"]) == body["head"]


def test_verify_api_reports_tampering(client, entries, auditor):
    client.force_login(auditor)
    assert client.get("/api/v1/ledger/verify").json()["ok"] is True
    AuditEntry.objects.filter(pk=entries[2].pk).update(purpose="事后改写")
    body = client.get("/api/v1/ledger/verify").json()
    assert body["ok"] is False
    assert body["problems"][0]["entry"] == entries[2].pk
    assert body["problems"][0]["kind"] == "edited"


def test_entries_search_api_filters_and_paginates(client, entries, auditor):
    client.force_login(auditor)
    body = client.get("/api/v1/ledger/entries", {"action": "core.case."}).json()
    assert {i["id"] for i in body["items"]} == {entries[0].pk, entries[2].pk}
    assert all(i["block"] for i in body["items"])
    body = client.get("/api/v1/ledger/entries", {"actor": auditor.username}).json()
    assert body["count"] == 2
    body = client.get("/api/v1/ledger/entries", {"purpose": "机构"}).json()
    assert [i["id"] for i in body["items"]] == [entries[1].pk]
    body = client.get("/api/v1/ledger/entries", {"page_size": 1, "page": 2}).json()
    assert len(body["items"]) == 1 and body["count"] >= 3
    bad = client.get("/api/v1/ledger/entries", {"date_from": "not-a-date"})
    assert bad.status_code == 422


# --- pages ---


def test_search_page_forbidden_for_citizen(client, citizen, entries):
    client.force_login(citizen)
    assert client.get(reverse("core:audit-search")).status_code == 403
    assert client.get(reverse("core:audit-entry", args=[entries[0].pk])).status_code == 403


def test_search_page_redirects_anonymous_to_login(client, db):
    response = client.get(reverse("core:audit-search"))
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_search_page_filters(client, entries, auditor):
    client.force_login(auditor)
    url = reverse("core:audit-search")
    page = client.get(url, {"object_type": "services.case", "object_id": "A-2"})
    html = page.content.decode()
    assert page.status_code == 200
    assert "core.case.decide" in html and "core.case.view" not in html
    html = client.get(url, {"purpose": "机构"}).content.decode()
    assert "core.org.rename" in html and "core.case.decide" not in html
    today = timezone.localdate()
    html = client.get(url, {"date_from": today + dt.timedelta(days=1)}).content.decode()
    assert "没有符合条件的记录" in html
    html = client.get(url, {"date_from": today, "date_to": today}).content.decode()
    assert "core.org.rename" in html
    assert client.get(url, {"date_from": "2026-13-40"}).status_code == 400
    assert reverse("core:audit-entry", args=[entries[0].pk]) in html


def test_entry_page_shows_verified_proof(client, entries, auditor):
    client.force_login(auditor)
    html = client.get(reverse("core:audit-entry", args=[entries[0].pk])).content.decode()
    assert "证明已验证" in html and "✓" in html
    assert AuditEntry.objects.get(pk=entries[0].pk).block.head in html


def test_entry_page_flags_a_tampered_entry(client, entries, auditor):
    client.force_login(auditor)
    AuditEntry.objects.filter(pk=entries[0].pk).update(object_id="A-9")
    html = client.get(reverse("core:audit-entry", args=[entries[0].pk])).content.decode()
    assert "证明验证失败" in html and "证明已验证" not in html


def test_nav_shows_audit_search_only_to_auditors(client, auditor, make_staff):
    client.force_login(auditor)
    assert reverse("core:audit-search") in client.get(reverse("web:workbench")).content.decode()
    client.force_login(make_staff("approver"))
    html = client.get(reverse("web:workbench")).content.decode()
    assert reverse("core:audit-search") not in html


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/ledger/entries?page=99999999999999999999",
        "/api/v1/ledger/entries?page_size=99999999999999999999",
        "/api/v1/ledger/verify?from_block=99999999999999999999",
        "/api/v1/ledger/verify?anchor=xyz",
    ],
)
def test_bad_input_is_a_422_not_a_server_error(client, auditor, url):
    client.force_login(auditor)
    response = client.get(url)
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid"


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/ledger/entries?object_id=%00",
        "/api/v1/ledger/entries?actor=a%00b",
        "/api/v1/ledger/verify?anchor=%00",
    ],
)
def test_nul_characters_are_a_400_not_a_server_error(client, auditor, url):
    client.force_login(auditor)
    response = client.get(url)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "bad_request"


def test_huge_entry_id_is_404(client, auditor):
    client.force_login(auditor)
    big = "99999999999999999999999"
    assert client.get(f"/api/v1/ledger/entries/{big}/proof").status_code == 404
    assert client.get(f"/audit/entries/{big}/").status_code == 404
    assert client.get("/audit/", {"purpose": "\x00"}).status_code == 400


def test_entry_moved_to_another_block_has_no_proof(client, entries, auditor):
    from yiwang.core.models import AuditBlock

    extra = audit.record(actor=None, action="core.test.late", obj=("t", "1"))
    ledger.seal_pending(grace_seconds=0)
    first = AuditBlock.objects.order_by("number").first()
    AuditEntry.objects.filter(pk=extra.pk).update(block=first)
    client.force_login(auditor)
    response = client.get(f"/api/v1/ledger/entries/{extra.pk}/proof")
    assert response.status_code == 409
    html = client.get(reverse("core:audit-entry", args=[extra.pk])).content.decode()
    assert "证明验证失败" in html and "记录清单中没有该记录" in html


def test_verify_api_checks_published_heads(client, entries, auditor):
    client.force_login(auditor)
    head = ledger.latest_head()["head"]
    assert client.get("/api/v1/ledger/verify", {"anchor": head}).json()["ok"] is True
    body = client.get("/api/v1/ledger/verify", {"anchor": ["ab" * 32, head]}).json()
    assert body["ok"] is False and "ab" * 32 in body["problems"][0]["detail"]


def test_county_auditor_reads_only_its_countys_staff(client, city, make_staff):
    """An auditor held in a county reads the entries of that county's staff — not
    another county's, the city's or the platform's — in the search page, the entry
    page, the search API and the proof API; one at city level reads them all."""
    wuzhi_clerk = make_staff("window_clerk", "410823", "market")
    boai_clerk = make_staff("window_clerk", "410822", "market")
    own = audit.record(actor=wuzhi_clerk, action="core.case.view", obj=("services.case", "W-1"))
    other = audit.record(actor=boai_clerk, action="core.case.view", obj=("services.case", "B-1"))
    platform = audit.record(actor=None, action="core.org.rename", obj=("core.orgunit", "7"))
    ledger.seal_pending(grace_seconds=0)
    county_auditor = make_staff("auditor", "410823", "market")
    client.force_login(county_auditor)
    listed = {e["id"] for e in client.get("/api/v1/ledger/entries?page_size=500").json()["items"]}
    assert own.pk in listed and other.pk not in listed and platform.pk not in listed
    page = client.get(reverse("core:audit-search"), {"action": "core.case.view"})
    assert "W-1" in page.content.decode() and "B-1" not in page.content.decode()
    assert client.get(reverse("core:audit-entry", args=[own.pk])).status_code == 200
    assert client.get(reverse("core:audit-entry", args=[other.pk])).status_code == 404
    assert client.get(f"/api/v1/ledger/entries/{other.pk}/proof").status_code == 404
    assert client.get(f"/api/v1/ledger/entries/{own.pk}/proof").status_code == 200
    client.force_login(make_staff("auditor", "410800", "big_data"))
    listed = {e["id"] for e in client.get("/api/v1/ledger/entries?page_size=500").json()["items"]}
    assert {own.pk, other.pk, platform.pk} <= listed


# --- sealing alarm (封存告警) ---


def test_audit_page_and_api_raise_the_alarm_for_entries_left_unsealed(
    client, entries, auditor, clock
):
    """No worker sealing: entries older than the alarm period show a banner saying how
    many and since when, on the page and in the API; once sealed, the alarm is gone."""
    client.force_login(auditor)
    url = reverse("core:audit-search")
    first = audit.record(actor=None, action="core.test.late", obj=("t", "1"))
    audit.record(actor=None, action="core.test.late", obj=("t", "2"))
    html = client.get(url).content.decode()
    assert 'id="seal-alarm"' not in html  # waiting for the next seal is normal
    assert client.get("/api/v1/ledger/status").json()["alarm"] is False

    clock.shift(dt.timedelta(seconds=61))
    html = client.get(url).content.decode()
    since = timezone.localtime(first.at).strftime("%Y-%m-%d %H:%M:%S")
    assert 'id="seal-alarm"' in html and 'class="alarm" role="alert"' in html
    assert "有 2 条审计记录超过 60 秒仍未封存" in html and f"最早一条记于 {since}" in html
    assert '<strong class="tag bad">告警</strong>' in html
    body = client.get("/api/v1/ledger/status").json()
    assert body["alarm"] is True and body["overdue"] == body["unsealed"] == 2
    assert body["alarm_after"] == 60
    since_api = dt.datetime.fromisoformat(body["overdue_since"])
    assert abs(since_api - first.at) < dt.timedelta(milliseconds=1)  # JSON keeps ms
    client.cookies["django_language"] = "en"
    english = client.get(url).content.decode()
    del client.cookies["django_language"]
    assert "2 audit entries have waited more than 60 seconds" in english

    ledger.seal_pending()
    assert 'id="seal-alarm"' not in client.get(url).content.decode()
    body = client.get("/api/v1/ledger/status").json()
    assert (body["alarm"], body["overdue"], body["unsealed"]) == (False, 0, 0)
    assert body["overdue_since"] is None and body["last_sealed_at"]


def test_ledger_status_is_for_auditors_with_the_audit_scope(client, entries, auditor, citizen):
    assert client.get("/api/v1/ledger/status").status_code == 401
    client.force_login(citizen)
    assert client.get("/api/v1/ledger/status").status_code == 403
    client.logout()
    assert client.get("/api/v1/ledger/status", **bearer_for(auditor, "read")).status_code == 403
    ok = client.get("/api/v1/ledger/status", **bearer_for(auditor, "audit"))
    assert ok.status_code == 200 and ok.json()["alarm"] is False


def test_alarm_period_is_never_shorter_than_two_sealing_rounds(settings):
    settings.YIWANG = {
        **settings.YIWANG,
        "LEDGER_SEAL_ALARM_SECONDS": 5,
        "LEDGER_SEAL_EVERY_SECONDS": 30,
        "LEDGER_SEAL_GRACE_SECONDS": 2,
    }
    assert ledger.alarm_seconds() == 64
    settings.YIWANG = {**settings.YIWANG, "LEDGER_SEAL_ALARM_SECONDS": 600}
    assert ledger.alarm_seconds() == 600
