"""Browser-test helpers: Debian's Chromium driven by Playwright against the live server.

The ``browser`` and ``page`` fixtures live in ``tests/web/conftest.py``; screenshots of the main
pages are saved under ``$FANLI_VAR_DIR/screenshots`` as test artefacts.
"""

from __future__ import annotations

import os
from pathlib import Path

from django.conf import settings

CHROMIUM = "/usr/bin/chromium"
SHOTS = Path(settings.VAR_DIR) / "screenshots"
PASSWORD = "a-Long-secret-2026"

# Playwright's sync API runs an event loop in this thread; the ORM calls the tests make
# between browser steps are ordinary synchronous calls.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def log_in(page, username: str, path: str = "/") -> None:
    page.goto(page.base + path)
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit].primary")
