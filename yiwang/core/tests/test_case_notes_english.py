"""流转记录 in the reader's language: a note the platform writes on a case (自动派单, 秒批,
重办时限, 评价 …) is stored in Chinese with its English beside it (``CaseEvent.comment_en``)
and shown in the reader's language, whoever acted and in whatever language; what a person
typed is shown as typed. Every place the code writes a note is walked: a translated text
handed to a case's history goes through ``bilingual`` and has an English translation."""

from __future__ import annotations

import ast
import html
import re
from pathlib import Path

import pytest
from django.utils import translation
from django.utils.translation import gettext as _

from yiwang.core import calendar
from yiwang.core.actions.workflow import (
    do_comment,
    do_escalate_overdue,
    do_record_event,
    do_route_case,
    do_set_case_due,
    do_start_case,
    do_start_case_through,
    do_transition,
)
from yiwang.core.models import AuditEntry, CaseEvent
from yiwang.core.notify.text import bilingual

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[3]
CJK = re.compile(r"[\u3400-\u9fff]")
GETTEXT = {"_", "gettext", "ngettext", "pgettext"}
# Keyword arguments that carry a note into a case's history, through the engine's
# actions (``do_transition`` …) or a room's own (``do_dispatch``, ``do_act`` …).
NOTE_ARGS = {"comment", "steps"}
# Engine helpers taking the note as a positional argument: (name, index of the note).
POSITIONAL = {"_note": 3}


def _name(node: ast.AST) -> str:
    if isinstance(node, ast.Call):
        f = node.func
        return f.id if isinstance(f, ast.Name) else getattr(f, "attr", "")
    return ""


def _sources() -> list[Path]:
    return [
        p
        for p in (ROOT / "yiwang").rglob("*.py")
        if "tests" not in p.parts and "migrations" not in p.parts
    ]


class _Walk:
    """Every note expression handed to a history writer, followed into what it is made
    of: the values assigned to its names in the same module, and the return values of
    the functions it calls by name (but not those called inside ``bilingual``, which
    are rendered in each language)."""

    def __init__(self) -> None:
        self.functions: dict[str, list[ast.AST]] = {}
        self.trees: list[tuple[Path, ast.Module]] = []
        for path in _sources():
            tree = ast.parse(path.read_text("utf-8"))
            self.trees.append((path, tree))
            for node in ast.walk(tree):
                if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    self.functions.setdefault(node.name, []).append(node)
        self.module_of = {id(node): tree for _path, tree in self.trees for node in ast.walk(tree)}

    def where(self, node: ast.AST) -> str:
        tree = self.module_of.get(id(node))
        path = next((p for p, t in self.trees if t is tree), ROOT)
        return f"{path.relative_to(ROOT)}:{getattr(node, 'lineno', 0)}"

    def notes(self):
        """(where, note expression, its module) of every history note."""
        for path, tree in self.trees:
            for call in ast.walk(tree):
                if not isinstance(call, ast.Call):
                    continue
                where = f"{path.relative_to(ROOT)}:{call.lineno}"
                for k in call.keywords:
                    if k.arg in NOTE_ARGS:
                        yield where, k.value, tree
                index = POSITIONAL.get(_name(call))
                if index is not None and len(call.args) > index:
                    yield where, call.args[index], tree

    def parts(self, expr: ast.AST, scope: ast.AST, depth: int = 0, calls=True) -> list[ast.AST]:
        """``expr`` and what it is made of, ``depth`` steps deep. A name used inside
        ``bilingual`` holds a value made before it: its assignments are read, but the
        calls that made them are not followed (``calls``), as they name data."""
        found = [expr]
        if depth >= 4:
            return found
        outside = _names(expr, inside=False)
        inside = _names(expr, inside=True) - outside
        for node in ast.walk(scope):
            targets = []
            if isinstance(node, ast.Assign):
                targets = node.targets
            elif isinstance(node, ast.AnnAssign) and node.value is not None:
                targets = [node.target]
            assigned = {t.id for t in targets if isinstance(t, ast.Name)}
            if not assigned:
                continue
            value = node.value  # type: ignore[attr-defined]
            if assigned & outside:
                found += self.parts(value, scope, depth + 1, calls)
            elif assigned & inside and _is_text(value):
                found.append(value)
        for call in _calls_outside_bilingual(expr) if calls else []:
            for callee in self.callees(call, scope):
                for ret in ast.walk(callee):
                    if isinstance(ret, ast.Return) and ret.value is not None:
                        found += self.parts(ret.value, self.module_of[id(callee)], depth + 1)
        return found

    def callees(self, call: ast.Call, scope: ast.AST) -> list[ast.AST]:
        """The functions ``call`` may run: a plain name defined in the calling module is
        that module's; anything else, every function of that name."""
        named = self.functions.get(_name(call), [])
        if isinstance(call.func, ast.Name):
            local = [f for f in named if self.module_of[id(f)] is scope]
            return local or named
        return named


