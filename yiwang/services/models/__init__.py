"""Public services tables: items, applications, materials, bundles, ratings."""

from yiwang.services.models.applications import (
    Application,
    Bundle,
    BundleApplication,
    BundleItem,
    Channel,
    HolderIdType,
    Material,
)
from yiwang.services.models.items import ItemKind, MaterialSpec, ProcessStep, ServiceItem
from yiwang.services.models.ratings import Level, Rating, WindowVisit

__all__ = [
    "Application",
    "Bundle",
    "BundleApplication",
    "BundleItem",
    "Channel",
    "HolderIdType",
    "ItemKind",
    "Level",
    "Material",
    "MaterialSpec",
    "ProcessStep",
    "Rating",
    "ServiceItem",
    "WindowVisit",
]
