"""Core staff pages: inbox, cases, audit."""

urlpatterns: list = []
