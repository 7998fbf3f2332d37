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
``never_cache``, which includes ``no-store``) keeps its own. Static files are served before
this middleware (the web server in production, the static files handler in development) and
keep their normal caching.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

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
