"""Data room pages: objections."""

urlpatterns: list = []
