"""Data room pages: quality."""

urlpatterns: list = []
