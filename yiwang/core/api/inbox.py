"""API: inbox."""

from ninja import Router

router = Router()
