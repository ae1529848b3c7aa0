"""Rooms (板块) and their manifests: how the platform finds what each room brings.

A room is a Django app whose ``AppConfig`` carries a ``manifest`` (:class:`Manifest`):
the permissions it defines and the roles that get them, its navigation entries, its URL
prefixes and urlconfs, the function that mounts its API routers, its workflow folder,
its demo seeder and order, its periodic jobs, where a citizen sees who read their
data (谁用了我的数据), and the registries that prove who registers (实名核验). Core never imports a room by name: ``yiwang/urls.py``,
``yiwang/api.py``, the role table, the room navigation, ``yiwang demo`` and the worker's
scheduler iterate :func:`manifests`, so adding a room is one line in
``settings.INSTALLED_APPS``.

Manifests are plain data with dotted paths (``"yiwang.data.api.register"``) rather than
imported objects, so reading them imports nothing of the room until it is used, and the
role table can be composed while apps are still loading.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.utils.functional import Promise

Text = str | Promise


@dataclass(frozen=True)
class NavEntry:
    """One entry in the room list (板块入口): shown when one of ``url_names`` resolves and
    the user qualifies (``kinds``: user kinds allowed, None for everyone signed in or
    not; ``perm``: a permission the user must hold). ``portal`` puts it on the public
    home page; ``order`` places it among the other rooms' entries (lower first)."""

    key: str
    label: Text
    description: Text
    url_names: tuple[str, ...]
    kinds: frozenset[str] | None = None
    perm: str | None = None
    portal: bool = False
    order: int = 500


@dataclass(frozen=True)
class DemoRun:
    """What ``yiwang demo`` tells each room's seeder: the demo population asked for, the
    scale (``"demo"`` or ``"city"``) and whether the demo city was seeded just now."""

    people: int
    enterprises: int
    scale: str
    first_run: bool


@dataclass(frozen=True)
class DemoReport:
    """What a seeder did: a one-line ``summary`` for the console (None: nothing new to
    say) and whether it added demo accounts (the account table is then listed afresh)."""

    summary: str | None = None
    accounts: bool = False


@dataclass(frozen=True)
class DemoSeeder:
    """A room's demo seeder: dotted path of ``seed(run: DemoRun) -> DemoReport``, run by
    ``yiwang demo`` after the demo city exists, in ascending ``order``; it must be
    idempotent (re-running ``yiwang demo`` reuses the database)."""

    path: str
    order: int = 500


@dataclass(frozen=True)
class PeriodicJob:
    """定时任务: the worker enqueues the django-tasks task at ``task`` every ``seconds``."""

    seconds: float
    task: str


@dataclass(frozen=True)
class ReadSource:
    """A place where a citizen sees who read their data (谁用了我的数据): ``query`` is
    the dotted path of ``(user) -> reads`` of the user's own records (empty for anyone
    else) — anything with ``count()``, a QuerySet or a capped count — and ``url_name``
    the page listing them."""

    label: Text
    url_name: str
    query: str


@dataclass(frozen=True)
class PortalPanel:
    """A room's section on the portal home page (门户首页), e.g. the service hall's search
    box and 常用服务: ``template`` rendered with what ``context`` (the dotted path of
    ``(request) -> dict``) returns, panels by ``order``."""

    template: str
    context: str
    order: int = 500


@dataclass(frozen=True)
class IdentityRegistry:
    """Where self-registration checks who people and entities are (人口库 / 法人库):
    dotted paths of ``person(full_name, id_number) -> dict | None`` (the record's facts,
    e.g. ``{"phone": …}``, when name and ID number match one resident) and
    ``legal_entity(credit_code) -> dict | None`` (``name``, ``legal_rep_name``,
    ``legal_rep_id`` of the registered entity), and ``represented_by(id_number) ->
    list[str]``: the credit codes of the entities whose legal representative (法定代表人)
    holds that ID number, so a verified representative can confirm their accounts."""

    person: str | None = None
    legal_entity: str | None = None
    represented_by: str | None = None


