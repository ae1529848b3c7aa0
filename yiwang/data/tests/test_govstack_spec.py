"""The GovStack Digital Registries test suite's scenarios (test/openAPI/features of
GovStackWorkingGroup/bb-digital-registries), restated against our endpoints through an
independent HTTP client (``requests``) on a live server. One test per feature file runs
every scenario (each example of an outline counts as one) and names those that fail.

What is translated: the suite's placeholder data (registry "registryname", version
"111", database ids such as 75858, user "EE378129277266", database "MCTS") becomes data
of our own — a registry defined by the suite's example schema (ID, FirstName, LastName,
BirthCertificateID) owned by 民政 (civil affairs), its current version, its database id,
a citizen's valid 公民身份号码 and our 人口库. The suite's test body for database/modify
uses types that are not JSON Schema ("some string"); ours uses the same shape with
``string``/``object``. Every status, content type and response schema the suite checks
is checked here, with schemas of our own writing to the same effect."""

# ruff: noqa: F811 - fixtures imported from test_sharing are parameters here
from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable

import jsonschema
import pytest
import requests
from django.utils import timezone
from oauth2_provider.models import AccessToken

from yiwang.data.actions.defined import Definition, do_define_registry
from yiwang.data.models import DataAccess
from yiwang.data.tests.test_sharing import IDN, actors, ask, granted_person, people  # noqa: F401

pytestmark = pytest.mark.django_db(transaction=True)

JSON = "application/json; charset=utf-8"
EXAMPLE_SCHEMA = {
    "type": "object",
    "properties": {
        "ID": {"type": "string", "primaryKey": True, "title": "编号"},
        "FirstName": {"type": "string", "title": "名"},
        "LastName": {"type": "string", "title": "姓"},
        "BirthCertificateID": {"type": "string", "title": "出生医学证明编号"},
    },
    "required": ["ID"],
}
RECORD = {
    "type": "object",
    "properties": {k: {"type": "string"} for k in EXAMPLE_SCHEMA["properties"]},
}
WITH_CONTENT = {"type": "object", "properties": {"content": RECORD}, "required": ["content"]}
LISTED = {
    "type": "object",
    "properties": {
        "count": {"type": "number"},
        "next": {"type": "string"},
        "previous": {"type": ["string", "null"]},
        "results": {"type": "array", "items": RECORD},
    },
    "required": ["count", "results"],
}
ANSWER = {
    "type": "object",
    "properties": {
        "answer": {
            "type": "object",
            "properties": {"status": {"type": "boolean"}, "message": {"type": "string"}},
            "required": ["status", "message"],
        }
    },
    "required": ["answer"],
}
NOT_FOUND = {
    "type": "object",
    "properties": {"detail": {"type": "string", "enum": ["no record found"]}},
    "required": ["detail"],
}
USAGE = {
    "type": "array",
    "items": {
        "type": "object",
        "properties": {
            "ID": {"type": "string"},
            "ReaderID": {"type": "string"},
            "ReaderInitials": {"type": "string"},
            "ReaderInstitutionID": {"type": "string"},
            "ReaderInstitutionName": {"type": "string"},
            "ReaderApplicationName": {"type": "string"},
            "SearchDateTime": {"type": "string"},
            "Refrences": {"type": "array"},
        },
        "additionalProperties": False,
    },
}
DATABASE_INFO = {
    "type": "object",
    "properties": {
        "id": {"type": "integer"},
        "version": {"type": "string"},
        "name": {"type": "string"},
        "description": {"type": "string"},
        "institution": {"type": "string"},
        "number_format": {"type": "string"},
        "schema": {"type": "object"},
        "schema_tags": {"type": "array"},
        "schema_flags": {"type": "array"},
        "fields_uniques": {"type": "array", "items": {"type": "array"}},
        "is_draft": {"type": "boolean"},
        "is_disabled": {"type": "boolean"},
        "is_archived": {"type": "boolean"},
        "modified_at": {"type": "string"},
        "generic_services": {"type": "array"},
        "data_index_increment": {"type": "integer"},
        "has_logo": {"type": "boolean"},
    },
    "required": ["id", "version", "name", "schema"],
}
DATABASES = {
    "type": "object",
    "properties": {
        "id": {"type": "integer"},
        "name": {"type": "string"},
        "code": {"type": "string"},
        "databases": {"type": "array", "items": DATABASE_INFO},
        "group_id": {"type": "integer"},
        "order": {"type": "integer"},
        "data_index_increment": {"type": "integer"},
    },
    "additionalProperties": False,
}
SCHEMA_OUT = {
    "type": "object",
    "properties": {
        "type": {"type": "string"},
        "properties": {"type": "object"},
        "incrementIndex": {"type": "integer"},
        "required": {"type": "array"},
    },
}


