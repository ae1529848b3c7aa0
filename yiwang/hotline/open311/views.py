"""Open311 GeoReport v2 endpoints at /open311/v2/ (开放接口): discovery, services, service
definitions, POST and GET service requests, tokens. No session or cookie is read; POST
carries an ``api_key`` and is exempt from CSRF. Every failure is the spec's error list."""

from __future__ import annotations

import datetime as dt
import functools
import json
import re
from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import (
    PermissionDenied,
    RequestDataTooBig,
    SuspiciousOperation,
    TooManyFieldsSent,
    ValidationError,
)
from django.db.models import Q
from django.http import HttpRequest, HttpResponse, UnreadablePostError
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from yiwang.core.models import AuditEntry
from yiwang.hotline.actions.open311 import do_take_open311_request, find_key
from yiwang.hotline.models import Category
from yiwang.hotline.open311 import formats, records
from yiwang.hotline.open311.intake import form_fields, leaf_service, parse_submission
from yiwang.hotline.open311.tokens import ticket_id_of, token_for

NOT_FOUND_CODES = frozenset({"service_code_unknown"})
DEFAULT_JURISDICTIONS = ("jiaozuo.gov.cn", "410800")
_SPACED_OFFSET = re.compile(r" (\d{2}:?\d{2})$")
_DATE_ONLY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class Open311Error(Exception):
    """A refusal with its HTTP status and the descriptions for the error list."""

    def __init__(self, status: int, *descriptions: str) -> None:
        super().__init__(*descriptions)
        self.status = status
        self.descriptions = [str(d) for d in descriptions]


def option(name: str, default):
    """An Open311 setting from ``settings.YIWANG`` (``OPEN311_*``), else the default."""
    return settings.YIWANG.get(f"OPEN311_{name}", default)


def _jurisdiction(request: HttpRequest, data) -> None:
    """One jurisdiction is served: an empty or absent jurisdiction_id is ours, another 404."""
    given = (data.get("jurisdiction_id") or request.GET.get("jurisdiction_id") or "").strip()
    if given and given not in option("JURISDICTIONS", DEFAULT_JURISDICTIONS):
        raise Open311Error(404, _("jurisdiction_id 不存在：%s。") % given[:64])


def endpoint(*methods: str) -> Callable:
    """Method check, jurisdiction check and the spec's error list for every refusal."""
    allowed = set(methods) | ({"HEAD"} if "GET" in methods else set())

    def wrap(view: Callable) -> Callable:
        @functools.wraps(view)
        def inner(request: HttpRequest, *args, fmt: str = "xml", **kwargs) -> HttpResponse:
            if request.method not in allowed:
                response = formats.errors(
                    fmt, 405, [_("不支持 %s 方法。") % (request.method or "")[:10]]
                )
                response["Allow"] = ", ".join(sorted(allowed))
                return response
            try:
                if request.method != "POST":
                    _jurisdiction(request, request.GET)
                response = view(request, *args, fmt=fmt, **kwargs)
            except Open311Error as exc:
                return formats.errors(fmt, exc.status, exc.descriptions)
            except ValidationError as exc:
                codes = (
                    {e.code for e in exc.error_list}
                    if not hasattr(exc, "error_dict")
                    else {e.code for errs in exc.error_dict.values() for e in errs}
                )
                status = 404 if codes & NOT_FOUND_CODES else 400
                return formats.errors(fmt, status, list(exc.messages))
            except PermissionDenied as exc:
                return formats.errors(fmt, 403, [str(exc) or _("api_key 无效。")])
            except (RequestDataTooBig, TooManyFieldsSent):
                return formats.errors(fmt, 400, [_("请求内容过大。")])
            except (SuspiciousOperation, UnreadablePostError):
                return formats.errors(fmt, 400, [_("请求无法读取。")])
            if request.method in ("GET", "HEAD"):
                response["Access-Control-Allow-Origin"] = "*"
            return response

        return inner

    return wrap


# --- discovery ---


def changeset() -> str:
    """When the services last changed (the categories were loaded or edited): a W3C
    datetime with ``T``, seconds and the local offset as GeoReport v2 asks of every
    datetime (``2026-05-04T09:30:00+08:00``), sortable since the offset is fixed."""
    last = (
        AuditEntry.objects.filter(action__startswith="hotline.categor")
        .order_by("-at")
        .values_list("at", flat=True)
        .first()
    )
    return formats.w3c(last or timezone.make_aware(dt.datetime(2026, 1, 1))) or ""


