"""Open311 GeoReport v2 endpoints under /open311/v2/: each resource in .json or .xml."""

from django.urls import re_path

from yiwang.hotline.open311 import views

app_name = "open311"

FORMAT = r"\.(?P<fmt>json|xml)$"

urlpatterns: list = [
    re_path(r"^$", views.root, name="root"),
    re_path(r"^discovery" + FORMAT, views.discovery, name="discovery"),
    re_path(r"^services" + FORMAT, views.services, name="services"),
    re_path(r"^services/(?P<code>[^/]+?)" + FORMAT, views.service_definition, name="service"),
    re_path(r"^requests" + FORMAT, views.requests, name="requests"),
    re_path(r"^requests/(?P<request_id>[^/]+?)" + FORMAT, views.request_detail, name="request"),
    re_path(r"^tokens/(?P<token>[^/]+?)" + FORMAT, views.token, name="token"),
    re_path(r"^(?P<rest>.*)$", views.unknown, name="unknown"),
]
