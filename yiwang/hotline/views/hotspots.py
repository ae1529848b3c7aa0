"""Pages: hotspots (filled in by its area)."""

urlpatterns: list = []
