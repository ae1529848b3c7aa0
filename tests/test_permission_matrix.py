"""权限矩阵: every role (held at city level and in county A) and the citizen, the
enterprise and nobody, against one object of every object type in county A, county B and
at city level, in two departments — on every page, API, export and action that shows
one. The allowed set must equal the expected set of ``matrix_policy`` (data, not the
access code under test): nobody reaches an object outside their roles' reach, a role
held in county A never reaches county B, no role reaches nothing.

The world is built once for the module (``matrix_world``) in a transaction rolled back
at the end; each case runs in its own savepoint with the test client."""

from __future__ import annotations

import io
import json
import re

import pytest
from django.conf import settings
from django.db import transaction
from django.shortcuts import resolve_url
from django.test.utils import override_settings
from matrix_policy import NOT_OBJECT_SURFACES, SURFACES, Surface, expected
from matrix_world import World, build, principal_names

from yiwang.core.roles import ROLES

PRINCIPALS = principal_names(sorted(ROLES))
REFUSED = {401, 403, 404}

# Cases that fail today and are too large to fix here: (surface url, principal) → why.
KNOWN: dict[tuple[str, str], str] = {}


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, tmp_path_factory):
    """The seeded world, shared by every case of the module and rolled back after."""
    from yiwang.core import keys

    media = tmp_path_factory.mktemp("matrix-media")
    with (
        django_db_blocker.unblock(),
        override_settings(
            YIWANG_KEY_DIR=tmp_path_factory.getbasetemp() / "keys",
            MEDIA_ROOT=media,
            # API clients of share grants hash their secrets: argon2 is slow on purpose.
            PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
        ),
    ):
        keys.keyring.cache_clear()
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            yield build(sorted(ROLES))
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)
            keys.keyring.cache_clear()


def _cases():
    for surface in SURFACES:
        for principal in PRINCIPALS:
            why = KNOWN.get((surface.url, principal))
            marks = [pytest.mark.xfail(strict=True, reason=why)] if why else []
            yield pytest.param(surface, principal, id=f"{surface.name} | {principal}", marks=marks)


def _text(response) -> str:
    """A response body as text; an .xlsx export as the text of all its cells."""
    body = b"".join(response.streaming_content) if response.streaming else response.content
    if response.get("Content-Type", "").startswith("application/json"):
        return json.dumps(json.loads(body), ensure_ascii=False)
    if body[:2] == b"PK":
        from openpyxl import load_workbook

        book = load_workbook(io.BytesIO(body), read_only=True)
        return "\n".join(
            str(cell)
            for sheet in book.worksheets
            for row in sheet.iter_rows(values_only=True)
            for cell in row
            if cell is not None
        )
    return body.decode("utf-8", "replace")


def _acknowledged(obj) -> bool:
    from yiwang.hotline.models import HotspotAlert

    return HotspotAlert.objects.filter(pk=obj.ref["pk"], acknowledged_by__isnull=False).exists()


def _cancelled(obj) -> bool:
    from yiwang.services.models import Booking

    return Booking.objects.filter(pk=obj.ref["pk"], status=Booking.Status.CANCELLED).exists()


def _revoked(obj) -> bool:
    from yiwang.hotline.models import Open311Key

    return Open311Key.objects.filter(pk=obj.ref["pk"], active=False).exists()


def _stopped(obj) -> bool:
    from yiwang.hotline.models import Category

    return Category.objects.filter(code=obj.ref["code"], active=False).exists()


# What an action leaves behind when it was let through.
DONE = {
    "hotspot": _acknowledged,
    "booking": _cancelled,
    "open311_key": _revoked,
    "taxonomy_leaf": _stopped,
}


def _listed(response, surface: Surface, objs) -> set[str]:
    """The markers of the objects a listing names: their marker (or ``surface.mark``) in
    the body, or, with ``surface.key``, their id in that field of the JSON items."""
    if surface.key:
        data = json.loads(response.content)
        items = data["items"] if isinstance(data, dict) else data
        ids = {str(item.get(surface.key)) for item in items}
        return {o.marker for o in objs if str(o.ref["pk"]) in ids}
    body = _text(response)
    if surface.mark:
        return {o.marker for o in objs if surface.mark.format(**o.ref) in body}
    return {o.marker for o in objs if o.marker in body}


def _status(response) -> int:
    """The status, a redirect to the sign-in page counting as 401 (refused)."""
    login = resolve_url(settings.LOGIN_URL)
    if response.status_code == 302 and response["Location"].startswith(login):
        return 401
    return response.status_code


def _seen(client, world: World, surface: Surface) -> set[str]:
    """The markers of the objects ``principal`` reached through ``surface``."""
    objs = world.of(surface.kind)
    if surface.listing:
        response = client.get(surface.url)
        if _status(response) in REFUSED:
            return set()
        assert _status(response) in surface.ok, (response.status_code, surface.url)
        return _listed(response, surface, objs)
    seen = set()
    for obj in objs:
        url = surface.url.format(**obj.ref)
        response = getattr(client, surface.method)(url)
        status = _status(response)
        if surface.channel == "action":
            if DONE[surface.kind](obj):
                seen.add(obj.marker)
            continue
        assert status in surface.ok | REFUSED, (status, url)
        if status in surface.ok:
            if not surface.marker_in_body or obj.marker in _text(response):
                seen.add(obj.marker)
    return seen


