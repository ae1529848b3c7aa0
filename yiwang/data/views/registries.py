"""Data room pages: registries."""

urlpatterns: list = []
