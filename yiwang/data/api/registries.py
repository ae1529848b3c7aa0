"""Data room API: registries."""

from ninja import Router

router = Router()
