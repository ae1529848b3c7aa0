"""API: org."""

from ninja import Router

router = Router()
