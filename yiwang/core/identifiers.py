"""Identifier validators: 居民身份证号码 (GB 11643), 统一社会信用代码 (GB 32100) with its
embedded 组织机构代码 (GB 11714), 行政区划代码 (GB/T 2260) and mobile numbers.

Each ``validate_*`` raises ``django.core.exceptions.ValidationError`` with a localised
message and a stable ``code``; ``is_valid_*`` are boolean shortcuts for bulk paths.
"""

from __future__ import annotations

import datetime as dt
import re
from operator import mul

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK = "10X98765432"
ID_DIGIT_OFFSET = 48 * sum(ID_WEIGHTS)  # ord("0") times each weight
ID_RE = re.compile(r"^\d{17}[\dX]$")

USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
USCC_RE = re.compile(r"^[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}$")
ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
ORG_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
USCC_TYPES = {
    "11": "机关",
    "12": "事业单位",
    "13": "群团组织",
    "19": "其他机构编制",
    "51": "社会团体",
    "52": "民办非企业单位",
    "53": "基金会",
    "59": "其他民政",
    "91": "企业",
    "92": "个体工商户",
    "93": "农民专业合作社",
}
# GB/T 2260 province-level codes (31 provinces, 71 台湾, 81 香港, 82 澳门); 83 is used by
# residence permits for Taiwan residents. Used to reject numbers with no such province.
PROVINCE_CODES = frozenset(
    "11 12 13 14 15 21 22 23 31 32 33 34 35 36 37 41 42 43 44 45 46 50 51 52 53 54 "
    "61 62 63 64 65 71 81 82 83".split()
)
MOBILE_RE = re.compile(r"^1[3-9]\d{9}$")
MOBILE_SEPARATORS = re.compile(r"[\s-]")
DIVISION_RE = re.compile(r"^\d{6}(\d{3}(\d{3})?)?$")


def id_check_char(first17: str) -> str:
    """GB 11643 check character for the first 17 digits."""
    if len(first17) == 17 and first17.isascii() and first17.isdigit():
        # The same weighted sum over the digits' ASCII codes, in C: Σ(code − 48)·w.
        total = sum(map(mul, first17.encode(), ID_WEIGHTS)) - ID_DIGIT_OFFSET
        return ID_CHECK[total % 11]
    return ID_CHECK[sum(int(c) * w for c, w in zip(first17, ID_WEIGHTS, strict=True)) % 11]


def normalize_id_number(value: str) -> str:
    """Strip spaces and upper-case the check character."""
    return (value or "").strip().upper()


def validate_id_number(value: str) -> str:
    """Validate a resident ID number and return it normalised (upper-case X)."""
    v = normalize_id_number(value)
    if not ID_RE.match(v):
        raise ValidationError(
            _("身份证号码应为 18 位：17 位数字加 1 位数字或 X。"), code="id_format"
        )
    # Foreign permanent residents' 2023 cards start with 9 followed by the province.
    province = v[1:3] if v[0] == "9" else v[:2]
    if province not in PROVINCE_CODES:
        raise ValidationError(_("身份证号码的地址码（前 6 位）无效。"), code="id_region")
    try:
        born = dt.date(int(v[6:10]), int(v[10:12]), int(v[12:14]))
    except ValueError:
        raise ValidationError(_("身份证号码中的出生日期无效。"), code="id_birth") from None
    if born > dt.date.today() or born.year < 1900:
        raise ValidationError(_("身份证号码中的出生日期超出合理范围。"), code="id_birth")
    if id_check_char(v[:17]) != v[17]:
        raise ValidationError(_("身份证号码校验位不正确。"), code="id_check")
    return v


def is_valid_id_number(value: str) -> bool:
    """Boolean form of ``validate_id_number`` for bulk paths."""
    try:
        validate_id_number(value)
    except ValidationError:
        return False
    return True


def id_birth_date(value: str) -> dt.date:
    """Date of birth encoded in a (valid) ID number."""
    return dt.date(int(value[6:10]), int(value[10:12]), int(value[12:14]))


def id_sex(value: str) -> str:
    """'M' when the sequence digit is odd, else 'F'."""
    return "M" if int(value[16]) % 2 else "F"


def org_code_check(first8: str) -> str:
    """GB 11714 check character for an 8-character organisation code body."""
    total = sum(ORG_ALPHABET.index(c) * w for c, w in zip(first8, ORG_WEIGHTS, strict=True))
    check = 11 - total % 11
    return {10: "X", 11: "0"}.get(check, str(check))


def uscc_check_char(first17: str) -> str:
    """GB 32100 check character for the first 17 characters of a credit code."""
    total = sum(USCC_ALPHABET.index(c) * w for c, w in zip(first17, USCC_WEIGHTS, strict=True))
    return USCC_ALPHABET[(31 - total % 31) % 31]


def validate_credit_code(value: str) -> str:
    """Validate a unified social credit code, including its embedded organisation code."""
    v = (value or "").strip().upper()
    if len(v) != 18 or not USCC_RE.match(v):
        raise ValidationError(
            _("统一社会信用代码应为 18 位，由数字和大写字母（不含 I、O、Z、S、V）组成。"),
            code="uscc_format",
        )
    if uscc_check_char(v[:17]) != v[17]:
        raise ValidationError(_("统一社会信用代码校验位不正确。"), code="uscc_check")
    org = v[8:17]
    # 个体工商户 (92) codes were often issued without a GB 11714 body: check the others only.
    if v[:2] != "92":
        if org_code_check(org[:8]) != org[8]:
            raise ValidationError(
                _("统一社会信用代码内嵌的组织机构代码校验位不正确。"), code="uscc_org_check"
            )
    return v


