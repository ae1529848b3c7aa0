"""Room manifests: every installed room is discovered and its manifest is complete —
its pages are mounted, its nav entries resolve, its API routers are on /api/v1/, its
permissions are defined and granted, its jobs, seeders and read sources import."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.core.exceptions import ImproperlyConfigured
from django.urls import get_resolver, reverse
from django.utils.module_loading import import_string

from yiwang.core import rooms
from yiwang.core.roles import BASE_ROLES, ROLES, Role, compose

ROOM_APPS = [c for c in apps.get_app_configs() if c.name.startswith("yiwang.")]


def test_every_platform_app_is_a_discovered_room():
    assert ROOM_APPS, "no platform apps installed"
    found = {room.name for room in rooms.rooms()}
    for config in ROOM_APPS:
        assert isinstance(getattr(config, "manifest", None), rooms.Manifest), config.name
        assert config.name in found
    keys = [m.key for m in rooms.manifests()]
    assert len(keys) == len(set(keys))
    assert {"core", "data", "services", "licences", "hotline", "web"} <= set(keys)


def test_every_room_mounts_its_urls():
    mounted = {
        (str(p.pattern), p.urlconf_name.__name__)
        for p in get_resolver().url_patterns
        if hasattr(p, "urlconf_name") and hasattr(p.urlconf_name, "__name__")
    }
    for m in rooms.manifests():
        assert m.urls, f"{m.key} mounts no pages"
        for prefix, urlconf in m.urls:
            assert (prefix, urlconf) in mounted, (m.key, prefix, urlconf)


def test_every_nav_entry_resolves_and_is_listed(client):
    from yiwang.web.context import ROOMS

    entries = [e for m in rooms.manifests() for e in m.nav]
    assert [e.key for e in ROOMS] == [e.key for e in sorted(entries, key=lambda e: e.order)]
    for entry in entries:
        assert any(_resolves(name) for name in entry.url_names), entry.key


def test_every_room_api_is_registered_under_api_v1(client, db):
    """Each room with an API has operations in the one OpenAPI document (operation ids
    are named after the module that defines them)."""
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    ids = [op["operationId"] for path in paths.values() for op in path.values()]
    for room in rooms.rooms():
        if room.manifest.api is None:
            continue
        assert callable(import_string(room.manifest.api)), room.name
        own = room.name.replace(".", "_") + "_"
        assert any(i.startswith(own) for i in ids), room.name


def test_permissions_are_defined_once_and_each_is_granted():
    defined: dict[str, str] = {}
    for m in rooms.manifests():
        for perm in m.permissions:
            assert perm not in defined, f"{perm} defined by {defined[perm]} and {m.key}"
            defined[perm] = m.key
    granted = {p for role in ROLES.values() for p in role.permissions}
    assert granted <= set(defined), granted - set(defined)
    assert set(defined) <= granted, set(defined) - granted
    for m in rooms.manifests():
        for code, perms in m.grants.items():
            assert code in ROLES and perms <= ROLES[code].permissions, (m.key, code)


# The role table as it stood when every room's permissions were listed in core, plus
# what rooms added since (data_steward: opendata.publish). A manifest that drops or adds
# a grant must change this table on purpose.
ROLE_TABLE = {
    "window_clerk": (
        {
            "case.handle",
            "case.intake",
            "case.view",
            "identity.verify",
            "personal.unmask",
            "service.hall",
        },
        False,
    ),
    "approver": (
        {
            "case.decide",
            "case.handle",
            "case.view",
            "licence.issue",
            "licence.manage",
            "licence.view",
            "personal.unmask",
        },
        False,
    ),
    "dept_admin": (
        {
            "case.assign",
            "case.handle",
            "case.view",
            "hotline.handle",
            "hotline.view",
            "knowledge.manage",
            "licence.issue",
            "licence.manage",
            "licence.view",
            "org.view",
            "personal.unmask",
            "seal.manage",
            "service.manage",
            "user.manage",
            "user.view",
        },
        False,
    ),
    "data_steward": (
        {"case.handle", "case.view", "data.manage", "data.view", "opendata.publish"},
        False,
    ),
    "bureau_admin": (
        {
            "case.assign",
            "case.handle",
            "case.view",
            "classifier.manage",
            "data.manage",
            "data.review",
            "data.view",
            "identity.clients",
            "licence.view",
            "org.manage",
            "org.view",
            "service.manage",
            "user.manage",
            "user.view",
        },
        True,
    ),
    "hotline_agent": (
        {"case.handle", "case.intake", "hotline.intake", "hotline.view", "personal.unmask"},
        True,
    ),
    "hotline_supervisor": (
        {
            "case.assign",
            "case.handle",
            "case.intake",
            "classifier.manage",
            "hotline.intake",
            "hotline.supervise",
            "hotline.view",
            "personal.unmask",
            "warning.publish",
        },
        True,
    ),
    "hotline_handler": (
        {"case.handle", "case.view", "hotline.handle", "hotline.view", "knowledge.manage"},
        False,
    ),
    "grid_worker": ({"case.view", "grid.report"}, False),
    "inspector": ({"case.handle", "case.view"}, False),
    "leader": ({"case.view", "cockpit.view", "hotline.view", "org.view"}, True),
    "auditor": ({"audit.verify", "audit.view", "case.view", "org.view", "personal.unmask"}, True),
    "sysadmin": (
        {"audit.verify", "org.manage", "org.view", "system.manage", "user.manage", "user.view"},
        True,
    ),
}


def test_roles_keep_their_shape():
    assert isinstance(ROLES, dict) and all(isinstance(r, Role) for r in ROLES.values())
    assert list(ROLES)[: len(BASE_ROLES)] == [r.code for r in BASE_ROLES]
    composed = {code: (set(r.permissions), r.city_wide) for code, r in ROLES.items()}
    assert composed == ROLE_TABLE


# The worker's periodic jobs as they stood when core listed them by name.
PERIODIC_JOBS = [
    (300, "yiwang.core.tasks.escalate_overdue"),
    (10, "yiwang.core.tasks.seal_ledger"),  # YIWANG["LEDGER_SEAL_EVERY_SECONDS"]
    (6 * 3600, "yiwang.core.tasks.prune_task_results"),
    (3600, "yiwang.core.tasks.purge_rate_counters"),
    (300, "yiwang.data.tasks.pull_due_sources"),
    (3600, "yiwang.licences.tasks.expire_licences"),
    (3600, "yiwang.hotline.tasks.raise_hotspot_alerts"),
    (7 * 86400, "yiwang.hotline.tasks.retrain_classifier"),
]


def test_periodic_jobs_demo_seeders_and_read_sources_import():
    from yiwang.core.schedule import PERIODIC

    assert sorted(PERIODIC) == sorted(PERIODIC_JOBS)
    for _seconds, path in PERIODIC:
        assert hasattr(import_string(path), "enqueue"), path
    seeders = rooms.demo_seeders()
    assert len(seeders) == sum(1 for m in rooms.manifests() if m.demo)
    orders = [m.demo.order for m in rooms.manifests() if m.demo]
    assert len(orders) == len(set(orders)), "two seeders share an order"
    for source in rooms.data_read_sources():
        assert callable(import_string(source.query)) and _resolves(source.url_name)


def test_shipped_workflows_come_from_room_folders():
    from yiwang.core.actions.workflow import workflow_files

    names = {p.name for p in workflow_files()}
    assert {"generic_approval.json", "hotline_ticket.json", "service_application.json"} <= names
    assert all(any(d in p.parents for d in rooms.workflow_dirs()) for p in workflow_files())


def test_a_grant_to_an_unknown_role_is_a_configuration_error():
    stray = rooms.Manifest(key="stray", label="stray", grants={"nobody": frozenset({"x.y"})})
    with pytest.raises(ImproperlyConfigured):
        compose(BASE_ROLES, [stray])
    clash = rooms.Manifest(key="clash", label="clash", roles=(BASE_ROLES[0],))
    with pytest.raises(ImproperlyConfigured):
        compose(BASE_ROLES, [clash])


def test_a_room_may_bring_a_role_of_its_own():
    own = Role("statistician", "统计员", frozenset({"stats.view"}))
    extra = rooms.Manifest(
        key="stats", label="stats", roles=(own,), grants={"leader": frozenset({"stats.view"})}
    )
    table = compose(BASE_ROLES, [extra])
    assert table["statistician"] == own
    assert "stats.view" in table["leader"].permissions


def _resolves(name: str) -> bool:
    try:
        reverse(name)
    except Exception:
        return False
    return True
