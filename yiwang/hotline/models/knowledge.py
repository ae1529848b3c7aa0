"""知识库: questions and answers kept by departments, searched by agents (即接即办)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from yiwang.core.models import Department
from yiwang.hotline.models.categories import Category


class KnowledgeEntry(models.Model):
    """知识条目. ``search_text`` holds the simplified-Chinese, segmented form of question,
    answer and keywords, so a search in either script matches."""

    class State(models.TextChoices):
        DRAFT = "draft", _("草稿")
        PUBLISHED = "published", _("已发布")
        WITHDRAWN = "withdrawn", _("已停用")

    department = models.ForeignKey(
        Department, verbose_name=_("维护部门"), on_delete=models.PROTECT, related_name="+"
    )
    category = models.ForeignKey(
        Category, verbose_name=_("诉求分类"), null=True, blank=True, on_delete=models.SET_NULL
    )
    question = models.CharField(_("问题"), max_length=200)
    answer = models.TextField(_("答复口径"))
    keywords = models.CharField(_("关键词"), max_length=200, blank=True)
    legal_basis = models.CharField(_("依据"), max_length=300, blank=True)
    search_text = models.TextField(editable=False, blank=True)
    state = models.CharField(max_length=10, choices=State.choices, default=State.PUBLISHED)
    valid_until = models.DateField(_("有效期至"), null=True, blank=True)
    hits = models.PositiveIntegerField(_("引用次数"), default=0)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-hits", "id"]
        verbose_name = _("知识条目")
        verbose_name_plural = _("知识条目")

    def __str__(self) -> str:
        return self.question
