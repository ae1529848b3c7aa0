"""Pages of the hotline room under /hotline/ (one views module per area)."""

from yiwang.hotline.views import (
    classifier,
    grid,
    hotspots,
    knowledge,
    open311_keys,
    public,
    routing,
    taxonomy,
    tickets,
    warnings,
)

app_name = "hotline"

urlpatterns: list = [
    *tickets.urlpatterns,
    *public.urlpatterns,
    *routing.urlpatterns,
    *knowledge.urlpatterns,
    *hotspots.urlpatterns,
    *grid.urlpatterns,
    *warnings.urlpatterns,
    *open311_keys.urlpatterns,
    *taxonomy.urlpatterns,
    *classifier.urlpatterns,
]
