"""办件编号: per-key counters behind readable case numbers (region + kind + date + seq)."""

from __future__ import annotations

from django.db import models


class NumberSequence(models.Model):
    """One counter per (region, kind, date) key; incremented under a row lock."""

    key = models.CharField(max_length=64, unique=True)
    value = models.PositiveBigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.key}={self.value}"
