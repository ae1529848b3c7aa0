"""存储文件: the one shape of an uploaded file kept by any room (case attachments, 12345
ticket attachments, application materials). A room's model inherits ``StoredFile`` and
may override ``file`` for its own ``upload_to``; ``yiwang.core.uploads`` checks, stores
and reads the bytes."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class StoredFile(models.Model):
    """An uploaded file: original name, size, content type (from its bytes, not from the
    client), SM3 digest of the clear content, and the storage path of its SM4-GCM
    encrypted bytes (加密存储). ``key_version`` is the SM4 key version the bytes were
    encrypted with; NULL marks a file stored in clear before encryption at rest, which
    is read as it is and still checked against its digest."""

    file = models.FileField(_("文件"), upload_to="files/%Y/%m/", max_length=200)
    name = models.CharField(_("文件名"), max_length=200)
    size = models.PositiveBigIntegerField(_("大小"), default=0)
    content_type = models.CharField(_("文件类型"), max_length=100, blank=True)
    sm3 = models.CharField(_("SM3 摘要"), max_length=64, blank=True)
    key_version = models.PositiveSmallIntegerField(_("SM4 密钥版本"), null=True, blank=True)

    class Meta:
        abstract = True

    @property
    def encrypted(self) -> bool:
        """Whether the stored bytes are SM4 ciphertext (else a legacy clear file)."""
        return self.key_version is not None
