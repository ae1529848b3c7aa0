"""办件编号: readable, unique case numbers ``{region}-{kind}-{yyyymmdd}-{seq:06d}``,
e.g. ``410823-SQ-20261126-000001``, from per-key counters in ``NumberSequence``.

The counter row is incremented and read back in one ``UPDATE … RETURNING``, which locks
it, so concurrent callers on PostgreSQL queue on the row; on SQLite the write
transaction itself serialises them. A race to create a new day's row ends in an
IntegrityError for the loser, who retries and then finds the row.
"""

from __future__ import annotations

import random
import re
import time
from datetime import date

from django.db import IntegrityError, OperationalError, connections, router, transaction
from django.utils import timezone

from yiwang.core.models import NumberSequence

KEY_PART = re.compile(r"^[0-9A-Z]{1,16}$")
RETRIES = 8
LOCK_WAIT_SECONDS = 30.0


def _increment(key: str) -> int:
    """Count the key's row up and read the new value in one statement (``UPDATE …
    RETURNING``: the row lock and the increment are one step); a key seen for the first
    time gets its row."""
    table = NumberSequence._meta.db_table
    connection = connections[router.db_for_write(NumberSequence)]
    qn = connection.ops.quote_name
    with connection.cursor() as cur:
        cur.execute(
            f"UPDATE {qn(table)} SET {qn('value')} = {qn('value')} + 1 "
            f"WHERE {qn('key')} = %s RETURNING {qn('value')}",
            [key],
        )
        row = cur.fetchone()
    if row is not None:
        return int(row[0])
    with transaction.atomic():
        NumberSequence.objects.create(key=key, value=1)
    return 1


def next_number(region: str, kind: str, on: date | None = None) -> str:
    """The next number for (region, kind, day), e.g. ``next_number("410823", "SQ")``."""
    region, kind = region.upper(), kind.upper()
    if not KEY_PART.match(region) or not KEY_PART.match(kind):
        raise ValueError("region and kind must be 1-16 characters of 0-9, A-Z")
    day = on or timezone.localdate()
    prefix = f"{region}-{kind}-{day:%Y%m%d}"
    return f"{prefix}-{next_value(prefix):06d}"


def next_value(key: str) -> int:
    """The next value (1, 2, …) of the counter named ``key`` (at most 64 characters), safe
    under concurrent callers; for numbers other than case numbers, e.g. licence serials."""
    if not 0 < len(key) <= 64:
        raise ValueError("counter key must be 1-64 characters")
    conflicts = 0
    waited = 0.0
    while True:
        try:
            return _increment(key)
        except IntegrityError:
            conflicts += 1  # another caller created today's row first: lock it next time
            if conflicts >= RETRIES:
                raise
        except OperationalError as exc:
            # SQLite's shared-cache memory databases (tests) report table locks at once
            # instead of waiting; wait briefly and try again, within a bound.
            if "locked" not in str(exc) or waited > LOCK_WAIT_SECONDS:
                raise
            pause = random.uniform(0.001, 0.02)
            time.sleep(pause)
            waited += pause
