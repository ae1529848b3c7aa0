"""Identity pages."""

urlpatterns: list = []
