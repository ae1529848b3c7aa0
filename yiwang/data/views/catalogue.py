"""Data room pages: catalogue."""

urlpatterns: list = []
