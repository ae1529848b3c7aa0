"""Data room pages: sharing."""

urlpatterns: list = []
