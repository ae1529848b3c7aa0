"""Data room pages: ingest."""

urlpatterns: list = []
