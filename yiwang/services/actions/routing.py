"""无人可办: an application whose current step nobody could take — no active staff member
holding a role the step names reaches the handling department — would wait in no inbox.
When one is submitted or moves on to such a step, an alarm (安全告警) goes to the ledger
and the bureau's administrators (bureau_admin) whose reach covers the place are told,
the day it happens rather than when the case is overdue. Publishing checks for staff
(``services.readiness``); this catches staff who left or lost a role since."""

from __future__ import annotations

from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from yiwang.core import alarms
from yiwang.core.access import holders
from yiwang.core.actions.notify import do_notify_many
from yiwang.core.notify.text import bilingual
from yiwang.core.roles import ROLES
from yiwang.core.workflow import definition_of, unattended_roles
from yiwang.services.models import Application

PURPOSE = gettext_noop("办件无人可办")
BUREAU_ROLES = frozenset({"bureau_admin"})


def unattended(application: Application) -> set[str]:
    """The roles the application's current step waits for when nobody holding one of
    them reaches its department (empty when someone does, or the case is closed)."""
    case = application.flow
    if case.closed_at is not None:
        return set()
    return unattended_roles(
        definition_of(case.workflow),
        case.state,
        division_path=case.division.path,
        department=case.department,
    )


def roles_text(roles: set[str]) -> str:
    """The roles in words, e.g. "审批人员或窗口人员"."""
    return _("或").join(str(ROLES[r].label) for r in sorted(roles))


def alarm_if_unattended(actor, application: Application) -> set[str]:
    """Raise the alarm and tell the bureau when nobody can take the application's
    current step (once per case and step within the alarm interval). Returns the roles
    the step waits for (empty: someone can take it)."""
    missing = unattended(application)
    if not missing:
        return missing
    case = application.flow
    d = definition_of(case.workflow)
    raised = alarms.raise_alarm(
        key=f"unattended:{case.pk}:{case.state}",
        action="core.alarm.unattended_case",
        obj=("core.case", str(case.pk)),
        purpose=PURPOSE,
        detail={
            "number": application.number,
            "item": application.item.code,
            "state": case.state,
            "department": case.department.code,
            "roles": sorted(missing),
        },
    )
    if raised:
        admins = holders(BUREAU_ROLES, division_path=case.division.path)
        if admins:
            do_notify_many(
                actor=actor,
                users=admins,
                title=bilingual(lambda: _("办件无人可办：%s") % application.number),
                body=bilingual(
                    lambda: (
                        _(
                            "「%(item)s」在“%(step)s”环节等待办理，但%(dept)s（及其上级条线部门）"
                            "没有%(roles)s。请为该部门配备人员或授予角色。"
                        )
                        % {
                            "item": application.item.name,
                            "step": d.state_name(case.state),
                            "dept": case.department.name,
                            "roles": roles_text(missing),
                        }
                    )
                ),
                url=_staff_url(application),
            )
    return missing


def _staff_url(application: Application) -> str:
    try:
        return reverse("services:staff-application", args=[application.number])
    except NoReverseMatch:
        return ""
