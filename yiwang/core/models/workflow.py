"""流程引擎: processes declared as data. A ``Workflow`` holds its states, actions (with the
roles allowed to take them), time limits in working days and escalation rules as a
validated JSON definition; a ``Case`` is one run of it over any subject object."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q, Value
from django.db.models.functions import Coalesce
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from yiwang.core.models.files import StoredFile
from yiwang.core.models.org import Department, Division


class Workflow(models.Model):
    """流程定义 (code + version). Running cases keep the version they started on."""

    code = models.CharField(_("流程编码"), max_length=64)
    version = models.PositiveIntegerField(_("版本"), default=1)
    name = models.CharField(_("名称"), max_length=100)
    case_time_limit_days = models.PositiveIntegerField(
        _("全程时限（工作日）"), null=True, blank=True
    )
    definition = models.JSONField(_("定义"))
    active = models.BooleanField(_("启用"), default=True)

    class Meta:
        ordering = ["code", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["code", "version"], name="workflow_code_version")
        ]
        verbose_name = _("流程")
        verbose_name_plural = _("流程")

    def __str__(self) -> str:
        return f"{self.name} v{self.version}"

    @property
    def display_name(self) -> str:
        """The workflow's name in the active language (the definition's ``name_en`` on
        English pages, as for its states and actions)."""
        from yiwang.core.workflow import localized

        return localized({"name": self.name, "name_en": (self.definition or {}).get("name_en")})


# What a missing deadline (无时限) sorts as: lists order by non-null keys, open-ended last.
NO_DEADLINE = datetime.date(9999, 12, 31)


def due_key(due: datetime.date | None) -> datetime.date:
    """A deadline as lists sort it: ``NO_DEADLINE`` when there is none."""
    return NO_DEADLINE if due is None else due


def _due_key_column(field: str) -> models.GeneratedField:
    """``field`` with ``NO_DEADLINE`` for null, computed and stored by the database."""
    return models.GeneratedField(
        expression=Coalesce(field, Value(NO_DEADLINE, output_field=models.DateField())),
        output_field=models.DateField(),
        db_persist=True,
        editable=False,
    )


class Case(models.Model):
    """案件/办件流转: one running instance of a workflow, with its deadlines.

    ``state_due_key`` and ``case_due_key`` are the deadlines as the inbox sorts them (none
    last), kept by the database; partial indexes over the open cases let a page of the
    inbox be read in order, from any cursor, whatever the backlog."""

    workflow = models.ForeignKey(Workflow, on_delete=models.PROTECT, related_name="cases")
    number = models.CharField(_("编号"), max_length=40, unique=True)
    title = models.CharField(_("标题"), max_length=200)
    state = models.CharField(_("环节"), max_length=64, db_index=True)
    subject_type = models.CharField(max_length=64, blank=True)
    subject_id = models.CharField(max_length=64, blank=True)
    division = models.ForeignKey(Division, verbose_name=_("区划"), on_delete=models.PROTECT)
    department = models.ForeignKey(Department, verbose_name=_("部门"), on_delete=models.PROTECT)
    applicant = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("申请人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="applied_cases",
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("承办人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="assigned_cases",
    )
    opened_at = models.DateTimeField(_("创建时间"))
    state_entered_at = models.DateTimeField(_("进入环节时间"))
    state_due = models.DateField(_("环节时限"), null=True, blank=True, db_index=True)
    case_due = models.DateField(_("全程时限"), null=True, blank=True)
    case_time_limit_days = models.PositiveIntegerField(
        _("本案全程时限（工作日）"),
        null=True,
        blank=True,
        help_text=_("本案自己的全程时限（如事项承诺时限、批准延期后的时限）；空则按流程定义。"),
    )
    closed_at = models.DateTimeField(_("办结时间"), null=True, blank=True)
    escalation_level = models.PositiveSmallIntegerField(_("督办级别"), default=0)
    escalation_step = models.PositiveSmallIntegerField(
        _("已执行督办规则数"),
        default=0,
        help_text=_("本环节已执行的超期督办规则个数；进入新环节时归零，保证每条规则只执行一次。"),
    )
    calendar_estimated = models.BooleanField(
        _("时限按周一至周五估算"),
        default=False,
        help_text=_("所涉年度尚无官方节假日安排，时限按周一至周五计算。"),
    )
    state_due_key = _due_key_column("state_due")
    case_due_key = _due_key_column("case_due")

    class Meta:
        ordering = ["state_due", "id"]
        indexes = [
            models.Index(fields=["closed_at", "state_due"]),
            # 待办: open cases in deadline order, city-wide and per department.
            models.Index(
                fields=["state_due_key", "case_due_key", "id"],
                condition=Q(closed_at__isnull=True),
                name="core_case_open_due",
            ),
            models.Index(
                fields=["department", "state_due_key", "case_due_key", "id"],
                condition=Q(closed_at__isnull=True),
                name="core_case_open_dept_due",
            ),
        ]
        verbose_name = _("流转案件")
        verbose_name_plural = _("流转案件")

    def __str__(self) -> str:
        return f"{self.number} {self.title}"


class CaseListed(models.Model):
    """列表字段: the step (环节) and deadlines of its case on a room's own row (a 工单, a
    办件), so the room's staff lists filter and sort on their own table through their own
    indexes, without joining the case. The workflow engine writes them whenever it moves
    the case (``yiwang.core.actions.workflow``); nothing else does.

    The deadlines are kept as ``due_key`` (none as ``NO_DEADLINE``): sort keys, not for
    display — pages show the case's own ``state_due`` and ``case_due``."""

    case_state = models.CharField(
        _("环节（列表）"), max_length=64, blank=True, default="", editable=False
    )
    state_due_key = models.DateField(_("环节时限（列表）"), default=NO_DEADLINE, editable=False)
    case_due_key = models.DateField(_("全程时限（列表）"), default=NO_DEADLINE, editable=False)

    class Meta:
        abstract = True

    @staticmethod
    def listed_values(case: Case) -> dict:
        """The listed fields as ``case`` has them now."""
        return {
            "case_state": case.state,
            "state_due_key": due_key(case.state_due),
            "case_due_key": due_key(case.case_due),
        }


