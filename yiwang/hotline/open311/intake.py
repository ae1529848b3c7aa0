"""POST Service Request arguments (Open311 受理参数): read from a form-encoded body (the
spec's format) or a JSON object, checked and normalised into a ``Submission`` before a
ticket is taken in."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator, URLValidator
from django.utils.translation import gettext as _

from yiwang.core.models import Division
from yiwang.hotline.location import CITY_CODE
from yiwang.hotline.models import Category, Kind

KIND_ATTRIBUTE = "kind"
DEFAULT_KIND = Kind.COMPLAINT
MEDIA_LABEL = "附件链接："
MAX_SHORT = 100  # email, device_id, account_id, each name part
MAX_URL = 500
_ATTRIBUTE_KEY = re.compile(r"^attribute\[([^\]\[]{1,64})\](\[\])?$")
_CJK = re.compile(r"[\u3400-\u9fff]")


@dataclass(frozen=True)
class Submission:
    """One checked POST Service Request; ``kind`` comes from ``attribute[kind]``."""

    service_code: str
    kind: str
    description: str
    lat: float | None
    long: float | None
    address_string: str
    address_id: str
    email: str
    device_id: str
    account_id: str
    first_name: str
    last_name: str
    phone: str
    media_url: str

    def canonical(self) -> str:
        """Sorted JSON of every field: what a replayed request must repeat exactly."""
        return json.dumps(asdict(self), ensure_ascii=False, sort_keys=True)

    @property
    def contact_name(self) -> str:
        """联系人: family name first for Chinese names (张 + 三 → 张三), else "first last"."""
        if _CJK.search(self.first_name + self.last_name):
            return f"{self.last_name}{self.first_name}"
        return f"{self.first_name} {self.last_name}".strip()

    @property
    def content(self) -> str:
        """诉求内容: the description, with the media link on its own line for the handler."""
        if not self.media_url:
            return self.description
        return f"{self.description}\n\n{MEDIA_LABEL}{self.media_url}"


def form_fields(data: Mapping) -> tuple[dict[str, str], dict[str, list[str]]]:
    """(plain fields, attributes) from a QueryDict or a decoded JSON object.

    Attributes arrive as ``attribute[code]=v`` (``attribute[code][]=v`` for lists) or, in
    JSON, also as ``{"attribute": {"code": v}}``."""
    fields: dict[str, str] = {}
    attributes: dict[str, list[str]] = {}
    getlist = getattr(data, "getlist", None)
    for key in data.keys():
        values = getlist(key) if getlist else data[key]
        if not isinstance(values, list):
            values = [values]
        if key == "attribute" and len(values) == 1 and isinstance(values[0], dict):
            for code, v in values[0].items():
                attributes[str(code)] = [_scalar(x) for x in (v if isinstance(v, list) else [v])]
            continue
        match = _ATTRIBUTE_KEY.match(str(key))
        if match:
            attributes.setdefault(match.group(1), []).extend(_scalar(v) for v in values)
        elif values:
            fields[str(key)] = _scalar(values[-1])
    return fields, attributes


def _scalar(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        raise ValidationError(_("参数值须为文本或数字。"), code="bad_value")
    return str(value).strip()


def leaf_service(code: str) -> Category | None:
    """The active leaf category (诉求小类) offered as a service, or None."""
    if not code or len(code) > 16:
        return None
    found = Category.objects.filter(code=code, active=True).select_related("parent").first()
    if found is None or found.children.exists():
        return None
    return found


def city_division(code: str) -> Division | None:
    """A 区划 within 焦作市 named by its code (our ``address_id``), or None."""
    if not code or len(code) > 12 or not code.isdigit():
        return None
    return Division.objects.filter(code=code, path__startswith=f"/{CITY_CODE}/").first()


def division_address(division: Division) -> str:
    """The division's names from the county down, e.g. 武陟县木城街道."""
    codes = [c for c in division.path.strip("/").split("/") if c and c != CITY_CODE]
    names = dict(Division.objects.filter(code__in=codes).values_list("code", "name"))
    return "焦作市" + "".join(names.get(c, "") for c in codes)


def _coordinate(value: str, name: str) -> float | None:
    if value == "":
        return None
    try:
        number = float(value)
    except ValueError:
        raise ValidationError(
            _("%s 须为 WGS84 坐标数值。") % name, code="location_invalid"
        ) from None
    if not math.isfinite(number):
        raise ValidationError(_("%s 须为 WGS84 坐标数值。") % name, code="location_invalid")
    return number


def _short(fields: dict[str, str], name: str, limit: int = MAX_SHORT) -> str:
    value = fields.get(name, "")
    if len(value) > limit:
        raise ValidationError(
            _("%(name)s 不能超过 %(max)d 个字符。") % {"name": name, "max": limit},
            code="too_long",
        )
    return value


