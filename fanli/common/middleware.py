"""Headers every response carries: the Content-Security-Policy and ``Cache-Control: no-store``.

The pages load scripts, styles, images and fonts only from Fanli's own origin (the chart
library and htmx are served from their installed packages) and allow no inline script, so an
injected ``<script>`` or ``onclick`` does not run. One inline style is allowed, by its hash: the
empty one (``sha256-47DEQ…``, the SHA-256 of nothing), because the chart library creates an
empty ``<style>`` element and fills it through the CSS object model; an empty element can
style nothing by itself. The same policy serves the API's documentation page (ninja's Swagger
UI, served from its package: its stylesheet uses ``data:`` images).

Nothing Django answers is kept by a browser or a proxy (``no-store``): pages show customers'
money and the API answers carry the same. A view that sets ``Cache-Control`` itself (the admin's
``never_cache``, which includes ``no-store``) keeps its own, and so do static files.

Static files are served by ``StaticFilesMiddleware`` (WhiteNoise) in every web process, in
production as in development: found by the static files finders in the installed packages (our
apps, the admin, ninja's Swagger UI, the chart library), listed once when the process starts (looked up on each request in debug mode). It
stands after this middleware, so static answers carry the policy too, with WhiteNoise's own
caching (``max-age=60, public`` and ``Last-Modified``/``ETag`` for revalidation) instead of
``no-store``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from whitenoise.middleware import WhiteNoiseMiddleware

POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='; "
    "img-src 'self' data:; font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)


class SecurityHeadersMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if "Content-Security-Policy" not in response:
            response["Content-Security-Policy"] = POLICY
        if "Cache-Control" not in response:
            response["Cache-Control"] = "no-store"
        return response


class _WithoutStaticRoot:
    """The settings, but with no ``STATIC_ROOT``: what ``collectstatic`` left there (perhaps an older
    version's files) is for a web server in front, never served in place of the installed ones."""

    STATIC_ROOT = None

    def __getattr__(self, name: str) -> Any:
        return getattr(settings, name)


class StaticFilesMiddleware(WhiteNoiseMiddleware):
    """WhiteNoise serving the files the finders find (``WHITENOISE_USE_FINDERS``), never ``STATIC_ROOT``."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        super().__init__(get_response, settings=_WithoutStaticRoot())