class CaseEvent(models.Model):
    """流转记录: one transition, assignment, comment or escalation on a case.

    ``comment`` (意见) is what a person typed, as typed, or a note the platform wrote
    (自动派单, 秒批, 重办时限 …) in Chinese; such a note keeps its English in
    ``comment_en``, written with it (``yiwang.core.notify.text.bilingual``), so a reader
    on English pages reads English whoever acted and in whatever language."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="events")
    action = models.CharField(_("操作"), max_length=64)
    from_state = models.CharField(max_length=64, blank=True)
    to_state = models.CharField(max_length=64, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    comment = models.TextField(_("意见"), blank=True)
    comment_en = models.TextField(_("英文意见"), blank=True)
    at = models.DateTimeField(_("时间"))

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("流转记录")
        verbose_name_plural = _("流转记录")

    def __str__(self) -> str:
        return f"{self.case_id}:{self.action}"

    @property
    def shown_comment(self) -> str:
        """意见 in the reader's language: the English copy of a platform's note when there
        is one, else the comment as stored (a person's words stay as typed)."""
        return (_english() and self.comment_en) or self.comment


class CaseAttachment(StoredFile):
    """附件 on a case: a stored file (SM4 encrypted at rest, SM3 digest for integrity)."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="attachments")
    event = models.ForeignKey(CaseEvent, null=True, blank=True, on_delete=models.SET_NULL)
    file = models.FileField(_("文件"), upload_to="cases/%Y/%m/", max_length=200)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("附件")
        verbose_name_plural = _("附件")

    def __str__(self) -> str:
        return self.name


def _english() -> bool:
    return (get_language() or "").startswith("en")
