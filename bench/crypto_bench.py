"""Cryptography throughput (商用密码): SM2 signatures and verifications, SM4-GCM field
encryption and decryption, HMAC-SM3 blind indexes — each as a ratio to raw SM3 hashing
of 32-byte messages measured in the same run.

The machine is shared, so each operation is timed in short slices alternating with the
SM3 baseline and the medians of the paired slices are compared."""

from __future__ import annotations

import os
import statistics
from collections.abc import Callable

from bench.common import rate, result

ID_NUMBER = "11010519491231002X"
CONTEXT = "core.User.id_number"


def _loop(fn: Callable[[], object], n: int) -> Callable[[], int]:
    def run() -> int:
        for _ in range(n):
            fn()
        return n

    return run


def _batch(fn: Callable[[], object], size: int) -> Callable[[], int]:
    def run() -> int:
        fn()
        return size

    return run


def run(quick: bool = False) -> list[dict]:
    """Measure each operation against SM3 in alternating slices (fewer, shorter with quick)."""
    from yiwang.core import crypto

    rounds, seconds = (3, 0.1) if quick else (7, 0.4)
    message = os.urandom(32)
    sm3_fn = _loop(lambda: crypto.sm3(message), 1000)

    key = crypto.generate_sm2_private()
    public = key.public_key()
    signature = crypto.sm2_sign(key, message)
    stored = crypto.encrypt_field(ID_NUMBER, CONTEXT)
    cases = [
        ("sm2_sign_per_s", lambda: crypto.sm2_sign(key, message), 20),
        ("sm2_verify_per_s", lambda: crypto.sm2_verify(public, signature, message), 20),
        ("sm4_encrypt_field_per_s", lambda: crypto.encrypt_field(ID_NUMBER, CONTEXT), 200),
        ("sm4_decrypt_field_per_s", lambda: crypto.decrypt_field(stored, CONTEXT), 200),
        ("blind_index_per_s", lambda: crypto.blind_index(ID_NUMBER, CONTEXT), 200),
    ]
    # The batch forms used by imports and key rotation: 200 values (one row each) per call.
    batch, rows = [ID_NUMBER] * 200, [str(i) for i in range(200)]
    batches = [
        ("sm4_encrypt_many_per_s", lambda: crypto.encrypt_many(batch, CONTEXT, rows)),
        ("blind_index_many_per_s", lambda: crypto.index_many(batch, CONTEXT)),
    ]
    cases += [(name, fn, 1) for name, fn in batches]
    all_baselines: list[float] = []
    out: list[dict] = []
    for name, fn, n in cases:
        op_fn = _loop(fn, n) if not name.endswith("_many_per_s") else _batch(fn, len(batch))
        baselines, values = [], []
        for _ in range(rounds):
            baselines.append(rate(sm3_fn, seconds))
            values.append(rate(op_fn, seconds))
        all_baselines += baselines
        baseline, value = statistics.median(baselines), statistics.median(values)
        out.append(
            result(
                name,
                value,
                "ops/s",
                baseline,
                "sm3_32B_per_s",
                # How many 32-byte SM3 hashes one operation costs (1 / ratio).
                sm3_equivalents=round(baseline / value, 1),
            )
        )
    out.insert(0, result("sm3_32B_per_s", statistics.median(all_baselines), "ops/s"))
    out.append(_rotation(200 if quick else 5000))
    return out


def _rotation(people: int) -> dict:
    """`keys rotate` throughput on the bench database (values re-encrypted per second,
    batched conditional UPDATEs) against re-encrypting the same values in memory."""
    import time

    from yiwang.core import crypto, keys
    from yiwang.core.actions.keys import do_reencrypt, encrypted_columns
    from yiwang.core.fields import assign_row_ids
    from yiwang.core.identifiers import make_id_number
    from yiwang.core.models import User

    start_id = User.objects.count()
    rows = [
        User(
            username=f"bench-rotate-{start_id + i}",
            kind=User.Kind.CITIZEN,
            id_number=make_id_number("410823", _birth(i), i % 1000),
            phone=f"139{i:08d}",
        )
        for i in range(people)
    ]
    assign_row_ids(rows)  # one query: encrypted values are bound to their rows
    User.objects.bulk_create(rows, batch_size=1000)
    samples = [crypto.encrypt_field(f"139{i:08d}", "core.User.phone", str(i)) for i in range(200)]
    in_memory = rate(
        lambda: sum(
            1 for i, s in enumerate(samples) if crypto.reencrypt_field(s, "core.User.phone", str(i))
        ),
        0.5,
    )
    keys.add_sm4_version()
    columns = [c for c in encrypted_columns() if c.model is User]
    t0 = time.perf_counter()
    counts = do_reencrypt(actor="bench", columns=columns)["core.User"]
    elapsed = time.perf_counter() - t0
    return result(
        "rotation_values_per_s",
        counts["reencrypted"] / elapsed,
        "values/s",
        in_memory,
        "reencrypt_in_memory_per_s",
        values=counts["reencrypted"],
        batch_size=500,
    )


def _birth(i: int):
    import datetime as dt

    return dt.date(1950, 1, 1) + dt.timedelta(days=i % 20000)
