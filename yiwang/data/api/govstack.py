"""Data room API: govstack."""

from ninja import Router

router = Router()
