"""Core staff pages: inbox, cases, audit, staff directory."""

from django.urls import path

from yiwang.core.views import audit, staff

urlpatterns: list = [
    path("org/staff/", staff.staff_list, name="staff-list"),
    path("audit/", audit.audit_search, name="audit-search"),
    path("audit/entries/<int:entry_id>/", audit.audit_entry, name="audit-entry"),
]
