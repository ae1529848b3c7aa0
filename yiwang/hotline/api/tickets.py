"""API: tickets."""

from ninja import Router

router = Router()