def discovery_data(request: HttpRequest) -> dict:
    """The Service Discovery document for this endpoint."""
    stamp = changeset()
    base = request.build_absolute_uri(reverse("open311:root")).rstrip("/")
    return {
        "changeset": stamp,
        "contact": option("CONTACT", _("焦作市 12345 政务服务便民热线中心，电话 12345。")),
        "key_service": option(
            "KEY_SERVICE",
            _("接口密钥（api_key）由焦作市 12345 热线中心发放：请以单位名义书面申请。"),
        ),
        "endpoints": [
            {
                "specification": records.SPECIFICATION,
                "url": base,
                "changeset": stamp,
                "type": "test" if settings.DEBUG else "production",
                "formats": [formats.CONTENT_TYPES["xml"].split(";")[0], "application/json"],
            }
        ],
    }


@endpoint("GET")
def root(request: HttpRequest, fmt: str = "xml") -> HttpResponse:
    """The endpoint's root serves the discovery document (XML, the required format)."""
    return formats.render("xml", "discovery", discovery_data(request))


@endpoint("GET")
def discovery(request: HttpRequest, fmt: str) -> HttpResponse:
    """Service Discovery (discovery.json / discovery.xml)."""
    return formats.render(fmt, "discovery", discovery_data(request))


# --- services ---


@endpoint("GET")
def services(request: HttpRequest, fmt: str) -> HttpResponse:
    """GET Service List: one realtime service per leaf category (诉求小类)."""
    return formats.render(fmt, "services", records.services())


@endpoint("GET")
def service_definition(request: HttpRequest, code: str, fmt: str) -> HttpResponse:
    """GET Service Definition of one service code; 404 for an unknown one."""
    category = leaf_service(code)
    if category is None:
        raise Open311Error(404, _("未知的 service_code：%s。") % code[:32])
    return formats.render(fmt, "service_definition", records.service_definition(category))


# --- requests ---


def _listed(request: HttpRequest, name: str) -> list[str]:
    """A parameter that may repeat and may hold a comma-separated list."""
    out: list[str] = []
    for value in request.GET.getlist(name):
        out += [v.strip() for v in value.split(",") if v.strip()]
    return list(dict.fromkeys(out))


def parse_w3c(value: str, name: str, *, end: bool = False) -> dt.datetime:
    """A W3C datetime (or date) from a query; an offset whose ``+`` arrived as a space is
    mended; a time without offset is Beijing time; a bare end date covers its whole day."""
    text = _SPACED_OFFSET.sub(r"+\1", value.strip())
    bad = Open311Error(
        400,
        _("%(name)s 须为 W3C 日期时间格式，例如 2026-05-01T00:00:00+08:00（收到 %(value)s）。")
        % {"name": name, "value": value[:40]},
    )
    moment: dt.datetime | None
    try:
        day = parse_date(text) if _DATE_ONLY.match(text) else None
        if day is not None:
            moment = dt.datetime.combine(day, dt.time.max if end else dt.time.min)
        else:
            moment = parse_datetime(text)
            if moment is None:
                raise bad
    except (ValueError, OverflowError):
        raise bad from None
    if not 1900 <= moment.year <= 9000:
        raise bad
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment


def _window(request: HttpRequest) -> tuple[dt.datetime, dt.datetime]:
    """The requested_datetime range: at most ``OPEN311_MAX_DAYS`` (90) days, the most
    recent ones when no dates are given."""
    span = dt.timedelta(days=int(option("MAX_DAYS", 90)))
    start_text = request.GET.get("start_date", "").strip()
    end_text = request.GET.get("end_date", "").strip()
    start = parse_w3c(start_text, "start_date") if start_text else None
    end = parse_w3c(end_text, "end_date", end=True) if end_text else None
    if start is None:
        if end is None:
            end = timezone.now()
        start = end - span
    elif end is None:
        end = start + span
    if end < start:
        raise Open311Error(400, _("end_date 不能早于 start_date。"))
    if end - start > span + dt.timedelta(seconds=1):
        raise Open311Error(400, _("查询时间跨度不能超过 %d 天。") % span.days)
    return start, end


def _positive(request: HttpRequest, name: str, default: int, top: int) -> int:
    raw = request.GET.get(name, "").strip()
    if not raw:
        return default
    if not raw.isdigit() or not 1 <= int(raw) <= top:
        raise Open311Error(
            400, _("%(name)s 须为 1 到 %(top)d 之间的整数。") % {"name": name, "top": top}
        )
    return int(raw)


def closed_q() -> Q:
    return Q(merged_into__isnull=False) | Q(case__state__in=records.CLOSED_STATES)


