"""12345 hotline tables: categories, tickets, knowledge, hotspots, grids, warnings."""

from yiwang.hotline.models.categories import Category, RoutingRule, TaxonomyVersion
from yiwang.hotline.models.classifier import (
    ClassificationLabel,
    ClassifierVersion,
    LabelVerdict,
    VersionStatus,
)
from yiwang.hotline.models.grid import Grid
from yiwang.hotline.models.hotspots import HotspotAlert, TicketTerm
from yiwang.hotline.models.knowledge import KnowledgeEntry
from yiwang.hotline.models.open311 import Open311Key
from yiwang.hotline.models.tickets import (
    Callback,
    Channel,
    Emergency,
    Extension,
    Kind,
    Result,
    Satisfaction,
    Ticket,
    TicketAttachment,
    TicketLink,
    TicketReturn,
    Urgency,
)
from yiwang.hotline.models.warnings import Warning, WarningRecipient

__all__ = [
    "Callback",
    "Category",
    "Channel",
    "ClassificationLabel",
    "ClassifierVersion",
    "Emergency",
    "Extension",
    "Grid",
    "HotspotAlert",
    "Kind",
    "KnowledgeEntry",
    "LabelVerdict",
    "Open311Key",
    "Result",
    "RoutingRule",
    "Satisfaction",
    "TaxonomyVersion",
    "Ticket",
    "TicketAttachment",
    "TicketLink",
    "TicketReturn",
    "TicketTerm",
    "Urgency",
    "VersionStatus",
    "Warning",
    "WarningRecipient",
]
