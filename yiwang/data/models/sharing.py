"""共享交换: share requests (共享申请), grants (授权) with scoped credentials, and the log
of every record the exchange gateway served (who read whose data, for what)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from yiwang.core.authcache import InvalidatingQuerySet
from yiwang.core.fields import IndexBytesField
from yiwang.core.models import ApiClient, Case, Department
from yiwang.data.models.catalogue import DataResource


class ShareRequest(models.Model):
    """共享申请: a consuming department asks for fields of a resource, for a purpose."""

    class Status(models.TextChoices):
        PROVIDER_REVIEW = "provider_review", _("提供方审核")
        BUREAU_REVIEW = "bureau_review", _("大数据局审核")
        GRANTED = "granted", _("已授权")
        REFUSED = "refused", _("不予共享")
        WITHDRAWN = "withdrawn", _("已撤回")

    number = models.CharField(_("申请编号"), max_length=40, unique=True)
    resource = models.ForeignKey(
        DataResource, verbose_name=_("数据资源"), on_delete=models.PROTECT, related_name="requests"
    )
    consumer = models.ForeignKey(
        Department, verbose_name=_("申请部门"), on_delete=models.PROTECT, related_name="+"
    )
    consumer_system = models.CharField(_("使用系统"), max_length=120)
    fields = models.JSONField(_("申请信息项"), default=list)
    purpose = models.TextField(_("用途"))
    legal_basis = models.TextField(_("依据"))
    starts_on = models.DateField(_("使用起始日期"))
    ends_on = models.DateField(_("使用截止日期"))
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, db_index=True)
    reason = models.TextField(_("答复意见"), blank=True)
    case = models.ForeignKey(
        Case, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("申请时间"), auto_now_add=True)
    decided_at = models.DateTimeField(_("办结时间"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("共享申请")
        verbose_name_plural = _("共享申请")

    def __str__(self) -> str:
        return self.number


class GrantQuerySet(InvalidatingQuerySet):
    """Share grants: bulk writes invalidate their clients' accounts, beside which the
    exchange gateway keeps a client's grants (``yiwang.core.authcache.remember``)."""

    owner = "client__user_id"


class ShareGrant(models.Model):
    """共享授权: what one consuming system may read — fields, rate, period — through its
    own API client credentials."""

    request = models.OneToOneField(
        ShareRequest, on_delete=models.PROTECT, related_name="grant", null=True, blank=True
    )
    resource = models.ForeignKey(
        DataResource, verbose_name=_("数据资源"), on_delete=models.PROTECT, related_name="grants"
    )
    consumer = models.ForeignKey(
        Department, verbose_name=_("使用部门"), on_delete=models.PROTECT, related_name="+"
    )
    client = models.ForeignKey(
        ApiClient, verbose_name=_("接口客户端"), on_delete=models.PROTECT, related_name="grants"
    )
    fields = models.JSONField(_("授权信息项"), default=list)
    purpose = models.TextField(_("用途"))
    rate_per_minute = models.PositiveIntegerField(_("每分钟调用上限"), default=600)
    starts_at = models.DateTimeField(_("生效时间"))
    expires_at = models.DateTimeField(_("失效时间"), db_index=True)
    revoked_at = models.DateTimeField(_("撤销时间"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = GrantQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("共享授权")
        verbose_name_plural = _("共享授权")

    def __str__(self) -> str:
        return f"{self.client} → {self.resource.code}"


class DataAccess(models.Model):
    """用数记录: one record served by the exchange gateway — to whom, which record, which
    fields, why. Citizens see theirs (by ID-number blind index); providers see theirs."""

    class Kind(models.TextChoices):
        VERIFY = "verify", _("核验")
        READ = "read", _("查询")
        BATCH = "batch", _("批量查询")

    at = models.DateTimeField(_("时间"), db_index=True)
    kind = models.CharField(_("方式"), max_length=8, choices=Kind.choices)
    grant = models.ForeignKey(ShareGrant, on_delete=models.PROTECT, related_name="accesses")
    consumer = models.ForeignKey(
        Department, verbose_name=_("使用部门"), on_delete=models.PROTECT, related_name="+"
    )
    provider = models.ForeignKey(
        Department, verbose_name=_("提供部门"), on_delete=models.PROTECT, related_name="+"
    )
    resource = models.ForeignKey(DataResource, on_delete=models.PROTECT, related_name="+")
    registry = models.CharField(_("基础库"), max_length=16)
    record_id = models.BigIntegerField(_("记录"), null=True)
    subject_index = IndexBytesField()  # the subject's blind index (人口库 ID number)
    fields = models.JSONField(_("信息项"), default=list)
    purpose = models.CharField(_("用途"), max_length=200)
    client_id = models.CharField(_("调用方标识"), max_length=200, blank=True)  # X-Road-Client
    request_id = models.CharField(_("请求标识"), max_length=100, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["provider", "at"]),
            # 谁用了我的数据: one person's reads, newest first, paged by (at, id).
            models.Index(fields=["subject_index", "-at", "-id"], name="data_access_subject"),
        ]
        verbose_name = _("用数记录")
        verbose_name_plural = _("用数记录")

    def __str__(self) -> str:
        return f"{self.kind} {self.registry}#{self.record_id}"
