"""全程留痕: the audit ledger. Entries are append-only; the sealer groups them into
blocks with an SM3 Merkle root chained to the previous head and signed with SM2."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditEntryQuerySet(models.QuerySet):
    """Reads of the ledger first write the entries their own transaction has recorded
    and not yet written (``yiwang.core.db.buffer``), so a transaction reads its writes."""

    def _flush(self) -> None:
        from yiwang.core import audit

        audit.flush(self.db)

    def _fetch_all(self) -> None:
        if self._result_cache is None:
            self._flush()
        super()._fetch_all()

    def iterator(self, *args, **kwargs):
        self._flush()
        return super().iterator(*args, **kwargs)

    def count(self) -> int:
        self._flush()
        return super().count()

    def exists(self) -> bool:
        self._flush()
        return super().exists()

    def aggregate(self, *args, **kwargs):
        self._flush()
        return super().aggregate(*args, **kwargs)

    def update(self, **kwargs) -> int:
        self._flush()
        return super().update(**kwargs)

    def _update(self, values):
        self._flush()
        return super()._update(values)

    def delete(self):
        self._flush()
        return super().delete()

    def _raw_delete(self, using):
        self._flush()
        return super()._raw_delete(using)

    def explain(self, *args, **kwargs) -> str:
        self._flush()
        return super().explain(*args, **kwargs)


class AuditEntry(models.Model):
    """审计记录: who did what to which object, why, and a digest of the change.

    ``body`` (记录原文) holds the exact bytes under the leaf hash, computed once when the
    entry is recorded: ``leaf`` = SM3(0x00 ‖ body). Verification hashes it and checks that
    the columns still say what it says (``ledger``).
    """

    at = models.DateTimeField(_("时间"), db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("操作人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_constraint=False,
    )
    actor_label = models.CharField(_("操作人"), max_length=150, blank=True)
    action = models.CharField(_("操作"), max_length=64, db_index=True)
    object_type = models.CharField(_("对象类型"), max_length=64, db_index=True)
    object_id = models.CharField(_("对象标识"), max_length=64, db_index=True)
    purpose = models.CharField(_("事由"), max_length=200, blank=True)
    change = models.JSONField(_("变更"), default=dict, blank=True)
    digest = models.CharField(_("变更摘要"), max_length=64)
    leaf = models.CharField(_("记录哈希"), max_length=64)
    body = models.BinaryField(_("记录原文"), null=True, blank=True, editable=False)
    block = models.ForeignKey(
        "AuditBlock", null=True, blank=True, on_delete=models.PROTECT, related_name="entries"
    )

    objects = AuditEntryQuerySet.as_manager()

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["block", "id"])]
        verbose_name = _("审计记录")
        verbose_name_plural = _("审计记录")

    def __str__(self) -> str:
        return f"#{self.pk} {self.action} {self.object_type}:{self.object_id}"


class AuditBlock(models.Model):
    """审计区块: a sealed run of entries; ``leaves`` lists (entry id, leaf hash) in order."""

    number = models.PositiveIntegerField(unique=True)
    first_entry = models.BigIntegerField()
    last_entry = models.BigIntegerField()
    count = models.PositiveIntegerField()
    leaves = models.JSONField(default=list)
    merkle_root = models.CharField(max_length=64)
    prev_head = models.CharField(max_length=64)
    head = models.CharField(max_length=64)
    signature = models.TextField()
    key_id = models.CharField(max_length=32)
    sealed_at = models.DateTimeField()

    class Meta:
        ordering = ["number"]
        verbose_name = _("审计区块")
        verbose_name_plural = _("审计区块")

    def __str__(self) -> str:
        return f"block {self.number}"
