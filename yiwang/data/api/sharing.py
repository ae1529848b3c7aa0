"""Data room API: sharing."""

from ninja import Router

router = Router()
