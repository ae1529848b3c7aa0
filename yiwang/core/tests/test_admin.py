"""Django admin: masked personal data, read-only ledger, audited master-data edits."""

import pytest
from django.urls import reverse

from yiwang.core.models import AuditEntry, Division


@pytest.fixture
def admin_client(client, make_staff):
    from yiwang.core.models import User

    boss = make_staff("sysadmin", username="root")
    User.objects.filter(pk=boss.pk).update(is_staff=True, is_superuser=True)
    client.force_login(User.objects.get(pk=boss.pk))
    return client


def test_every_core_model_page_renders(admin_client, citizen):
    from django.contrib import admin

    for model in admin.site._registry:
        if model._meta.app_label != "core":
            continue
        url = reverse(f"admin:core_{model._meta.model_name}_changelist")
        assert admin_client.get(url).status_code == 200, url


def test_user_list_masks_personal_data_and_searches_by_blind_index(admin_client, citizen):
    url = reverse("admin:core_user_changelist")
    html = admin_client.get(url).content.decode()
    assert "1101**********002X" in html and "138****5678" in html and "张*" in html
    assert "11010519491231002X" not in html and "13812345678" not in html
    found = admin_client.get(url, {"q": "11010519491231002X"}).content.decode()
    assert "zhangsan" in found
    detail = admin_client.get(reverse("admin:core_user_change", args=[citizen.pk]))
    assert "11010519491231002X" not in detail.content.decode()
    assert admin_client.get(reverse("admin:core_user_add")).status_code == 403


def test_audit_ledger_is_read_only(admin_client, citizen):
    entry = AuditEntry.objects.first()
    assert admin_client.get(reverse("admin:core_auditentry_add")).status_code == 403
    assert (
        admin_client.post(reverse("admin:core_auditentry_delete", args=[entry.pk]), {"post": "yes"})
    ).status_code == 403
    change = admin_client.post(
        reverse("admin:core_auditentry_change", args=[entry.pk]), {"action": "forged"}
    )
    assert change.status_code == 403
    entry.refresh_from_db()
    assert entry.action != "forged"
    assert admin_client.get(reverse("admin:core_auditblock_add")).status_code == 403


def test_master_data_edit_is_audited(admin_client, city):
    d = Division.objects.get(code="410823")
    url = reverse("admin:core_division_change", args=[d.code])
    form = {
        "code": d.code,
        "name": "武陟县",
        "level": d.level,
        "kind": d.kind,
        "parent": d.parent_id,
        "zone": "",
        "population": "720000",
    }
    r = admin_client.post(url, form)
    assert r.status_code == 302, r.content.decode()[:2000]
    d.refresh_from_db()
    assert d.population == 720000
    entry = AuditEntry.objects.filter(action="admin.core.division.change").get()
    assert entry.object_id == "410823" and entry.change == {"fields": ["population"]}
    assert entry.actor.username == "root"
