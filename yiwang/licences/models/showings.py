"""亮证: a holder shows a licence from the wallet with a code valid for one minute."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from yiwang.licences.models.licences import Licence


class Showing(models.Model):
    """亮证记录: one dynamic verification code for one licence — a signed QR token and
    a short numeric code (kept only as a keyed digest) — valid until ``expires_at``."""

    licence = models.ForeignKey(
        Licence, verbose_name=_("电子证照"), on_delete=models.CASCADE, related_name="+"
    )
    code_index = models.CharField(_("数字码摘要"), max_length=64, db_index=True)
    expires_at = models.DateTimeField(_("有效期至"))
    created_at = models.DateTimeField(_("亮证时间"), auto_now_add=True)
    shown_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("亮证人"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("亮证记录")
        verbose_name_plural = _("亮证记录")
        indexes = [models.Index(fields=["licence", "expires_at"], name="showing_licence_exp")]

    def __str__(self) -> str:
        return f"{self.licence_id} → {self.expires_at:%H:%M:%S}"
