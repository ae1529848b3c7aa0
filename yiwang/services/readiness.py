"""发布前检查: what a 业务办理项 needs before it is published, so that no application of
it can go nowhere —

- the e-licence it issues can be held by whoever applies: the licence type's 持证主体类别
  (自然人, 法人和其他组织, 不限) covers every kind of applicant the item serves (服务对象),
  or — for a 设立登记 — the licence goes to the entity the registration creates, which
  an organisation's licence can hold;
- every step of its 办理流程 has someone to take it: an active staff member holding a
  role the step names whose reach covers the handling department (the department itself,
  or its city department on the same line), so the case lands in an inbox.

``publish_problems`` is what ``do_publish_item`` refuses with; the same questions answer
for a whole catalogue (``holder_kind_problem``)."""

from __future__ import annotations

from django.utils.translation import gettext as _

from yiwang.core.models import Workflow
from yiwang.core.roles import ROLES
from yiwang.core.workflow import definition_of, unattended_roles
from yiwang.services.models import ServiceItem

# Kinds of applicant an item's 服务对象 admits, and kinds of holder a licence type takes.
APPLICANT_KINDS: dict[str, frozenset[str]] = {
    ServiceItem.Applicants.PERSON: frozenset({"person"}),
    ServiceItem.Applicants.ENTITY: frozenset({"entity"}),
    ServiceItem.Applicants.BOTH: frozenset({"person", "entity"}),
}
HOLDER_KINDS: dict[str, frozenset[str]] = {
    "person": frozenset({"person"}),
    "entity": frozenset({"entity"}),
    "any": frozenset({"person", "entity"}),
}


def holder_kind_problem(item: ServiceItem) -> str | None:
    """Why the licence ``item`` issues could not be held by its applicants (None when it
    can, or when the item issues none): the type is not in the 证照目录; a 设立登记's
    licence is for a person only; or some kind of applicant the item serves is not a
    kind of holder the licence type takes."""
    from yiwang.licences.public import licence_type_by_slug

    if not item.licence_type_code:
        return None
    licence_type = licence_type_by_slug(item.licence_type_code)
    if licence_type is None:
        return _("办结发放的证照类型“%s”不在证照目录中，办结时无法签发。") % (
            item.licence_type_code
        )
    holders = HOLDER_KINDS.get(licence_type.holder_kind, frozenset())
    if item.registers_entity:
        if "entity" in holders:
            return None
        return _("设立登记的证照核发给新设立的主体，而「%(licence)s」只能由%(holder)s持有。") % {
            "licence": licence_type.name,
            "holder": licence_type.get_holder_kind_display(),
        }
    if APPLICANT_KINDS.get(str(item.applicants), frozenset()) <= holders:
        return None
    return _(
        "服务对象为“%(who)s”，而办结发放的「%(licence)s」只能由%(holder)s持有，"
        "有的申请人将领不到证照：请调整服务对象或发放的证照类型后再发布。"
    ) % {
        "who": item.get_applicants_display(),
        "licence": licence_type.name,
        "holder": licence_type.get_holder_kind_display(),
    }


def staffing_problems(item: ServiceItem) -> list[str]:
    """The steps of the item's 办理流程 nobody in reach of its handling department could
    take, one message each (empty when every step has someone)."""
    workflow = (
        Workflow.objects.filter(code=item.workflow_code, active=True).order_by("-version").first()
    )
    if workflow is None:
        return [_("办理流程“%s”未启用。") % item.workflow_code]
    d = definition_of(workflow)
    out = []
    for state in d.states:
        missing = unattended_roles(
            d, state, division_path=item.division.path, department=item.department
        )
        if missing:
            out.append(
                _(
                    "“%(step)s”环节无人办理：%(dept)s（及其上级条线部门）没有%(roles)s，"
                    "发布后申请将无人受理。请先为该部门配备工作人员。"
                )
                % {
                    "step": d.state_name(state),
                    "dept": item.department.name,
                    "roles": _("或").join(str(ROLES[r].label) for r in sorted(missing)),
                }
            )
    return out


def publish_problems(item: ServiceItem) -> list[str]:
    """Everything that stops a 业务办理项 from being published for want of a holder for
    its licence or of staff to handle it."""
    problem = holder_kind_problem(item)
    return ([problem] if problem else []) + staffing_problems(item)