def _token(user, scope: str, application=None) -> dict:
    token = AccessToken.objects.create(
        user=user,
        application=application,
        token=f"spec-{uuid.uuid4().hex}",
        scope=scope,
        expires=timezone.now() + dt.timedelta(hours=1),
    )
    return {"Authorization": f"Bearer {token.token}"}


class World:
    """A live server, a registry defined by the suite's example schema, and callers."""

    def __init__(self, base: str, data_city, steward, actors) -> None:
        self.base = base + "/api/v1/registries/"
        self.steward = actors.consumer  # 民政's data steward defines and owns the registry
        self.definition = do_define_registry(
            actor=self.steward,
            values=Definition(code="registryname", name="示例名册", name_en="Example registry"),
            schema=EXAMPLE_SCHEMA,
        )
        fields = list(EXAMPLE_SCHEMA["properties"])
        self.grant = ask(self.steward, self.definition.resource, fields).grant
        self.system = {
            **_token(self.grant.client.user, "exchange", self.grant.client.application),
            "Information-Mediator-Client": f"CN/GOV/{self.grant.consumer.code}/social-assistance",
        }
        self.staff = _token(self.steward, "read write")
        self.version = self.definition.version
        self.data_city, self.actors = data_city, actors

    def url(self, path: str) -> str:
        return self.base + path

    def data(self, suffix: str = "", version: str | None = None) -> str:
        tail = f"/{suffix}" if suffix else ""
        return self.url(f"data/registryname/{version or self.version}{tail}")

    def create(self, **content: str) -> requests.Response:
        return requests.post(
            self.data("create"), json={"write": {"content": content}}, headers=self.system
        )


@pytest.fixture(autouse=True)
def _fresh_items():
    """The gateway keeps a published resource's items per process by primary key; the
    flushed tables of a live-server test hand those keys out again."""
    from yiwang.data import gateway

    gateway._ITEMS.clear()
    yield
    gateway._ITEMS.clear()


@pytest.fixture
def world(live_server, data_city, steward, actors, people):
    return World(live_server.url, data_city, steward, actors)


def _ok(r: requests.Response, status: int, schema: dict | None = None) -> None:
    assert r.status_code == status, (r.status_code, r.text[:300])
    if status != 204:
        assert r.headers["content-type"] == JSON, r.headers["content-type"]
    if schema is not None:
        jsonschema.validate(r.json(), schema)


def run_scenarios(scenarios: list[tuple[str, Callable[[], None]]]) -> None:
    """Run each scenario and fail naming every one that did not pass."""
    failed = []
    for name, scenario in scenarios:
        try:
            scenario()
        except (AssertionError, jsonschema.ValidationError, KeyError, ValueError) as exc:
            failed.append(f"{name}: {exc!s:.200}")
    print(f"\nGovStack scenarios: {len(scenarios) - len(failed)} of {len(scenarios)} pass")
    assert failed == []


def test_data_create(world):
    def create(i, first, last, cert):
        def run():
            _ok(
                world.create(ID=i, FirstName=first, LastName=last, BirthCertificateID=cert),
                200,
                WITH_CONTENT,
            )

        return run

    rows = [
        ("ID-1", "Anna", "Stock", "RR-1234567993"),
        ("ID-2", "Zofia", "Don", "RR-5465679229"),
        ("ID-3", "Elsa", "Smith", "RR-1234537999"),
        ("RR87483474", "Nick", "Evans", "RR-7898797999"),
        ("PP84848484", "Thomas", "Johnson", "RR-8534567781"),
    ]
    run_scenarios([(f"create {r[0]}", create(*r)) for r in rows])


