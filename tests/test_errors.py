"""The one error vocabulary: each typed refusal answers with its status and code, the
same way in every room — in the API's envelope and on a page."""

import json

import pytest
from django.contrib.auth.models import AnonymousUser
from django.contrib.messages.storage.fallback import FallbackStorage
from django.contrib.sessions.backends.db import SessionStore
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.test import RequestFactory

from yiwang.api import api
from yiwang.core.errors import (
    Conflict,
    Forbidden,
    Invalid,
    NotFound,
    RateLimited,
    kind_of,
    refused,
)
from yiwang.core.middleware import RefusalMiddleware

#: error, API status, API code, page status
KINDS = [
    (Forbidden, 403, "forbidden", 403),
    (NotFound, 404, "not_found", 404),
    (Conflict, 409, "conflict", 409),
    (Invalid, 422, "invalid", 400),
    (RateLimited, 429, "rate_limited", 429),
]


def _api_answer(exc, path="/api/v1/anything"):
    response = api.on_exception(RequestFactory().post(path), exc)
    return response.status_code, json.loads(response.content)["error"]


@pytest.mark.parametrize(("kind", "status", "code", "_page"), KINDS)
def test_each_kind_maps_to_its_status_and_code_in_the_api(kind, status, code, _page):
    got, error = _api_answer(kind("不能办理。", code="some_reason"))
    assert got == status and error["code"] == code
    assert error["message"] == "不能办理。"
    assert error["details"] == [{"loc": [], "msg": "不能办理。", "code": "some_reason"}]


@pytest.mark.parametrize(("kind", "_status", "_code", "page"), KINDS)
def test_each_kind_maps_to_its_status_on_a_page(kind, _status, _code, page):
    summary, fields, status = refused(kind({"name": "名称不能为空。"}))
    assert (
        status == page and summary == ["名称不能为空。"] and fields == {"name": ["名称不能为空。"]}
    )


def test_a_reason_code_defaults_to_the_kind_and_is_kept_when_given():
    assert Conflict("已办结。").code == "conflict"
    assert Conflict("已办结。", code="case_closed").code == "case_closed"
    assert Forbidden("无权。", "role_missing").code == "role_missing"


def test_typed_errors_stay_validation_errors_and_django_exceptions():
    """Forms and ``except ValidationError`` keep working; a ``Forbidden`` nobody catches is
    Django's 403 and a ``NotFound`` its 404."""
    for kind, *_ in KINDS:
        assert issubclass(kind, ValidationError)
    assert isinstance(Forbidden("x"), PermissionDenied)
    assert isinstance(NotFound("x"), Http404)
    assert not isinstance(Conflict("x"), PermissionDenied | Http404)


def test_plain_and_wrapped_errors_take_the_kind_inside():
    assert kind_of(ValidationError("x")) is Invalid
    assert kind_of(ValidationError({"f": Conflict("x", code="duplicate")})) is Conflict
    assert kind_of(ValidationError([NotFound("x"), ValidationError("y")])) is NotFound
    status, error = _api_answer(ValidationError({"name": "名称不能为空。"}))
    assert status == 422 and error["code"] == "invalid"
    assert error["details"] == [{"loc": ["name"], "msg": "名称不能为空。", "code": "invalid"}]


def test_a_permission_denied_on_a_page_is_a_403_with_its_message():
    assert refused(PermissionDenied("只有承办人可以办理。")) == (["只有承办人可以办理。"], {}, 403)


def test_the_ticket_api_reports_the_steps_own_reason_code():
    """The 12345 ticket API promised its clients the reason (``action_not_allowed`` …)
    for a 403 or a 409; a wrong field there is still ``invalid``."""
    path = "/api/v1/hotline/tickets/RX1/conclude"
    status, error = _api_answer(Conflict("不能办理。", code="action_not_allowed"), path)
    assert status == 409 and error["code"] == "action_not_allowed"
    status, error = _api_answer(Forbidden("无权。", code="role_missing"), path)
    assert status == 403 and error["code"] == "role_missing"
    status, error = _api_answer(Invalid({"reply": "请填写答复。"}, code="required"), path)
    assert status == 422 and error["code"] == "invalid"
    status, error = _api_answer(Conflict("不能办理。", code="action_not_allowed"))
    assert status == 409 and error["code"] == "conflict"


def _page_request(path="/services/somewhere/"):
    request = RequestFactory().post(path)
    request.user = AnonymousUser()
    request.session = SessionStore()
    request._messages = FallbackStorage(request)
    return request


@pytest.mark.django_db
@pytest.mark.parametrize("kind", [Conflict, Invalid, RateLimited])
def test_an_uncaught_refusal_on_a_page_shows_its_message_with_its_status(kind, caplog):
    middleware = RefusalMiddleware(lambda r: HttpResponse())
    response = middleware.process_exception(_page_request(), kind("办件已办结，不能再办理。"))
    assert response.status_code == kind.status
    assert "办件已办结，不能再办理。" in response.content.decode()
    # The view let it through: the log keeps a trace of where.
    logged = [r for r in caplog.records if r.name == "yiwang.core.middleware"]
    assert logged and "/services/somewhere/" in logged[0].getMessage()


@pytest.mark.django_db
def test_forbidden_and_not_found_pages_and_the_api_are_left_to_their_own_handlers():
    middleware = RefusalMiddleware(lambda r: HttpResponse())
    assert middleware.process_exception(_page_request(), Forbidden("无权。")) is None
    assert middleware.process_exception(_page_request(), NotFound("无此项。")) is None
    api_request = _page_request("/api/v1/services/applications")
    assert middleware.process_exception(api_request, Conflict("x")) is None
    assert middleware.process_exception(_page_request(), ValueError("x")) is None