def _search(request: HttpRequest, fmt: str) -> HttpResponse:
    """GET Service Requests with the spec's filters and page/page_size."""
    limit = int(option("MAX_RESULTS", 1000))
    qs = records.public_tickets()
    ids = _listed(request, "service_request_id")
    if ids:  # overrides every other argument (spec)
        if len(ids) > limit:
            raise Open311Error(400, _("一次最多查询 %d 个 service_request_id。") % limit)
        rows = list(qs.filter(number__in=ids).order_by("-created_at", "-id"))
        return formats.render(fmt, "service_requests", [records.service_request(t) for t in rows])

    start, end = _window(request)
    qs = qs.filter(created_at__gte=start, created_at__lte=end)
    codes = _listed(request, "service_code")
    if codes:
        known = set(Category.objects.filter(code__in=codes).values_list("code", flat=True))
        unknown = [c for c in codes if c not in known]
        if unknown:
            raise Open311Error(400, _("未知的 service_code：%s。") % ", ".join(unknown)[:80])
        qs = qs.filter(category__code__in=codes)
    statuses = _listed(request, "status")
    if any(s not in ("open", "closed") for s in statuses):
        raise Open311Error(400, _("status 只能是 open 或 closed。"))
    if set(statuses) == {"open"}:
        qs = qs.exclude(closed_q())
    elif set(statuses) == {"closed"}:
        qs = qs.filter(closed_q())

    page_size = _positive(request, "page_size", limit, limit)
    page = _positive(request, "page", 1, 10**6)
    offset = (page - 1) * page_size
    rows = list(qs.order_by("-created_at", "-id")[offset : offset + page_size + 1])
    more = len(rows) > page_size
    response = formats.render(
        fmt, "service_requests", [records.service_request(t) for t in rows[:page_size]]
    )
    if more:
        following = request.GET.copy()
        following["page"] = str(page + 1)
        following["page_size"] = str(page_size)
        url = request.build_absolute_uri(f"{request.path}?{following.urlencode()}")
        response["Link"] = f'<{url}>; rel="next"'
    return response


def _post_data(request: HttpRequest):
    """The POST arguments: a JSON object when sent as JSON, else the form body."""
    if request.content_type == "application/json":
        try:
            data = json.loads(request.body or b"{}")
        except (ValueError, UnicodeDecodeError):
            raise Open311Error(400, _("请求体不是有效的 JSON。")) from None
        if not isinstance(data, dict):
            raise Open311Error(400, _("JSON 请求体须为对象。"))
        return data
    return request.POST


def _create(request: HttpRequest, fmt: str) -> HttpResponse:
    """POST Service Request: the api_key first (403), then the arguments (400/404)."""
    data = _post_data(request)
    _jurisdiction(request, data)
    fields, attributes = form_fields(data)
    clear = fields.get("api_key") or request.GET.get("api_key", "").strip()
    if not clear:
        raise Open311Error(403, _("缺少 api_key：提交诉求须使用 12345 热线中心发放的接口密钥。"))
    key = find_key(clear)
    if key is None:
        raise Open311Error(403, _("api_key 无效或已吊销，无法受理诉求。"))
    submission = parse_submission(fields, attributes)
    ticket, _replayed = do_take_open311_request(actor=None, key=key, submission=submission)
    return formats.render(
        fmt,
        "service_requests",
        [
            {
                "service_request_id": ticket.number,
                "token": token_for(ticket.pk),
                "service_notice": records.service_notice(ticket.kind, ticket.urgency),
                "account_id": submission.account_id or None,
            }
        ],
    )


@csrf_exempt
@endpoint("GET", "POST")
def requests(request: HttpRequest, fmt: str) -> HttpResponse:
    """requests.json / requests.xml: GET searches, POST creates."""
    if request.method == "POST":
        return _create(request, fmt)
    return _search(request, fmt)


@endpoint("GET")
def request_detail(request: HttpRequest, request_id: str, fmt: str) -> HttpResponse:
    """GET Service Request: one request by its id (the ticket number), as a list of one."""
    ticket = records.public_tickets().filter(number=request_id[:40]).first()
    if ticket is None:
        raise Open311Error(404, _("未找到 service_request_id 为 %s 的诉求。") % request_id[:40])
    return formats.render(fmt, "service_requests", [records.service_request(ticket)])


@endpoint("GET")
def token(request: HttpRequest, token: str, fmt: str) -> HttpResponse:
    """GET service_request_id from a token."""
    ticket_id = ticket_id_of(token)
    number = (
        records.public_tickets().filter(pk=ticket_id).values_list("number", flat=True).first()
        if ticket_id
        else None
    )
    if number is None:
        raise Open311Error(404, _("token 不存在。"))
    return formats.render(fmt, "service_requests", [{"service_request_id": number, "token": token}])


@csrf_exempt
def unknown(request: HttpRequest, rest: str) -> HttpResponse:
    """Any other path under the endpoint: 404 in the spec's error list."""
    fmt = "json" if rest.endswith(".json") else "xml"
    return formats.errors(fmt, 404, [_("没有这个 Open311 资源：%s。") % rest[:80]])