def _read(world, content):
    return requests.post(
        world.data("read"), json={"query": {"content": content}}, headers=world.system
    )


def test_data_read(world):
    world.create(
        ID="EE378129127223", FirstName="John Helmut", LastName="Smith", BirthCertificateID="RR-1"
    )
    world.create(ID="EE2", FirstName="Eva", LastName="Brown", BirthCertificateID="EE6546273487865")
    world.create(
        ID="EE3", FirstName="Billy", LastName="Johnson", BirthCertificateID="RR-1112223331"
    )

    def one(field, value):
        def run():
            r = _read(world, {field: value})
            _ok(r, 200, WITH_CONTENT)
            assert r.json()["content"][field] == value

        return run

    def smoke():
        _ok(_read(world, {"FirstName": "John Helmut"}), 200, WITH_CONTENT)

    def every_field():
        want = {
            "FirstName": "Billy",
            "LastName": "Johnson",
            "ID": "EE3",
            "BirthCertificateID": "RR-1112223331",
        }
        r = _read(world, want)
        _ok(r, 200, WITH_CONTENT)
        assert all(r.json()["content"][k] == v for k, v in want.items())

    def absent():
        _ok(_read(world, {"FirstName": "NotExist"}), 404, NOT_FOUND)

    run_scenarios(
        [
            ("smoke", smoke),
            ("by ID", one("ID", "EE378129127223")),
            ("by FirstName", one("FirstName", "Eva")),
            ("by LastName", one("LastName", "Smith")),
            ("by BirthCertificateID", one("BirthCertificateID", "EE6546273487865")),
            ("every field", every_field),
            ("not found", absent),
        ]
    )


def test_data_exists(world):
    world.create(
        ID="ID", FirstName="John", LastName="LastName", BirthCertificateID="BirthertificateID"
    )

    def check(first, expected):
        def run():
            body = {
                "query": {
                    "content": {
                        "ID": "ID",
                        "FirstName": first,
                        "LastName": "LastName",
                        "BirthCertificateID": "BirthertificateID",
                    }
                }
            }
            r = requests.post(world.data("exists"), json=body, headers=world.system)
            _ok(r, 200, ANSWER)
            if expected is not None:
                assert r.json()["answer"]["status"] is expected

        return run

    run_scenarios(
        [
            ("smoke", check("FirstName", None)),
            ("exists", check("John", True)),
            ("absent", check("Jack", False)),
        ]
    )


def test_data_list(world):
    for i, first in enumerate(["John", "Alice", "Jack", "Bob", "John"]):
        world.create(ID=f"L{i}", FirstName=first, LastName="Doe", BirthCertificateID=f"RR-{i}")
    empty = do_define_registry(
        actor=world.steward, values=Definition(code="registryempty"), schema=EXAMPLE_SCHEMA
    )
    empty_grant = ask(world.steward, empty.resource, list(EXAMPLE_SCHEMA["properties"])).grant
    empty_system = {
        **_token(empty_grant.client.user, "exchange", empty_grant.client.application),
        "Information-Mediator-Client": f"CN/GOV/{empty_grant.consumer.code}/social-assistance",
    }

    def consistent(r):
        assert len(r.json()["results"]) == r.json()["count"]

    def smoke():
        r = requests.get(world.data(), headers=world.system)
        _ok(r, 200, LISTED)
        consistent(r)

    def filtered(search, ordering):
        def run():
            params = {"search": search, "filter": "FirstName", "ordering": ordering}
            r = requests.get(world.data(), params=params, headers=world.system)
            _ok(r, 200, LISTED)
            assert all(x["FirstName"] == search for x in r.json()["results"])
            consistent(r)

        return run

    def nothing():
        r = requests.get(world.url(f"data/registryempty/{empty.version}"), headers=empty_system)
        _ok(r, 200, LISTED)
        assert r.json()["results"] == [] and r.json()["count"] == 0

    run_scenarios(
        [
            ("smoke", smoke),
            ("John ascending", filtered("John", "ascending")),
            ("Alice descending", filtered("Alice", "descending")),
            ("Jack ascending", filtered("Jack", "ascending")),
            ("Bob descending", filtered("Bob", "descending")),
            ("empty", nothing),
        ]
    )


