"""Open311 GeoReport v2 endpoints (filled in by the Open311 area)."""

app_name = "open311"

urlpatterns: list = []
