"""流程引擎 (pure part): validating workflow definitions and answering questions about
them — which actions leave a state, which roles may act, who covers a case's jurisdiction.
Writes live in ``yiwang.core.actions.workflow``.

A definition is JSON::

    {"states": [{"code", "name", "name_en"?, "time_limit_days"?, "initial"?, "final"?}],
     "actions": [{"code", "name", "name_en"?, "from": [codes] | "*", "to": code, "roles": [role codes],
                  "applicant"?: bool, "comment_required"?: bool,
                  "assign"?: "keep" | "clear" | "actor"}],
     "escalations": [{"state": code | "*", "overdue_days": n, "notify_roles": [...],
                      "raise_level": bool}]}

``name`` is the Chinese name, the one stored in events and the ledger; ``name_en`` is what
English pages and API answers show (``localized``), so data-driven labels are translated
with the data rather than in the message catalogue.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from yiwang.core.access import grant_covers, grants, holders
from yiwang.core.roles import ROLES

ASSIGN_MODES = ("keep", "clear", "actor")


def localized(entry: dict) -> str:
    """A state's, action's or workflow's name in the active language: ``name_en`` on
    English pages when the definition gives one, else the Chinese ``name``."""
    if (get_language() or "").startswith("en"):
        return entry.get("name_en") or entry["name"]
    return entry["name"]


# Labels of the events the engine itself writes (transitions use their action's name).
ENGINE_EVENTS = {
    "start": _lazy("发起"),
    "comment": _lazy("备注"),
    "attach": _lazy("上传附件"),
    "claim": _lazy("签收"),
    "assign": _lazy("分派"),
    "release": _lazy("退回组内"),
    "escalate": _lazy("超期督办"),
    "route": _lazy("转派部门"),
    "deadline": _lazy("调整时限"),
    "supervise": _lazy("督办"),
}
NUMBER_KIND_DEFAULT = "AJ"


def _problem(problems: list[str], message: str) -> None:
    problems.append(message)


def _nonneg_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def validate_definition(definition: Any) -> dict:
    """Check a definition and return it normalised; raise one ValidationError listing
    every problem (unknown or unreachable states, unknown roles, bad fields).

    The checks run in a fixed order — 环节 (states), 操作 (actions), 督办规则
    (escalations), then reachability — so an author sees the problems in the order
    of the definition; reachability is only judged on an otherwise sound definition."""
    problems: list[str] = []
    states, actions, escalations = _top_level_parts(definition)
    codes = _check_states(states, problems)
    known = set(codes)
    initial = [s["code"] for s in states if isinstance(s, dict) and s.get("initial")]
    finals = {s["code"] for s in states if isinstance(s, dict) and s.get("final")}
    if len(initial) != 1:
        _problem(problems, _("流程须有且只有一个初始环节（initial）。"))
    if not finals:
        _problem(problems, _("流程须至少有一个结束环节（final）。"))
    edges = _check_actions(actions, codes, finals, problems)
    for i, e in enumerate(escalations, start=1):
        _check_escalation(i, e, known, problems)
    if len(initial) == 1 and not problems:
        _check_reachability(initial[0], codes, finals, edges, problems)
    if problems:
        raise ValidationError(problems, code="workflow_invalid")
    return {"states": states, "actions": actions, "escalations": escalations}


def _top_level_parts(definition: Any) -> tuple[list, list, list]:
    """The states, actions and escalations lists of a definition; a definition whose
    outline is wrong cannot be checked further, so this raises at once."""
    if not isinstance(definition, dict):
        raise ValidationError(_("流程定义应为 JSON 对象。"), code="workflow_invalid")
    states = definition.get("states")
    actions = definition.get("actions")
    escalations = definition.get("escalations", [])
    if not isinstance(states, list) or not states:
        raise ValidationError(_("流程定义缺少环节（states）。"), code="workflow_invalid")
    if not isinstance(actions, list) or not actions:
        raise ValidationError(_("流程定义缺少操作（actions）。"), code="workflow_invalid")
    if not isinstance(escalations, list):
        raise ValidationError(_("escalations 应为列表。"), code="workflow_invalid")
    return states, actions, escalations


def _check_states(states: list, problems: list[str]) -> list[str]:
    """Check each 环节 (state) has a unique code, a name and a sound time limit (时限, in
    working days); return the codes of the well-formed states, in order."""
    codes: list[str] = []
    for i, s in enumerate(states, start=1):
        if not isinstance(s, dict) or not s.get("code") or not s.get("name"):
            _problem(problems, _("第 %d 个环节缺少 code 或 name。") % i)
            continue
        if s["code"] in codes:
            _problem(problems, _("环节编码重复：%s") % s["code"])
        codes.append(s["code"])
        limit = s.get("time_limit_days")
        if limit is not None and not _nonneg_int(limit):
            _problem(problems, _("环节 %s 的时限应为非负整数（工作日）。") % s["code"])
    return codes


def _check_actions(
    actions: list, codes: list[str], finals: set[str], problems: list[str]
) -> dict[str, set[str]]:
    """Check every 操作 (action) and return the state graph they draw (state → the states
    an action leads to), which the reachability check walks."""
    known = set(codes)
    action_codes: set[str] = set()
    edges: dict[str, set[str]] = {c: set() for c in codes}
    for i, a in enumerate(actions, start=1):
        if not isinstance(a, dict) or not a.get("code") or not a.get("name"):
            _problem(problems, _("第 %d 个操作缺少 code 或 name。") % i)
            continue
        code = a["code"]
        if code in action_codes:
            _problem(problems, _("操作编码重复：%s") % code)
        action_codes.add(code)
        sources = _action_sources(a, codes, finals, problems)
        to = a.get("to")
        if to not in known:
            _problem(
                problems,
                _("操作 %(action)s 的目标环节未声明：%(state)s") % {"action": code, "state": to},
            )
        _check_action_actors(a, problems)
        if a.get("assign", "keep") not in ASSIGN_MODES:
            _problem(problems, _("操作 %s 的 assign 应为 keep、clear 或 actor。") % code)
        for c in sources:
            if c in edges and to in known:
                edges[c].add(to)
    return edges


def _action_sources(a: dict, codes: list[str], finals: set[str], problems: list[str]) -> list:
    """The states an action may be taken from: ``"*"`` means every non-final state, else
    a non-empty list of declared states (起始环节)."""
    code = a["code"]
    src = a.get("from")
    if src == "*":
        return [c for c in codes if c not in finals]
    if isinstance(src, list) and src:
        for c in src:
            if c not in codes:
                _problem(
                    problems,
                    _("操作 %(action)s 的起始环节未声明：%(state)s") % {"action": code, "state": c},
                )
        return src
    _problem(problems, _('操作 %s 须指明起始环节 from（列表或 "*"）。') % code)
    return []


def _check_action_actors(a: dict, problems: list[str]) -> None:
    """Check who may take an action: its roles must be known, and an action with no
    role must be open to the applicant (申请人), or nobody could ever take it."""
    code = a["code"]
    roles = a.get("roles", [])
    if not isinstance(roles, list):
        _problem(problems, _("操作 %s 的 roles 应为列表。") % code)
        roles = []
    for r in roles:
        if r not in ROLES:
            _problem(
                problems,
                _("操作 %(action)s 使用了未知角色：%(role)s") % {"action": code, "role": r},
            )
    if not roles and not a.get("applicant"):
        _problem(problems, _("操作 %s 既没有角色也不允许申请人办理，无人可以执行。") % code)


def _check_escalation(i: int, e: Any, known: set[str], problems: list[str]) -> None:
    """Check the i-th 督办规则 (escalation rule): a declared state or ``"*"``, a
    non-negative number of overdue days and known roles to notify."""
    if not isinstance(e, dict):
        _problem(problems, _("第 %d 条督办规则格式错误。") % i)
        return
    if e.get("state") != "*" and e.get("state") not in known:
        _problem(
            problems,
            _("第 %(n)d 条督办规则的环节未声明：%(state)s") % {"n": i, "state": e.get("state")},
        )
    if not _nonneg_int(e.get("overdue_days", 0)):
        _problem(problems, _("第 %d 条督办规则的 overdue_days 应为非负整数。") % i)
    for r in e.get("notify_roles", []):
        if r not in ROLES:
            _problem(
                problems, _("第 %(n)d 条督办规则使用了未知角色：%(role)s") % {"n": i, "role": r}
            )


def _check_reachability(
    initial: str,
    codes: list[str],
    finals: set[str],
    edges: dict[str, set[str]],
    problems: list[str],
) -> None:
    """Every state must be reachable from the initial one, and every non-final state
    must have a way out — otherwise a case (办件) could get stuck for ever."""
    seen = {initial}
    todo = [initial]
    while todo:
        for nxt in edges[todo.pop()]:
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    for c in codes:
        if c not in seen:
            _problem(problems, _("环节 %s 从初始环节无法到达。") % c)
        elif c not in finals and not edges[c]:
            _problem(problems, _("环节 %s 不是结束环节，却没有任何可执行的操作。") % c)


@dataclass(frozen=True)
class Action:
    """One declared action (操作) of a workflow."""

    code: str
    name: str  # Chinese, as stored in events and the ledger
    name_en: str
    sources: tuple[str, ...] | None  # None = any non-final state
    to: str
    roles: frozenset[str]
    applicant: bool
    comment_required: bool
    assign: str

    @property
    def label(self) -> str:
        """The action's name as the reader's language shows it (``localized``)."""
        return localized({"name": self.name, "name_en": self.name_en})

    def allowed_from(self, state: str, finals: frozenset[str]) -> bool:
        if self.sources is None:
            return state not in finals
        return state in self.sources


class Definition:
    """Read-only view of a validated definition."""

    def __init__(self, data: dict) -> None:
        self.data = data
        self.states = {s["code"]: s for s in data["states"]}
        self.finals = frozenset(c for c, s in self.states.items() if s.get("final"))
        self.initial = next(c for c, s in self.states.items() if s.get("initial"))
        self.actions = [
            Action(
                code=a["code"],
                name=a["name"],
                name_en=a.get("name_en", ""),
                sources=None if a["from"] == "*" else tuple(a["from"]),
                to=a["to"],
                roles=frozenset(a.get("roles", [])),
                applicant=bool(a.get("applicant")),
                comment_required=bool(a.get("comment_required")),
                assign=a.get("assign", "keep"),
            )
            for a in data["actions"]
        ]
        self.escalations = data.get("escalations", [])

    def state_name(self, code: str) -> str:
        """The state's name in the reader's language (its code if undeclared)."""
        state = self.states.get(code)
        return localized(state) if state else code

    def time_limit(self, code: str) -> int | None:
        return self.states.get(code, {}).get("time_limit_days")

    def event_label(self, code: str) -> str:
        """Label of a CaseEvent's action code, in the reader's language."""
        if code in ENGINE_EVENTS:
            return str(ENGINE_EVENTS[code])
        found = self.action(code)
        return found.label if found else code

    def action(self, code: str) -> Action | None:
        return next((a for a in self.actions if a.code == code), None)

    def actions_from(self, state: str) -> list[Action]:
        return [a for a in self.actions if a.allowed_from(state, self.finals)]

    def roles_acting_in(self, state: str) -> set[str]:
        """Roles that may take some action from ``state``."""
        return {r for a in self.actions_from(state) for r in a.roles}

    def roles_moving_on(self, state: str) -> set[str]:
        """Roles that may move a case on from ``state`` — every action but those handing
        it back to the applicant (补正) — or, when there are none, any acting role."""
        onward = {
            r for a in self.actions_from(state) if not self.applicants_turn(a.to) for r in a.roles
        }
        return onward or self.roles_acting_in(state)

    def applicants_turn(self, state: str) -> bool:
        """Whether the applicant moves the case on from ``state`` (补正: they resubmit);
        withdrawing, which ends the case, does not count."""
        return any(a.applicant and a.to not in self.finals for a in self.actions_from(state))

    def escalations_for(self, state: str) -> list[tuple[int, dict]]:
        """(level, rule) for the rules that apply to ``state``, by rising overdue days."""
        rules = [e for e in self.escalations if e.get("state") in ("*", state)]
        rules.sort(key=lambda e: e.get("overdue_days", 0))
        return list(enumerate(rules, start=1))


_definitions: dict[int, Definition] = {}


def definition_of(workflow) -> Definition:
    """Definition of a stored Workflow, cached per row."""
    d = _definitions.get(workflow.pk)
    if d is None or d.data != workflow.definition:
        d = Definition(workflow.definition)
        _definitions[workflow.pk] = d
    return d


def handling_roles(user, case) -> set[str]:
    """Roles the user holds whose jurisdiction covers ``case`` and that allow case.handle."""
    if getattr(user, "is_superuser", False) and user.is_active:
        return set(ROLES)
    path = case.division.path
    parent = case.department.parent_id
    return {
        g.role
        for g in grants(user)
        if "case.handle" in ROLES[g.role].permissions
        and grant_covers(g, path, case.department_id, parent)
    }


def unattended_roles(d: Definition, state: str, *, division_path: str, department) -> set[str]:
    """The roles that may move a case on from ``state`` when no active staff member
    holding one of them reaches the place (``division_path`` × ``department``): a case
    there would wait for nobody (a clerk who may only send it back for 补正 does not
    count). Empty when someone does, in a final state, or when it is the applicant's
    turn."""
    if state in d.finals or d.applicants_turn(state):
        return set()
    roles = d.roles_moving_on(state)
    if not roles or holders(roles, division_path=division_path, department=department):
        return set()
    return roles


def available_actions(user, case) -> list[Action]:
    """Actions ``user`` may take on ``case`` now (by role in jurisdiction, or as applicant)."""
    if case.closed_at is not None:
        return []
    d = definition_of(case.workflow)
    roles = handling_roles(user, case)
    is_applicant = case.applicant_id is not None and case.applicant_id == user.pk
    return [
        a for a in d.actions_from(case.state) if (a.roles & roles) or (a.applicant and is_applicant)
    ]
