"""GB/T 36904 电子证照标识 and its ISO 7064 MOD 37,36 check character."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from yiwang.core.identifiers import (
    make_licence_identifier,
    mod37_36_check,
    validate_licence_identifier,
)

# Identifiers published in public interface documents of provincial e-licence systems.
KNOWN = [
    "1.2.156.3005.2.11100000000013338W032.11220000013544541J.2430599.001.F",
    "1.2.156.3005.2.11100000000013338W011.11430000006122244L.20230000403.002.S",
    "1.2.156.3005.2.11100000000013338W011.11430000006122244L.20230000403.001.U",
    "1.2.156.3005.2.11100000000013338W087.11370800MB28559184.37080001202411010001.001.3",
    "1.2.156.3005.2.11100000000013338W009.11330105002500287C.2025052201.002.0",
]


@pytest.mark.parametrize("identifier", KNOWN)
def test_known_answers(identifier):
    _root, fields = identifier[:14], identifier[15:].split(".")
    type_code, issuer, serial, version, check = fields
    assert mod37_36_check(type_code + issuer + serial + version) == check
    assert make_licence_identifier(type_code, issuer, serial, int(version)) == identifier
    assert validate_licence_identifier(identifier.lower())["serial"] == serial


def test_check_catches_substitutions_and_most_transpositions():
    body = "11100000000013338W03211220000013544541J2430599001"
    good = mod37_36_check(body)
    alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    for i, c in enumerate(body):
        for other in alphabet:
            if other != c:
                assert mod37_36_check(body[:i] + other + body[i + 1 :]) != good
    swaps = [
        body[:i] + body[i + 1] + body[i] + body[i + 2 :]
        for i in range(len(body) - 1)
        if body[i] != body[i + 1]
    ]
    caught = sum(mod37_36_check(s) != good for s in swaps)
    assert caught >= 0.9 * len(swaps)


def test_format_and_check_errors_are_chinese():
    with pytest.raises(ValidationError) as bad_format:
        validate_licence_identifier("1.2.156.3005.2.ABC")
    assert bad_format.value.code == "licence_id_format" and "格式" in bad_format.value.messages[0]
    wrong = KNOWN[0][:-1] + "G"
    with pytest.raises(ValidationError) as bad_check:
        validate_licence_identifier(wrong)
    assert bad_check.value.code == "licence_id_check" and "校验位" in bad_check.value.messages[0]
    with pytest.raises(ValueError):
        mod37_36_check("abc")
    with pytest.raises(ValueError):
        make_licence_identifier("SHORT", "X", "1", 1)
