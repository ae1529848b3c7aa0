"""Data room tables: catalogue, elements, registries, ingestion, quality, sharing,
objections."""

from yiwang.data.models.catalogue import (
    Catalogue,
    DataItem,
    DataResource,
    Grade,
    OpenType,
    ShareType,
)
from yiwang.data.models.defined import DefinedRecord, RegistryDefinition
from yiwang.data.models.elements import DataElement
from yiwang.data.models.ingest import Conflict, ImportBatch, PullSource, QuarantinedRow
from yiwang.data.models.objections import DataObjection
from yiwang.data.models.quality import QualityResult, QualityRule
from yiwang.data.models.registries import (
    CreditRecord,
    LegalEntity,
    Person,
    Place,
    RecordHistory,
    RegistryRecord,
)
from yiwang.data.models.sharing import DataAccess, ShareGrant, ShareRequest

__all__ = [
    "Catalogue",
    "Conflict",
    "CreditRecord",
    "DataAccess",
    "DataElement",
    "DataItem",
    "DataObjection",
    "DataResource",
    "DefinedRecord",
    "Grade",
    "ImportBatch",
    "LegalEntity",
    "OpenType",
    "Person",
    "Place",
    "PullSource",
    "QualityResult",
    "QualityRule",
    "QuarantinedRow",
    "RecordHistory",
    "RegistryDefinition",
    "RegistryRecord",
    "ShareGrant",
    "ShareRequest",
    "ShareType",
]
