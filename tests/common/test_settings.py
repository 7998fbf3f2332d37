"""Security settings: production mode unless asked otherwise, and no secret in the source."""

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


def settings_with(names: list[str] = NAMES, **env: str) -> subprocess.CompletedProcess[str]:
    code = ("import json; from django.conf import settings; "
            f"print(json.dumps({{n: getattr(settings, n, None) for n in {names!r}}}))")
    environment = {k: v for k, v in os.environ.items() if not k.startswith("FANLI_")}
    environment.update({"DJANGO_SETTINGS_MODULE": "fanli.settings", "FANLI_VAR_DIR": str(ROOT / "var" / "test"), **env})
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


def test_without_fanli_debug_the_settings_are_production_ones():
    run = settings_with()
    assert run.returncode == 0, run.stderr
    values = json.loads(run.stdout)
    assert (values["DEBUG"], values["SESSION_COOKIE_SECURE"], values["CSRF_COOKIE_SECURE"]) == (False, True, True)
    assert values["SECURE_HSTS_SECONDS"] == 31536000


def test_without_a_secret_key_one_random_key_is_made_once_and_kept_readable_only_by_its_owner(tmp_path):
    var = tmp_path / "var"
    first = settings_with(["SECRET_KEY"], FANLI_VAR_DIR=str(var))
    assert first.returncode == 0, first.stderr
    key = json.loads(first.stdout)["SECRET_KEY"]
    kept = var / "secret_key"
    assert kept.read_text() == key and len(key) >= 60
    assert kept.stat().st_mode & 0o777 == 0o600
    assert [p.name for p in var.iterdir()] == ["secret_key"]  # no draft left behind
    again = settings_with(["SECRET_KEY"], FANLI_VAR_DIR=str(var), FANLI_DEBUG="1")
    assert json.loads(again.stdout)["SECRET_KEY"] == key
    elsewhere = settings_with(["SECRET_KEY"], FANLI_VAR_DIR=str(tmp_path / "other"))
    assert json.loads(elsewhere.stdout)["SECRET_KEY"] != key


def test_processes_starting_together_share_one_generated_key(tmp_path):
    var = tmp_path / "var"
    code = "from django.conf import settings; print(settings.SECRET_KEY)"
    environment = {k: v for k, v in os.environ.items() if not k.startswith("FANLI_")}
    environment.update(DJANGO_SETTINGS_MODULE="fanli.settings", FANLI_VAR_DIR=str(var))
    runs = [subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, env=environment, stdout=subprocess.PIPE,
                             text=True) for _ in range(6)]
    keys = {run.communicate()[0].strip() for run in runs}
    assert keys == {(var / "secret_key").read_text()}


def test_a_set_fanli_secret_key_is_used_and_nothing_is_written(tmp_path):
    run = settings_with(["SECRET_KEY"], FANLI_VAR_DIR=str(tmp_path), FANLI_SECRET_KEY="s" * 60)
    assert json.loads(run.stdout)["SECRET_KEY"] == "s" * 60
    assert not (tmp_path / "secret_key").exists()


def test_an_empty_kept_key_stops_the_start_with_what_to_do(tmp_path):
    (tmp_path / "secret_key").write_text("")
    run = settings_with(["SECRET_KEY"], FANLI_VAR_DIR=str(tmp_path))
    assert run.returncode != 0
    assert f"{tmp_path / 'secret_key'} holds no usable secret key: delete it to make a new one, or set FANLI_SECRET_KEY" in run.stderr


def test_no_secret_key_is_written_in_the_source():
    settings_source = (ROOT / "fanli" / "settings.py").read_text()
    assert "insecure" not in settings_source
    assert 'SECRET_KEY = os.environ.get("FANLI_SECRET_KEY") or _kept_secret_key(VAR_DIR / "secret_key")' in settings_source
