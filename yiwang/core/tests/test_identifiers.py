"""Identifier validators: 居民身份证号码, 统一社会信用代码 (with its 组织机构代码),
行政区划代码, 手机号码 — each failure has its own code and a Chinese message."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core.exceptions import ValidationError

from yiwang.core import identifiers as ids

CJK = re.compile(r"[\u4e00-\u9fff]")


def failure(fn, value) -> ValidationError:
    with pytest.raises(ValidationError) as exc:
        fn(value)
    assert CJK.search(exc.value.messages[0]), exc.value.messages
    return exc.value


def with_check(first17: str) -> str:
    return first17 + ids.id_check_char(first17)


# --- 居民身份证号码 (GB 11643) ---


def test_domain_example_id_number_passes():
    assert ids.validate_id_number("11010519491231002X") == "11010519491231002X"
    assert ids.validate_id_number(" 11010519491231002x ") == "11010519491231002X"
    assert ids.is_valid_id_number("11010519491231002X")
    assert ids.id_birth_date("11010519491231002X") == dt.date(1949, 12, 31)
    assert ids.id_sex("11010519491231002X") == "F"


def test_wrong_check_digit():
    assert failure(ids.validate_id_number, "110105194912310021").code == "id_check"
    assert not ids.is_valid_id_number("110105194912310021")


@pytest.mark.parametrize("born", ["19490231", "19491301", "18991231", "29990101"])
def test_bad_birth_date(born):
    value = with_check(f"410823{born}123")
    assert failure(ids.validate_id_number, value).code == "id_birth"


@pytest.mark.parametrize(
    "value", ["11010519491231002", "11010519491231002X1", "", "1101051949123100AX"]
)
def test_wrong_length_or_characters(value):
    assert failure(ids.validate_id_number, value).code == "id_format"


def test_unknown_province_fails_but_retired_codes_pass():
    assert failure(ids.validate_id_number, with_check("00123419900101123")).code == "id_region"
    # 410881 济源 was retired as a county code; old numbers still validate.
    assert ids.is_valid_id_number(with_check("41088119900101123"))
    # Foreign permanent residents' cards: 9 + province.
    assert ids.is_valid_id_number(with_check("94115619900101123"))


def test_failures_are_distinct_codes():
    codes = {
        failure(ids.validate_id_number, v).code
        for v in [
            "110105194912310021",
            with_check("41082319490231123"),
            "1101051949123100",
            with_check("00010519491231002"),
        ]
    }
    assert codes == {"id_check", "id_birth", "id_format", "id_region"}


def test_generated_id_numbers_validate():
    for seq in (1, 2, 999):
        value = ids.make_id_number("410823", dt.date(2001, 2, 28), seq)
        assert ids.validate_id_number(value) == value
        assert ids.id_sex(value) == ("M" if seq % 2 else "F")


# --- 统一社会信用代码 (GB 32100) ---


@pytest.mark.parametrize("code", ["91350100M000100Y43", "91110000600037341L"])
def test_public_credit_codes_pass(code):
    assert ids.validate_credit_code(code) == code
    assert ids.validate_credit_code(code.lower()) == code
    assert ids.credit_code_type(code) == "企业"


def test_altered_credit_code_check_fails():
    assert failure(ids.validate_credit_code, "91350100M000100Y44").code == "uscc_check"
    assert failure(ids.validate_credit_code, "91110000600037342L").code == "uscc_check"


def test_embedded_org_code_check_fails():
    body = "91350100M000100Y" + "5"  # organisation code check should be 4
    assert ids.org_code_check("M000100Y") == "4"
    value = body + ids.uscc_check_char(body)
    assert failure(ids.validate_credit_code, value).code == "uscc_org_check"


def test_individual_business_without_org_code_body_passes():
    body = "92410823MA00000X" + "8"
    assert ids.org_code_check("MA00000X") != "8"
    assert ids.is_valid_credit_code(body + ids.uscc_check_char(body))


@pytest.mark.parametrize("value", ["91350100M000100Y4", "91350100I000100Y43", "9135010AM000100Y43"])
def test_credit_code_format(value):
    assert failure(ids.validate_credit_code, value).code == "uscc_format"


def test_made_credit_codes_validate():
    code = ids.make_credit_code("12", "410800", "MB1957XX")
    assert ids.validate_credit_code(code) == code
    assert ids.credit_code_type(code) == "事业单位"


# --- 行政区划代码 (GB/T 2260) ---


@pytest.mark.parametrize("code", ["410800", "410823", "410871", "410823001", "410823001001"])
def test_division_codes_pass(code):
    assert ids.validate_division_code(code) == code


@pytest.mark.parametrize("code", ["41080", "4108000", "41082300100", "41O800", ""])
def test_division_code_format(code):
    assert failure(ids.validate_division_code, code).code == "division_format"


@pytest.mark.parametrize("code", ["000000", "990000", "100000"])
def test_division_code_province(code):
    assert failure(ids.validate_division_code, code).code == "division_province"


# --- 手机号码 ---


@pytest.mark.parametrize(
    "value", ["13812345678", "+86 138 1234 5678", "+86-138-1234-5678", "0086 13812345678"]
)
def test_mobile_numbers(value):
    assert ids.validate_mobile(value) == "13812345678"


@pytest.mark.parametrize("value", ["12812345678", "1381234567", "138123456789", "+1 2025550123"])
def test_bad_mobile_numbers(value):
    assert failure(ids.validate_mobile, value).code == "mobile_format"


# --- English messages ---


@pytest.mark.parametrize(
    ("fn", "value", "code"),
    [
        (ids.validate_id_number, "110105194912310021", "id_check"),
        (ids.validate_id_number, "41082319490231123X", "id_birth"),
        (ids.validate_id_number, "1101051949", "id_format"),
        (ids.validate_credit_code, "91350100M000100Y44", "uscc_check"),
        (ids.validate_division_code, "41080", "division_format"),
        (ids.validate_mobile, "12812345678", "mobile_format"),
    ],
)
def test_messages_in_english(fn, value, code):
    from django.utils import translation

    with translation.override("en"):
        with pytest.raises(ValidationError) as exc:
            fn(value)
        message = exc.value.messages[0]  # lazy: render while English is active
    assert exc.value.code == code
    assert message and not CJK.search(message), message