def test_data_update(world):
    world.create(
        ID="EE378627348834", FirstName="John", LastName="Helmut", BirthCertificateID="RR-1234567889"
    )
    query = {"ID": "EE378627348834"}

    def update(first, last, cert):
        def run():
            write = {
                "ID": "EE378627348834",
                "FirstName": first,
                "LastName": last,
                "BirthCertificateID": cert,
            }
            r = requests.put(
                world.data("update"),
                json={"query": {"content": query}, "write": {"content": write}},
                headers=world.system,
            )
            _ok(r, 200)

        return run

    run_scenarios(
        [
            ("smoke", update("John", "Helmut", "RR-1234567889")),
            ("Jack Black", update("Jack", "Black", "RR-1234567880")),
            ("John Redwood", update("John", "Redwood", "RR-1234567888")),
            ("Bob Rack", update("Bob", "Rack", "RR-1234567887")),
        ]
    )


def test_data_update_entries(world):
    for i, first in enumerate(["Alina", "Alina", "Casandra", "Olga"]):
        world.create(ID=f"U{i}", FirstName=first, LastName="Doe", BirthCertificateID=f"RR-{i}")
    world.create(
        ID="EE1112223331", FirstName="Billy", LastName="Johnson", BirthCertificateID="RR-1112223331"
    )

    def entries(query, write, path="update-entries"):
        def run():
            r = requests.put(
                world.data(path),
                json={"query": {"content": query}, "write": {"content": write}},
                headers=world.system,
            )
            _ok(r, 200)
            assert r.json()["count"] >= 1

        return run

    full = {
        "ID": "EE1112223331",
        "FirstName": "Billy",
        "LastName": "Johnson",
        "BirthCertificateID": "RR-1112223331",
    }
    run_scenarios(
        [
            ("smoke", entries({"FirstName": "Alina"}, {"FirstName": "Jack"})),
            ("Casandra", entries({"FirstName": "Casandra"}, {"FirstName": "Tamara"})),
            ("Olga", entries({"FirstName": "Olga"}, {"FirstName": "Alice"}, "updateEntries")),
            ("every field", entries(full, {**full, "FirstName": "Bob", "LastName": "Son"})),
        ]
    )


def test_data_update_or_create(world):
    def upsert(row, new=None, path="update-or-create"):
        def run():
            write = new or row
            r = requests.post(
                world.data(path),
                json={"query": {"content": row}, "write": {"content": write}},
                headers=world.system,
            )
            _ok(r, 200, WITH_CONTENT)
            assert all(r.json()["content"][k] == v for k, v in write.items())

        return run

    john = {
        "ID": "EE123456789012",
        "FirstName": "John",
        "LastName": "Smith",
        "BirthCertificateID": "RR-1234567890",
    }
    ana = {
        "ID": "EE098765432109",
        "FirstName": "Ana",
        "LastName": "Adams",
        "BirthCertificateID": "RR-0987654321",
    }
    run_scenarios(
        [
            ("create John", upsert(john)),
            ("create Ana", upsert(ana, path="updateOrCreate")),
            ("update John", upsert(john, {**john, "FirstName": "Jack", "LastName": "Sparrow"})),
            ("update Ana", upsert(ana, {**ana, "FirstName": "Emma", "LastName": "Brown"})),
        ]
    )


def test_data_delete(world):
    ids = ["EE378627348834", "EE378627348835", "RR378627348834", "DD378627348834"]
    for i in ids:
        world.create(ID=i, FirstName="X", LastName="Y", BirthCertificateID="Z")

    def remove(ident):
        def run():
            r = requests.delete(world.data(f"{ident}/delete"), headers=world.system)
            _ok(r, 204)
            assert _read(world, {"ID": ident}).status_code == 404

        return run

    run_scenarios([(f"delete {i}", remove(i)) for i in ids])


