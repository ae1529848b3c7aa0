"""Pages of the services room under /services/ (one views module per area)."""

from yiwang.services.views import items

app_name = "services"

urlpatterns: list = [
    *items.urlpatterns,
]
