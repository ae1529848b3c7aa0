"""Pages of the services room under /services/ (one views module per area)."""

from yiwang.services.views import applications, bundles, halls, items, ratings, staff

app_name = "services"

urlpatterns: list = [
    *items.urlpatterns,
    *applications.urlpatterns,
    *staff.urlpatterns,
    *bundles.urlpatterns,
    *ratings.urlpatterns,
    *halls.urlpatterns,
]
