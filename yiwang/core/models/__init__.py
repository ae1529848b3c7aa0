"""Core tables: organisation, users, audit ledger, calendar, workflow, numbering, messages,
rate counters; and the abstract stored file (StoredFile) every room's uploads inherit."""

from yiwang.core.models.calendar import CalendarDay, CalendarYear
from yiwang.core.models.datause import DataUse
from yiwang.core.models.files import StoredFile
from yiwang.core.models.identity import ApiClient, OidcSession, PhoneChallenge, RelyingParty
from yiwang.core.models.ledger import AuditBlock, AuditEntry
from yiwang.core.models.notify import Delivery, Notification
from yiwang.core.models.numbering import NumberSequence
from yiwang.core.models.org import Department, Division, OrgUnit
from yiwang.core.models.ratelimit import RateCounter
from yiwang.core.models.users import Assurance, RecoveryCode, RoleAssignment, User
from yiwang.core.models.workflow import (
    NO_DEADLINE,
    Case,
    CaseAttachment,
    CaseEvent,
    CaseListed,
    Workflow,
    due_key,
)

__all__ = [
    "NO_DEADLINE",
    "ApiClient",
    "Assurance",
    "AuditBlock",
    "AuditEntry",
    "CalendarDay",
    "CalendarYear",
    "Case",
    "CaseAttachment",
    "CaseEvent",
    "CaseListed",
    "DataUse",
    "Delivery",
    "Department",
    "Division",
    "Notification",
    "NumberSequence",
    "OidcSession",
    "OrgUnit",
    "PhoneChallenge",
    "RateCounter",
    "RecoveryCode",
    "RelyingParty",
    "RoleAssignment",
    "StoredFile",
    "User",
    "Workflow",
    "due_key",
]
