"""归集 from more than one source: conflicts with the authoritative department, and
pulling a configured HTTP JSON source."""

from __future__ import annotations

import json

import httpx
import pytest
from django.db import connection

from yiwang.data import access
from yiwang.data.actions.ingest import (
    do_create_batch,
    do_create_pull_source,
    do_process_batch,
    do_pull,
)
from yiwang.data.models import Conflict, Person, QualityResult
from yiwang.data.tests.ingest_helpers import (
    HEADER,
    as_csv,
    civil_affairs_people_resource,
    people,
    person_row,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def test_non_authoritative_value_conflicts_and_authority_stands(data_city, steward):
    ps = people(3)
    police = data_city.resource("person")
    batch, _ = do_create_batch(
        actor=None,
        resource=police,
        filename="police.csv",
        data=as_csv(HEADER, [person_row(p) for p in ps]),
    )
    do_process_batch(actor=None, batch=batch)
    civil = civil_affairs_people_resource(data_city)
    clerk = steward("civil_affairs")
    rows = [
        [ps[0]["id_number"], ps[0]["full_name"] + "某"],
        [ps[1]["id_number"], ps[1]["full_name"]],
    ]
    theirs, _ = do_create_batch(
        actor=clerk,
        resource=civil,
        filename="civil.csv",
        data=as_csv(["公民身份号码", "姓名"], rows),
    )
    theirs = do_process_batch(actor=clerk, batch=theirs)
    assert theirs.conflicts == 1 and theirs.updated == 0 and theirs.created == 0
    person = Person.objects.get(
        id_number_index=Person._meta.get_field("id_number_index").index_of(ps[0]["id_number"])
    )
    assert person.name == ps[0]["full_name"]
    conflict = Conflict.objects.get()
    assert conflict.other_value == ps[0]["full_name"] + "某"
    assert conflict.authoritative_value == ps[0]["full_name"]
    assert conflict.department == civil.provider and conflict.batch == theirs
    assert list(access.conflicts(clerk)) == [conflict]
    assert not access.conflicts(steward("market")).exists()
    source_rule = QualityResult.objects.get(batch=theirs, rule__code="QR-CONS-SOURCE")
    assert (source_rule.checked, source_rule.failed) == (2, 1)


def test_pull_source_lands_rows_and_same_payload_changes_nothing(data_city, steward):
    ps = people(4)
    payload = {"data": {"items": [dict(zip(HEADER, person_row(p), strict=True)) for p in ps]}}
    seen = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append((str(request.url), request.headers.get("x-token")))
        return httpx.Response(200, json=payload)

    client = httpx.Client(transport=httpx.MockTransport(handler))
    clerk = steward("public_security")
    source = do_create_pull_source(
        actor=clerk,
        resource=data_city.resource("person"),
        url="https://ga.example.gov.cn/api/people",
        records_path="data.items",
        headers={"X-Token": "s3cret"},
        interval_minutes=60,
    )
    batch = do_pull(actor=None, source=source, client=client)
    assert batch.status == "done" and batch.source == "pull" and batch.created == 4
    assert Person.objects.count() == 4
    assert seen == [("https://ga.example.gov.cn/api/people", "s3cret")]
    source.refresh_from_db()
    assert source.last_batch == batch and source.last_error == "" and source.last_run_at
    with connection.cursor() as cur:
        cur.execute("SELECT headers FROM data_pullsource")
        assert "s3cret" not in cur.fetchone()[0]
    again = do_pull(actor=None, source=source, client=client)
    assert again.pk == batch.pk and Person.objects.count() == 4


def test_pull_errors_are_kept_on_the_source(data_city):
    client = httpx.Client(transport=httpx.MockTransport(lambda r: httpx.Response(503)))
    source = do_create_pull_source(
        actor=None, resource=data_city.resource("person"), url="https://x.example/p"
    )
    assert do_pull(actor=None, source=source, client=client) is None
    source.refresh_from_db()
    assert "503" in source.last_error


def test_pull_over_real_http(data_city):
    """A pull from a local HTTP server (not a mock transport) lands rows."""
    import threading
    from http.server import BaseHTTPRequestHandler, HTTPServer

    body = json.dumps([dict(zip(HEADER, person_row(p), strict=True)) for p in people(2)]).encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        source = do_create_pull_source(
            actor=None,
            resource=data_city.resource("person"),
            url=f"http://127.0.0.1:{server.server_port}/people",
        )
        batch = do_pull(actor=None, source=source)
    finally:
        server.shutdown()
    assert batch.created == 2 and Person.objects.count() == 2


def test_due_sources_follow_their_interval(data_city):
    import datetime as dt

    from django.utils import timezone

    from yiwang.data.actions.ingest import due_sources

    resource = data_city.resource("person")
    fresh = do_create_pull_source(actor=None, resource=resource, url="https://a.example/p")
    old = do_create_pull_source(
        actor=None, resource=resource, url="https://b.example/p", interval_minutes=60
    )
    off = do_create_pull_source(actor=None, resource=resource, url="https://c.example/p")
    now = timezone.now()
    type(fresh).objects.filter(pk=fresh.pk).update(last_run_at=now - dt.timedelta(minutes=5))
    type(old).objects.filter(pk=old.pk).update(last_run_at=now - dt.timedelta(minutes=61))
    type(off).objects.filter(pk=off.pk).update(enabled=False)
    assert [s.pk for s in due_sources(now)] == [old.pk]
