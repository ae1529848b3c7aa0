"""Reads of the open data room, shared by its pages and its API."""

from __future__ import annotations

from django.db.models import QuerySet

from yiwang.opendata.models import Dataset


def open_datasets() -> QuerySet[Dataset]:
    """开放数据目录: every published dataset with its providing department, by code."""
    return Dataset.objects.select_related("department").order_by("code")
