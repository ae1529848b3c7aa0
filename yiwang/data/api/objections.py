"""Data room API: objections."""

from ninja import Router

router = Router()
