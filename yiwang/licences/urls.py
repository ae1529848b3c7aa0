"""Pages of the licences room under /licences/ (one views module per area)."""

app_name = "licences"

urlpatterns: list = []
