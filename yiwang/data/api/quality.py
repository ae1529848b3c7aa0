"""Data room API: quality."""

from ninja import Router

router = Router()
