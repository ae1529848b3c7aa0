"""用数记录（平台内）: one use of a person's data inside the platform — a base-registry
check while an application is handled, a verification or a staff view of one of their
e-licences, a clear value revealed by staff for a stated purpose. Each is also in the
audit ledger (or, for a public verification, needs no ledger entry); this table is the
person's own index of them, keyed by the subject (a blind index of the ID number or
credit code, ``core.datause.subject_key``), so 谁用了我的数据 reads one index range per
page however large the ledger grows."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class DataUse(models.Model):
    """用数记录（平台内）: who used whose data, when, how and why."""

    class Kind(models.TextChoices):
        REGISTRY_CHECK = "registry", _("基础库核验")
        LICENCE_CHECK = "licence", _("电子证照核验")
        LICENCE_VIEW = "licence_view", _("查看电子证照")
        UNMASK = "unmask", _("查看完整个人信息")

    at = models.DateTimeField(_("时间"))
    subject = models.CharField(max_length=64)
    kind = models.CharField(_("方式"), max_length=16, choices=Kind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("操作人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_constraint=False,
    )
    department = models.ForeignKey(
        "core.Department",
        verbose_name=_("使用部门"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_constraint=False,
    )
    user_label = models.CharField(_("使用方"), max_length=200, blank=True)
    what = models.CharField(_("使用的信息"), max_length=200, blank=True)
    purpose = models.CharField(_("用途"), max_length=200, blank=True)
    # The platform's own wording in English (双语); empty where what and purpose are data
    # (names of materials and licences, a purpose someone typed), shown as stored.
    what_en = models.CharField(max_length=200, blank=True, default="")
    purpose_en = models.CharField(max_length=200, blank=True, default="")
    object_type = models.CharField(max_length=64, blank=True)
    object_id = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["subject", "-at", "-id"], name="core_datause_subject")]
        verbose_name = _("用数记录（平台内）")
        verbose_name_plural = _("用数记录（平台内）")

    def __str__(self) -> str:
        return f"{self.kind} {self.object_type}:{self.object_id}"
