"""频率计数: the shared counters behind rate limits and login throttles when Redis is not
configured (``yiwang.core.ratelimit.DatabaseCounters``)."""

from __future__ import annotations

from django.db import models


class RateCounter(models.Model):
    """One counter (or one hold, 暂停标记) per key, forgotten at ``expires_at``.

    Kept in the database so that every worker process and app server counts against the
    same number; a row whose time has passed counts as absent and is reused by the next
    hit on its key (``purge_rate_counters`` deletes the rest)."""

    key = models.CharField(max_length=190, unique=True)
    count = models.PositiveBigIntegerField(default=0)
    expires_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"{self.key}={self.count}"
