"""Public services tables: items, applications, materials, bundles, ratings, halls
(预约, 取号) and notice settings."""

from yiwang.services.models.applications import (
    Application,
    Bundle,
    BundleApplication,
    BundleItem,
    Channel,
    HolderIdType,
    Material,
)
from yiwang.services.models.halls import (
    Booking,
    BookingSlot,
    NoticeSetting,
    QueueTicket,
    ServiceHall,
)
from yiwang.services.models.items import ItemKind, MaterialSpec, ProcessStep, ServiceItem
from yiwang.services.models.ratings import Level, Rating, WindowVisit

__all__ = [
    "Application",
    "Booking",
    "BookingSlot",
    "Bundle",
    "BundleApplication",
    "BundleItem",
    "Channel",
    "HolderIdType",
    "ItemKind",
    "Level",
    "Material",
    "MaterialSpec",
    "NoticeSetting",
    "ProcessStep",
    "QueueTicket",
    "Rating",
    "ServiceHall",
    "ServiceItem",
    "WindowVisit",
]
