"""Pages of the services room under /services/ (one views module per area)."""

app_name = "services"

urlpatterns: list = []
