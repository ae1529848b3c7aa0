"""Data room pages under /data/."""

from yiwang.data.views import (
    catalogue,
    defined,
    home,
    ingest,
    objections,
    quality,
    registries,
    sharing,
)

app_name = "data"

urlpatterns: list = [
    *home.urlpatterns,
    *catalogue.urlpatterns,
    *ingest.urlpatterns,
    *quality.urlpatterns,
    *sharing.urlpatterns,
    *registries.urlpatterns,
    *defined.urlpatterns,
    *objections.urlpatterns,
]
