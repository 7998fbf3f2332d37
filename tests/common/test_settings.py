"""Security settings: strict outside debug mode, and no production start without a secret key."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
NAMES = ["DEBUG", "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE", "SESSION_COOKIE_HTTPONLY", "CSRF_COOKIE_HTTPONLY",
         "SESSION_COOKIE_SAMESITE", "SESSION_COOKIE_AGE", "X_FRAME_OPTIONS", "SECURE_HSTS_SECONDS",
         "SECURE_CONTENT_TYPE_NOSNIFF", "SECURE_PROXY_SSL_HEADER"]


def settings_with(**env: str) -> subprocess.CompletedProcess[str]:
    code = ("import json; from django.conf import settings; "
            f"print(json.dumps({{n: getattr(settings, n, None) for n in {NAMES!r}}}))")
    environment = {k: v for k, v in os.environ.items() if not k.startswith("FANLI_")}
    environment.update(DJANGO_SETTINGS_MODULE="fanli.settings", FANLI_VAR_DIR=str(ROOT / "var" / "test"), **env)
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=environment, capture_output=True, text=True)


def test_outside_debug_cookies_are_secure_and_https_is_enforced_by_the_browser():
    run = settings_with(FANLI_DEBUG="0", FANLI_SECRET_KEY="k" * 50)
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout) == {
        "DEBUG": False, "SESSION_COOKIE_SECURE": True, "CSRF_COOKIE_SECURE": True, "SESSION_COOKIE_HTTPONLY": True,
        "CSRF_COOKIE_HTTPONLY": True, "SESSION_COOKIE_SAMESITE": "Lax", "SESSION_COOKIE_AGE": 36000,
        "X_FRAME_OPTIONS": "DENY", "SECURE_HSTS_SECONDS": 31536000, "SECURE_CONTENT_TYPE_NOSNIFF": True,
        "SECURE_PROXY_SSL_HEADER": None,
    }
    proxied = json.loads(settings_with(FANLI_DEBUG="0", FANLI_SECRET_KEY="k" * 50, FANLI_BEHIND_TLS_PROXY="1").stdout)
    assert proxied["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]


def test_in_debug_cookies_work_over_plain_http_on_a_laptop():
    values = json.loads(settings_with(FANLI_DEBUG="1").stdout)
    assert (values["DEBUG"], values["SESSION_COOKIE_SECURE"], values["SECURE_HSTS_SECONDS"]) == (True, False, 0)
    assert values["SESSION_COOKIE_HTTPONLY"] and values["X_FRAME_OPTIONS"] == "DENY"


def test_production_refuses_to_start_without_a_secret_key():
    run = settings_with(FANLI_DEBUG="0")
    assert run.returncode != 0
    assert "FANLI_SECRET_KEY must be set when FANLI_DEBUG is not 1" in run.stderr
