"""Tables of the licences room: 证照目录, 电子证照 with status history, 电子印章 and
用章记录."""

from yiwang.licences.models.catalogue import LicenceType
from yiwang.licences.models.licences import (
    ENTITY_ID_TYPES,
    HolderIdType,
    Licence,
    LicenceEvent,
    Status,
)
from yiwang.licences.models.seals import SEAL_KEY_CONTEXT, Seal, SealUsage
from yiwang.licences.models.showings import Showing

__all__ = [
    "ENTITY_ID_TYPES",
    "SEAL_KEY_CONTEXT",
    "HolderIdType",
    "Licence",
    "LicenceEvent",
    "LicenceType",
    "Seal",
    "SealUsage",
    "Showing",
    "Status",
]