def test_data_read_value(world):
    made = world.create(ID="V1", FirstName="Eva", LastName="Brown", BirthCertificateID="RR-9")
    record = world.definition.records.get()

    def run():
        r = requests.get(
            world.data(f"{record.uuid}/read-value/FirstName.json"), headers=world.system
        )
        _ok(r, 200, {"type": "string"})
        assert r.json() == "Eva" and made.status_code == 200

    run_scenarios([("smoke", run)])


def test_my_personal_data_usage(world, citizen):
    person_grant = granted_person(world.data_city, world.actors).grant
    reader = {
        **_token(person_grant.client.user, "exchange", person_grant.client.application),
        "Information-Mediator-Client": f"CN/GOV/{person_grant.consumer.code}/social-assistance",
    }
    requests.post(
        world.url("data/person/1.0/read"),
        json={"query": {"content": {"id_number": IDN}}},
        headers=reader,
    )
    me = _token(citizen, "data_usage")
    url = world.url("data/MyPersonalDataUsage/1.0")

    def usage(user_id, database, status, rows=None):
        def run():
            r = requests.get(url, params={"userID": user_id, "DatabaseID": database}, headers=me)
            _ok(r, status, USAGE if status == 200 else None)
            if rows is not None:
                assert len(r.json()) == rows

        return run

    run_scenarios(
        [
            ("smoke", usage(IDN, "person", 200, 1)),
            ("person", usage(IDN, "person", 200)),
            ("registryname", usage(IDN, "registryname", 200, 0)),
            ("legal_entity", usage(IDN, "legal_entity", 200, 0)),
            ("invalid userID", usage("...", "person", 400)),
            ("invalid DatabaseID", usage(IDN, "...", 400)),
        ]
    )
    assert DataAccess.objects.filter(registry="person").count() == 1


def test_db_list(world):
    def run():
        r = requests.get(world.url("databases"), headers=world.staff)
        _ok(r, 200, DATABASES)
        codes = {d["name"] for d in r.json()["databases"]}
        assert {"registryname", "person", "legal_entity", "credit", "place"} <= codes

    run_scenarios([("smoke", run)])


def test_db_read(world):
    others = [
        do_define_registry(
            actor=world.steward, values=Definition(code=f"reg{i}"), schema=EXAMPLE_SCHEMA
        )
        for i in range(4)
    ]

    def read(pk):
        def run():
            _ok(requests.get(world.url(f"database/{pk}"), headers=world.staff), 200, DATABASE_INFO)

        return run

    run_scenarios(
        [("smoke", read(world.definition.pk))]
        + [(f"reg{i}", read(d.pk)) for i, d in enumerate(others)]
    )


def test_db_modify(world):
    body = {
        "group_name": "Test",
        "catalog_name": "Mother and Child",
        "code": "MCR",
        "schema": {
            "type": "object",
            "properties": {
                "ID": {
                    "type": "string",
                    "primaryKey": True,
                    "readOnly": True,
                    "description": "Registration ID",
                    "example": "MCTS31",
                },
                "Child": {
                    "type": "object",
                    "properties": {"ID": {"type": "string", "description": "Child ID"}},
                },
            },
            "required": ["ID"],
        },
    }

    def modify(payload):
        def run():
            _ok(
                requests.post(world.url("database/modify"), json=payload, headers=world.staff),
                200,
                SCHEMA_OUT,
            )

        return run

    camel = {
        **{k: v for k, v in body.items() if k not in ("group_name", "catalog_name")},
        "groupName": "Test",
    }
    run_scenarios([("smoke", modify(body)), ("again (a change)", modify(camel))])


def test_db_delete(world):
    doomed = [
        do_define_registry(
            actor=world.steward, values=Definition(code=f"del{i}"), schema=EXAMPLE_SCHEMA
        )
        for i in range(4)
    ]

    def delete(pk):
        def run():
            r = requests.delete(world.url(f"database/{pk}"), headers=world.staff)
            _ok(r, 200, {"type": "string"})
            assert r.json() == "Success"

        return run

    run_scenarios([(f"delete {d.code}", delete(d.pk)) for d in doomed])
