"""Data room API: ingest."""

from ninja import Router

router = Router()
