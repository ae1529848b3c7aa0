"""Core staff pages: inbox, cases, audit, staff directory."""

from django.urls import path

from yiwang.core.views import staff

urlpatterns: list = [
    path("org/staff/", staff.staff_list, name="staff-list"),
]