@dataclass(frozen=True)
class Manifest:
    """Everything the platform needs to know about a room (see the module docstring).

    ``permissions`` maps each permission the room defines to what it allows;
    ``grants`` maps existing role codes to the permissions (of any room) they gain;
    ``roles`` adds roles of the room's own. ``urls`` are ``(prefix, urlconf)`` pairs
    mounted in order (a prefix of ``""`` is mounted after every prefixed room). ``api``
    is the dotted path of ``register(api)``; ``workflows`` the folder (relative to the
    app) whose ``*.json`` workflow definitions are loaded after ``migrate``.
    """

    key: str
    label: Text
    permissions: Mapping[str, Text] = field(default_factory=dict)
    grants: Mapping[str, frozenset[str]] = field(default_factory=dict)
    roles: tuple[Any, ...] = ()  # core.roles.Role
    nav: tuple[NavEntry, ...] = ()
    urls: tuple[tuple[str, str], ...] = ()
    api: str | None = None
    # API path prefixes (below /api/v1/) whose clients were promised the step's own
    # reason code (``role_missing`` …) as the envelope code of a 403 or 409.
    api_reason_codes: tuple[str, ...] = ()
    workflows: str | None = "workflows"
    demo: DemoSeeder | None = None
    periodic: tuple[PeriodicJob, ...] = ()
    data_reads: tuple[ReadSource, ...] = ()
    portal: tuple[PortalPanel, ...] = ()
    identity_registry: IdentityRegistry | None = None


@dataclass(frozen=True)
class Room:
    """An installed room: its app's ``name``, folder ``path`` and ``manifest``."""

    name: str
    path: Path
    manifest: Manifest

    @property
    def workflow_dir(self) -> Path | None:
        if self.manifest.workflows is None:
            return None
        return self.path / self.manifest.workflows


def _configs() -> list:
    """The installed app configs, also while apps are still loading (the role table is
    read at import time by modules that apps import): then each settings entry is
    turned into its config the way Django does, without registering anything."""
    from django.apps import AppConfig, apps

    if apps.apps_ready:
        return list(apps.get_app_configs())
    from django.conf import settings

    return [AppConfig.create(entry) for entry in settings.INSTALLED_APPS]


def rooms() -> list[Room]:
    """Installed rooms in ``INSTALLED_APPS`` order: apps whose config has a manifest."""
    out = []
    for config in _configs():
        manifest = getattr(config, "manifest", None)
        if isinstance(manifest, Manifest):
            out.append(Room(config.name, Path(config.path), manifest))
    return out


def manifests() -> list[Manifest]:
    return [room.manifest for room in rooms()]


def permissions() -> dict[str, Text]:
    """Every permission the installed rooms define, with what it allows."""
    out: dict[str, Text] = {}
    for m in manifests():
        out.update(m.permissions)
    return out


def nav_entries() -> list[NavEntry]:
    """The installed rooms' navigation entries, in ``order`` (ties: settings order)."""
    entries = [entry for m in manifests() for entry in m.nav]
    return sorted(entries, key=lambda e: e.order)


def url_mounts() -> list[tuple[str, str]]:
    """``(prefix, urlconf)`` of every room: prefixed mounts first, then the ``""``
    mounts in settings order (so a catch-all page module never shadows a room)."""
    mounts = [mount for m in manifests() for mount in m.urls]
    return [m for m in mounts if m[0]] + [m for m in mounts if not m[0]]


def api_registrars() -> list[Callable[[Any], None]]:
    """The ``register(api)`` functions of the rooms that have an API, in settings order."""
    from django.utils.module_loading import import_string

    return [import_string(m.api) for m in manifests() if m.api]


def api_reason_code_paths() -> tuple[str, ...]:
    """Every room's API prefixes that answer refusals with their reason code."""
    return tuple(p for m in manifests() for p in m.api_reason_codes)


def workflow_dirs() -> list[Path]:
    """Folders of shipped workflow definitions (JSON) that exist, in settings order."""
    return [d for room in rooms() if (d := room.workflow_dir) is not None and d.is_dir()]


def demo_seeders() -> list[Callable[[DemoRun], DemoReport]]:
    """The rooms' demo seeders in ascending order (ties: settings order)."""
    from django.utils.module_loading import import_string

    seeders = sorted((m.demo for m in manifests() if m.demo), key=lambda s: s.order)
    return [import_string(s.path) for s in seeders]


def periodic_jobs() -> list[tuple[float, str]]:
    """``(seconds, task path)`` of every room's periodic jobs, in settings order."""
    return [(job.seconds, job.task) for m in manifests() for job in m.periodic]


def portal_panels() -> list[PortalPanel]:
    """Every room's sections of the portal home page, by ``order``."""
    return sorted((p for m in manifests() for p in m.portal), key=lambda p: p.order)


def data_read_sources() -> list[ReadSource]:
    """Where a citizen sees who read their data, across the installed rooms."""
    return [source for m in manifests() for source in m.data_reads]


def identity_registries(kind: str) -> list[Callable[..., Any]]:
    """The ``person``, ``legal_entity`` or ``represented_by`` registry checks the
    installed rooms provide."""
    from django.utils.module_loading import import_string

    paths = [getattr(m.identity_registry, kind) for m in manifests() if m.identity_registry]
    return [import_string(p) for p in paths if p]