@pytest.mark.django_db
@pytest.mark.parametrize(("surface", "principal"), list(_cases()))
def test_allowed_set_is_the_expected_set(world, client, surface, principal):
    user = world.principals[principal]
    if user is not None:
        client.force_login(user)
    objs = world.of(surface.kind)
    assert objs, f"the world has no {surface.kind}"
    want = {o.marker for o in objs if expected(principal, o, surface.rule, ROLES)}
    got = _seen(client, world, surface)
    where = {o.marker: o.places for o in objs}
    if surface.subset:
        extra = got - want
        assert not extra, {m: where[m] for m in extra}
    else:
        assert got == want, {
            "leaked": {m: where[m] for m in got - want},
            "missing": {m: where[m] for m in want - got},
        }


@pytest.mark.django_db
def test_every_surface_lets_someone_through(world, client):
    """No surface passes by refusing everybody: each lets at least one principal reach
    one object (so a wrong URL cannot pass for a refusal); the visit page, which nobody
    in the matrix may open, answers the clerk who served the visit."""
    idle = [
        s.name
        for s in SURFACES
        if s.rule
        and not any(expected(p, o, s.rule, ROLES) for p in PRINCIPALS for o in world.of(s.kind))
    ]
    assert not idle, idle
    visit = world.of("visit")[0]
    client.force_login(world.workers[visit.place])
    assert client.get(f"/services/visits/{visit.ref['number']}/").status_code == 200


def matrix_size(world: World) -> int:
    """(role × level or account) × object × surface cases the matrix checks."""
    return sum(len(world.of(s.kind)) for s in SURFACES) * len(PRINCIPALS)


@pytest.mark.django_db
def test_matrix_size(world, capsys, record_property):
    """Reports the size of the matrix on the terminal (and in a JUnit report)."""
    size = matrix_size(world)
    line = (
        f"permission matrix: {len(PRINCIPALS)} principals × {len(world.objects)} objects of "
        f"{len({o.kind for o in world.objects})} types × {len(SURFACES)} surfaces = "
        f"{size} cases"
    )
    record_property("permission_matrix_cases", size)
    with capsys.disabled():
        print(f"\n{line}")
    assert size > 20_000, line


# --- the matrix covers every route ---

SKIPPED_PREFIXES = ("admin/", "o/", "i18n/", "^media", "api/v1/")


def _pattern(route: str) -> re.Pattern:
    """A route (``<int:pk>``, ``{int:pk}``, Open311's regexes) as a regex over paths."""
    route = route.replace("^", "").replace("$", "")
    route = re.sub(r"\(\?P<[^>]+>[^)]*\)", "{}", route)
    route = re.sub(r"<[^>]+>|\{[^}]+\}", "{}", route)
    route = re.sub(r"/+", "/", route).replace("\\.", ".")
    return re.compile("^" + re.escape(route).replace(re.escape("{}"), "[^/]+") + "$")


def _routes() -> list[str]:
    """Every page route and every GET route of the API, as ``/path/{}/``."""
    from django.urls import get_resolver
    from django.urls.resolvers import URLResolver

    from yiwang.api import api

    def walk(patterns, prefix=""):
        for p in patterns:
            if isinstance(p, URLResolver):
                yield from walk(p.url_patterns, prefix + str(p.pattern))
            elif not (prefix + str(p.pattern)).startswith(SKIPPED_PREFIXES):
                yield prefix + str(p.pattern)

    found = ["/" + r for r in walk(get_resolver().url_patterns)]
    for prefix, router in api._routers:
        for path, view in router.path_operations.items():
            if any("GET" in op.methods for op in view.operations):
                found.append("/api/v1/" + prefix + path)
    return found


def _sample(url: str) -> str:
    return re.sub(r"\{[^}]+\}", "1", url.split("?")[0])


def test_every_route_is_in_the_matrix_or_said_why_not():
    """A new page, API operation or download is either a surface of the matrix or named
    in ``NOT_OBJECT_SURFACES`` with the reason it shows no object."""
    samples = [_sample(s.url) for s in SURFACES]
    exempt = [_pattern(r) for r in NOT_OBJECT_SURFACES]
    missing = [
        r
        for r in _routes()
        if not any(_pattern(r).match(u) for u in samples)
        and not any(e.match(_sample(_pattern_text(r))) for e in exempt)
    ]
    assert not missing, " ".join(missing)


def _pattern_text(route: str) -> str:
    """The route with its parameters as ``{}`` (what ``NOT_OBJECT_SURFACES`` names)."""
    route = route.replace("^", "").replace("$", "")
    route = re.sub(r"\(\?P<[^>]+>[^)]*\)", "{}", route)
    route = re.sub(r"<[^>]+>|\{[^}]+\}", "{}", route)
    return re.sub(r"/+", "/", route).replace("\\.", ".")


def test_every_object_type_is_in_the_world():
    """Each model of the rooms is an object type of the matrix (its rows are built in
    the world) or named here with the reason it is not one."""
    from django.apps import apps
    from matrix_world import MODEL_KINDS, NOT_OBJECTS

    models = {
        f"{m._meta.app_label}.{m.__name__}"
        for m in apps.get_models()
        if m.__module__.startswith("yiwang.")
    }
    unknown = models - set(MODEL_KINDS) - set(NOT_OBJECTS)
    assert not unknown, sorted(unknown)
    kinds = {k for ks in MODEL_KINDS.values() for k in ks}
    assert kinds == {s.kind for s in SURFACES}, kinds ^ {s.kind for s in SURFACES}