def is_valid_credit_code(value: str) -> bool:
    """Boolean form of ``validate_credit_code`` for bulk paths."""
    try:
        validate_credit_code(value)
    except ValidationError:
        return False
    return True


def credit_code_type(value: str) -> str:
    """Registering authority and entity type, e.g. '91' → '企业'."""
    return USCC_TYPES.get(value[:2], "其他")


def make_credit_code(prefix2: str, region6: str, org8: str) -> str:
    """Build a valid credit code from authority/type, region and an 8-char org body."""
    org9 = org8 + org_code_check(org8)
    body = prefix2 + region6 + org9
    return body + uscc_check_char(body)


def make_id_number(region6: str, born: dt.date, seq3: int) -> str:
    """Build a valid ID number (synthetic data, tests)."""
    first17 = f"{region6}{born:%Y%m%d}{seq3:03d}"
    return first17 + id_check_char(first17)


def validate_division_code(value: str) -> str:
    """A GB/T 2260 code (6 digits) or a township/village extension (9 or 12 digits)."""
    v = (value or "").strip()
    if not DIVISION_RE.match(v):
        raise ValidationError(_("行政区划代码应为 6、9 或 12 位数字。"), code="division_format")
    if v[:2] not in PROVINCE_CODES:
        raise ValidationError(_("行政区划代码的省级部分无效。"), code="division_province")
    return v


def validate_mobile(value: str) -> str:
    """Mainland mobile number: 11 digits starting with 13–19; a +86 prefix is accepted."""
    v = value or ""
    if MOBILE_RE.fullmatch(v):  # the common case: nothing to clean up
        return v
    v = MOBILE_SEPARATORS.sub("", v)
    for prefix in ("+86", "0086"):
        if v.startswith(prefix):
            v = v[len(prefix) :]
            break
    if not MOBILE_RE.match(v):
        raise ValidationError(_("手机号码应为以 1 开头的 11 位数字。"), code="mobile_format")
    return v


# --- 电子证照标识 (GB/T 36904-2018) ---

MOD37_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
LICENCE_ROOT = "1.2.156.3005.2"
LICENCE_TYPE_CODE_RE = re.compile(r"^[0-9A-Z]{18}\d{3}$")
LICENCE_SERIAL_RE = re.compile(r"^[0-9A-Z]{1,40}$")
LICENCE_ID_RE = re.compile(
    r"^1\.2\.156\.3005\.2\.([0-9A-Z]{18}\d{3})\.([0-9A-Z]{1,32})\.([0-9A-Z]{1,40})\.(\d{3})\.([0-9A-Z])$"
)


def mod37_36_check(body: str) -> str:
    """ISO/IEC 7064 MOD 37,36 (hybrid system) check character over digits and upper-case
    letters, as GB/T 36904 puts at the end of an e-licence identifier."""
    m = 36
    p = m
    for c in body:
        value = MOD37_ALPHABET.find(c)
        if value < 0:
            raise ValueError(f"character {c!r} is outside 0-9A-Z")
        s = (p + value) % m or m
        p = (s * 2) % (m + 1)
    return MOD37_ALPHABET[(m + 1 - p) % m]


def make_licence_identifier(type_code: str, issuer_code: str, serial: str, version: int) -> str:
    """``1.2.156.3005.2.{type code}.{issuer code}.{serial}.{version:03d}.{check}``; the check
    character covers the four fields concatenated without dots."""
    ver = f"{version:03d}"
    if not LICENCE_TYPE_CODE_RE.match(type_code):
        raise ValueError("licence type code must be an 18-character credit code + 3 digits")
    if not LICENCE_SERIAL_RE.match(serial) or not 1 <= version <= 999:
        raise ValueError("serial must be 1-40 characters of 0-9, A-Z; version 1-999")
    check = mod37_36_check(type_code + issuer_code + serial + ver)
    return f"{LICENCE_ROOT}.{type_code}.{issuer_code}.{serial}.{ver}.{check}"


def validate_licence_identifier(value: str) -> dict[str, str]:
    """Parse and check a 电子证照标识; returns its parts (type_code, issuer_code, serial,
    version, check) or raises ValidationError."""
    v = (value or "").strip().upper()
    match = LICENCE_ID_RE.match(v)
    if not match:
        raise ValidationError(
            _(
                "电子证照标识格式不正确，应为 1.2.156.3005.2.证照类型代码.颁发机构代码.流水号.版本号.校验位。"
            ),
            code="licence_id_format",
        )
    type_code, issuer, serial, version, check = match.groups()
    if mod37_36_check(type_code + issuer + serial + version) != check:
        raise ValidationError(_("电子证照标识校验位不正确。"), code="licence_id_check")
    return {
        "identifier": v,
        "type_code": type_code,
        "issuer_code": issuer,
        "serial": serial,
        "version": version,
        "check": check,
    }
