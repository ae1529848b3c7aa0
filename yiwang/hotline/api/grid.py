"""API: grid."""

from ninja import Router

router = Router()
