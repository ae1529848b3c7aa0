"""E-licence room (电子证照与电子印章): licence types, licences, seals, verification."""

from django.apps import AppConfig


class LicencesConfig(AppConfig):
    name = "yiwang.licences"
    label = "licences"
    verbose_name = "电子证照"
