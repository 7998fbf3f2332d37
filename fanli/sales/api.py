"""JSON API endpoints (thin: parse, call a service or selector, shape the answer)."""

from ninja import Router

router = Router()
