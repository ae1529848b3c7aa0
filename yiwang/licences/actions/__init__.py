"""Writes of the licences room (every one audited): catalogue, seals, licences."""

from yiwang.licences.actions.catalogue import do_seed_licence_types
from yiwang.licences.actions.licences import (
    do_change_status,
    do_expire_licences,
    do_issue_licence,
)
from yiwang.licences.actions.seals import do_create_seal, do_disable_seal

__all__ = [
    "do_change_status",
    "do_create_seal",
    "do_disable_seal",
    "do_expire_licences",
    "do_issue_licence",
    "do_seed_licence_types",
]