def _names(node: ast.AST, inside: bool, within: bool = False) -> set[str]:
    """Names used in ``node`` inside (or outside) a ``bilingual(...)``."""
    within = within or _name(node) == "bilingual"
    out = {node.id} if isinstance(node, ast.Name) and within == inside else set()
    for child in ast.iter_child_nodes(node):
        out |= _names(child, inside, within)
    return out


def _is_text(value: ast.AST) -> bool:
    """Whether an assigned value is text made here (a translation, a formatted string)
    rather than a thing a call returns (a case, a row)."""
    return _name(value) in GETTEXT or isinstance(
        value, (ast.BinOp, ast.JoinedStr, ast.Constant, ast.IfExp, ast.BoolOp)
    )


def _calls_outside_bilingual(node: ast.AST) -> list[ast.Call]:
    if _name(node) == "bilingual":
        return []
    found = [node] if isinstance(node, ast.Call) and _name(node) not in GETTEXT else []
    for child in ast.iter_child_nodes(node):
        found += _calls_outside_bilingual(child)
    return found


def _bare_gettext(node: ast.AST) -> list[ast.AST]:
    """gettext calls under ``node`` that are not inside a ``bilingual(...)``."""
    if _name(node) == "bilingual":
        return []
    found = [node] if _name(node) in GETTEXT else []
    for child in ast.iter_child_nodes(node):
        found += _bare_gettext(child)
    return found


def _msgids(node: ast.AST) -> set[str]:
    out = set()
    for inner in ast.walk(node):
        if _name(inner) in GETTEXT and inner.args:  # type: ignore[attr-defined]
            first = inner.args[0]  # type: ignore[attr-defined]
            if isinstance(first, ast.Constant) and isinstance(first.value, str):
                out.add(first.value)
    return out


@pytest.fixture(scope="module")
def walk():
    return _Walk()


def test_every_history_note_of_the_platform_is_written_in_both_languages(walk):
    bare, notes = [], 0
    for where, expr, module in walk.notes():
        notes += 1
        for part in walk.parts(expr, module):
            bare += [f"{where} ({walk.where(g)})" for g in _bare_gettext(part)]
    assert notes > 40  # every room's writers are walked
    assert not bare, f"a note written with gettext but not bilingual(): {sorted(set(bare))}"


def test_every_history_note_string_has_an_english_translation(walk):
    msgids: set[str] = set()
    for _where, expr, module in walk.notes():
        for part in walk.parts(expr, module):
            msgids |= _msgids(part)
    assert {"自动派单", "重办时限", "秒批：系统自动受理。"} <= msgids
    with translation.override("en"):
        untranslated = [m for m in msgids if CJK.search(_(m))]
    assert not untranslated, untranslated


# --- the engine keeps both and shows the reader's ---


@pytest.fixture
def desk(city, make_staff, citizen):
    class D:
        clerk = make_staff("window_clerk", "410823", "market")
        admin = make_staff("dept_admin", "410823", "market")
        bureau = make_staff("bureau_admin", "410800", "big_data")
        applicant = citizen
        market = city.department("410823", "market")
        housing = city.department("410823", "housing")

        @staticmethod
        def case(**kw):
            return do_start_case(
                actor=kw.pop("actor", D.clerk),
                workflow_code="generic_approval",
                title="食品经营许可申请",
                division=city.wuzhi,
                department=D.market,
                applicant=citizen,
                **kw,
            )

    return D


def _history(client, user, url: str, language: str) -> str:
    client.force_login(user)
    page = client.get(url, HTTP_ACCEPT_LANGUAGE=language)
    assert page.status_code == 200, url
    text = html.unescape(page.content.decode())
    return text[text.index('id="history"') :]