def parse_submission(fields: dict[str, str], attributes: dict[str, list[str]]) -> Submission:
    """Check the spec's arguments; raises ValidationError with one message per problem.

    Codes: ``service_code_missing`` (400), ``service_code_unknown`` (404 per the spec),
    others 400."""
    problems: list[ValidationError] = []
    code = _service_code(fields)
    kind = _kind(attributes, problems)
    description = fields.get("description", "")
    if not description:
        problems.append(
            ValidationError(_("缺少 description：请填写诉求内容。"), code="content_empty")
        )
    lat, long, address_string, address_id = _location(fields, problems)
    contact = _contact(fields, problems)
    _check_links(contact["email"], contact["media_url"], problems)
    if description:
        _check_content_length(description, contact["media_url"], problems)
    if problems:
        raise ValidationError(problems)
    return Submission(
        service_code=code,
        kind=kind,
        description=description,
        lat=lat,
        long=long,
        address_string=address_string,
        address_id=address_id,
        **contact,
    )


def _service_code(fields: dict[str, str]) -> str:
    """The service_code, naming an active leaf 诉求小类; without one nothing else is
    worth checking, so this raises at once (unknown: 404 per the spec)."""
    code = fields.get("service_code", "")
    if not code:
        raise ValidationError(
            _("缺少 service_code：请先从 services 接口选择诉求分类。"), code="service_code_missing"
        )
    if leaf_service(code) is None:
        raise ValidationError(
            _("未知的 service_code：%s。") % code[:32], code="service_code_unknown"
        )
    return code


def _kind(attributes: dict[str, list[str]], problems: list[ValidationError]) -> str:
    """诉求类型 from ``attribute[kind]`` (咨询, 求助, 投诉, 举报, 建议); a complaint
    when not given."""
    kind_values = attributes.get(KIND_ATTRIBUTE) or [""]
    kind = kind_values[-1] or DEFAULT_KIND
    if kind not in Kind.values:
        problems.append(
            ValidationError(
                _("attribute[kind] 须为 consult、help、complaint、report、suggest 之一。"),
                code="kind_unknown",
            )
        )
    return kind


def _location(
    fields: dict[str, str], problems: list[ValidationError]
) -> tuple[float | None, float | None, str, str]:
    """(lat, long, address_string, address_id): a request needs a place — both
    coordinates, an address or a 区划 code within the city. Incomplete coordinates are
    only reported when nothing else is wrong so far."""
    lat = long = None
    try:
        lat = _coordinate(fields.get("lat", ""), "lat")
        long = _coordinate(fields.get("long", ""), "long")
    except ValidationError as exc:
        problems.append(exc)
    address_string = fields.get("address_string", "")
    address_id = fields.get("address_id", "")
    if (lat is None) != (long is None) and not problems:
        problems.append(ValidationError(_("lat 和 long 须同时提供。"), code="location_incomplete"))
    if lat is None and long is None and not address_string and not address_id:
        problems.append(
            ValidationError(
                _("须提供位置：lat 与 long、address_string 或 address_id 之一。"),
                code="location_missing",
            )
        )
    if address_id and city_division(address_id) is None:
        problems.append(
            ValidationError(
                _("address_id 须为焦作市范围内的区划代码：%s 不是。") % address_id[:16],
                code="location_outside",
            )
        )
    if len(address_string) > 200:
        problems.append(ValidationError(_("address_string 不能超过 200 字。"), code="too_long"))
    return lat, long, address_string, address_id


# The short free-text arguments and their length limits, in the order they are checked.
CONTACT_LIMITS = (
    ("email", MAX_SHORT),
    ("device_id", MAX_SHORT),
    ("account_id", MAX_SHORT),
    ("first_name", MAX_SHORT),
    ("last_name", MAX_SHORT),
    ("phone", 20),
    ("media_url", MAX_URL),
)


def _contact(fields: dict[str, str], problems: list[ValidationError]) -> dict[str, str]:
    """The contact and device arguments (联系方式, 附件链接); checking stops at the first
    one too long, and the ones after it are left empty."""
    contact = {name: "" for name, _limit in CONTACT_LIMITS}
    try:
        for name, limit in CONTACT_LIMITS:
            contact[name] = _short(fields, name, limit)
    except ValidationError as exc:
        problems.append(exc)
    return contact


def _check_links(email: str, media_url: str, problems: list[ValidationError]) -> None:
    """An email address must be one; a media link must be http(s)."""
    if email:
        try:
            EmailValidator()(email)
        except ValidationError:
            problems.append(ValidationError(_("email 格式不正确。"), code="email_invalid"))
    if media_url:
        try:
            URLValidator(schemes=["http", "https"])(media_url)
        except ValidationError:
            problems.append(
                ValidationError(_("media_url 须为 http 或 https 链接。"), code="media_invalid")
            )


def _check_content_length(
    description: str, media_url: str, problems: list[ValidationError]
) -> None:
    """诉求内容 stays within HOTLINE_CONTENT_MAX, counting the media link that ``content``
    appends to it."""
    limit = settings.YIWANG["HOTLINE_CONTENT_MAX"]
    extra = len(MEDIA_LABEL) + len(media_url) + 2 if media_url else 0
    if len(description) + extra > limit:
        problems.append(
            ValidationError(
                _("description 不能超过 %(max)d 字（现有 %(n)d 字）。")
                % {"max": limit - extra, "n": len(description)},
                code="content_too_long",
            )
        )
