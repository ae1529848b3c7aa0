"""Pages of the licences room under /licences/ (one views module per area)."""

from yiwang.licences.views import seals, staff, verify, wallet

app_name = "licences"

urlpatterns: list = [
    *staff.urlpatterns,
    *verify.urlpatterns,
    *wallet.urlpatterns,
    *seals.urlpatterns,
]