def test_each_engine_writer_keeps_the_english_of_a_platform_note(client, desk):
    with translation.override("en"):  # the person acting reads English
        case = desk.case(comment=bilingual(lambda: _("申请人网上提交申请。")))
        do_comment(actor=None, case=case, comment=bilingual(lambda: _("自动派单")))
        do_transition(
            actor=desk.clerk, case=case, action_code="accept", comment="材料齐全，予以受理"
        )
        do_set_case_due(
            actor=None,
            case=case,
            due=calendar.add_working_days(case.opened_at.date(), 30)[0],
            comment=bilingual(lambda: _("重办时限")),
        )
        do_record_event(
            actor=desk.admin,
            case=case,
            action="supervise",
            comment=bilingual(lambda: _("督办：%s") % case.number),
        )
        do_route_case(
            actor=None,
            case=case,
            department=desk.housing,
            comment=bilingual(lambda: _("派往 %s") % desk.housing.name),
        )
    events = {e.action: e for e in case.events.all()}
    assert (events["start"].comment, events["start"].comment_en) == (
        "申请人网上提交申请。",
        "The applicant submitted the application online.",
    )
    assert (events["comment"].comment, events["comment"].comment_en) == (
        "自动派单",
        "Automatic dispatch",
    )
    # A person's words: stored as typed, no English copy.
    assert (events["accept"].comment, events["accept"].comment_en) == ("材料齐全，予以受理", "")
    assert (events["deadline"].comment, events["deadline"].comment_en) == (
        "重办时限",
        "Redo deadline",
    )
    assert events["supervise"].comment_en == f"Supervision: {case.number}"
    assert events["route"].comment == f"派往 {desk.housing.name}"
    # The ledger keeps the Chinese.
    assert AuditEntry.objects.get(action="core.case.set_due").change["reason"] == "重办时限"

    english = _history(client, desk.bureau, f"/cases/{case.pk}/", "en")
    assert "The applicant submitted the application online." in english
    assert "Automatic dispatch" in english and "Redo deadline" in english
    assert "材料齐全，予以受理" in english  # as typed
    assert "自动派单" not in english and "重办时限" not in english
    chinese = _history(client, desk.bureau, f"/cases/{case.pk}/", "zh-hans")
    assert "申请人网上提交申请。" in chinese and "自动派单" in chinese and "重办时限" in chinese
    assert "Automatic dispatch" not in chinese

    client.force_login(desk.bureau)
    api = client.get(f"/api/v1/inbox/{case.pk}", HTTP_ACCEPT_LANGUAGE="en").json()
    comments = {e["action"]: e["comment"] for e in api["events"]}
    assert comments["comment"] == "Automatic dispatch"
    assert comments["accept"] == "材料齐全，予以受理"
    api = client.get(f"/api/v1/inbox/{case.pk}", HTTP_ACCEPT_LANGUAGE="zh-hans").json()
    assert {e["action"]: e["comment"] for e in api["events"]}["comment"] == "自动派单"


def test_the_applicant_reads_the_platforms_notes_in_their_language(client, desk):
    """The applicant's view (申请人视图) shows the note a case ended with, in their
    language, and through the API too."""
    case = desk.case()
    do_transition(
        actor=desk.clerk,
        case=case,
        action_code="refuse",
        comment=bilingual(lambda: _("事项没有秒批规则")),
    )
    english = _history(client, desk.applicant, f"/cases/{case.pk}/", "en")
    assert "The service has no instant approval rules" in english
    assert "事项没有秒批规则" not in english
    chinese = _history(client, desk.applicant, f"/cases/{case.pk}/", "zh-hans")
    assert "事项没有秒批规则" in chinese
    api = client.get(f"/api/v1/inbox/{case.pk}", HTTP_ACCEPT_LANGUAGE="en").json()
    assert api["events"][-1]["comment"] == "The service has no instant approval rules"


def test_steps_taken_at_once_and_escalations_keep_their_english(client, desk, city):
    case = do_start_case_through(
        actor=None,
        workflow_code="generic_approval",
        title="居住证申领",
        division=city.wuzhi,
        department=desk.market,
        applicant=desk.applicant,
        comment=bilingual(lambda: _("申请人网上提交申请。")),
        steps=[("accept", bilingual(lambda: _("秒批：系统自动受理。")))],
    )
    accept = case.events.get(action="accept")
    assert accept.comment == "秒批：系统自动受理。"
    assert accept.comment_en == "Instant approval: accepted automatically by the system."
    later = calendar.add_working_days(case.state_due, 1)[0]
    assert do_escalate_overdue(today=later) == 1
    escalated = case.events.get(action="escalate")
    assert "请督办" in escalated.comment and "please follow up" in escalated.comment_en
    english = _history(client, desk.admin, f"/cases/{case.pk}/", "en")
    assert "accepted automatically by the system" in english and "please follow up" in english
    assert "请督办" not in english


def test_a_required_comment_is_not_blank_in_either_form(desk):
    from django.core.exceptions import ValidationError

    case = desk.case()
    with pytest.raises(ValidationError):
        do_transition(actor=desk.clerk, case=case, action_code="refuse", comment="  ")
    with pytest.raises(ValidationError):
        do_comment(actor=desk.clerk, case=case, comment=bilingual(lambda: " "))
    assert not CaseEvent.objects.filter(case=case).exclude(action="start").exists()
