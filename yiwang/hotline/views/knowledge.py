"""Pages: knowledge (filled in by its area)."""

urlpatterns: list = []
