"""Production serving: gunicorn (``fanli serve``) with static files served by every web process
(WhiteNoise) from the installed packages, with the Content-Security-Policy and normal caching."""

from __future__ import annotations

import urllib.request
from pathlib import Path

import plotly
from django.test import Client

from fanli.common.middleware import POLICY
from tests.processes import fanli_env, fanli_start, free_port, stop, wait_for

PLOTLY = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"


def test_static_files_come_from_the_installed_packages_outside_debug_with_the_policy_and_normal_caching(
        settings, tmp_path):
    settings.STATIC_ROOT = tmp_path
    (tmp_path / "fanli").mkdir()
    (tmp_path / "fanli" / "app.css").write_text("/* an older version's copy */")
    (tmp_path / "left-over.txt").write_text("collected once, never served")
    assert settings.DEBUG is False

    browser = Client()  # one client: its middleware lists the static files once
    chart = browser.get("/static/vendor/plotly.min.js")
    swagger = browser.get("/static/ninja/swagger-ui.css")
    styles = browser.get("/static/fanli/app.css")
    left_over = browser.get("/static/left-over.txt")

    assert (chart.status_code, chart["Cache-Control"], chart["Content-Security-Policy"]) == (
        200, "max-age=60, public", POLICY)
    assert b"".join(chart.streaming_content) == PLOTLY.read_bytes()
    assert (swagger.status_code, swagger["Content-Type"]) == (200, 'text/css; charset="utf-8"')
    installed = Path(__file__).resolve().parents[2] / "fanli" / "web" / "static" / "fanli" / "app.css"
    assert b"".join(styles.streaming_content) == installed.read_bytes()
    assert left_over.status_code == 404


def test_fanli_serve_answers_pages_and_static_files_over_http_from_gunicorn_workers(db, tmp_path):
    port = free_port()
    log = tmp_path / "serve.log"
    server = fanli_start("serve", "--bind", f"127.0.0.1:{port}", "--workers", "2", env=fanli_env(), log=log)
    try:
        def login_page() -> bytes | None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/login/", timeout=5) as answer:
                    return answer.read() if answer.status == 200 else None
            except OSError:
                assert server.poll() is None, log.read_text()
                return None

        assert b'name="password"' in wait_for(login_page, seconds=60, what="the login page")
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/static/vendor/plotly.min.js", timeout=5) as answer:
            assert (answer.status, answer.headers["Cache-Control"], answer.read() == PLOTLY.read_bytes()) == (
                200, "max-age=60, public", True)
    finally:
        stop(server)
    lines = log.read_text().splitlines()
    assert sum("Booting worker" in line for line in lines) == 2
    assert any("Using worker: gthread" in line for line in lines)
    assert any('"GET /static/vendor/plotly.min.js HTTP/1.1" 200' in line for line in lines), lines


def test_a_process_keeps_its_database_connection_between_requests_only_when_told(monkeypatch):
    from fanli.settings import _database

    monkeypatch.setenv("FANLI_DB_CONN_MAX_AGE", "60")  # what fanli serve sets unless told otherwise
    kept = _database()
    monkeypatch.delenv("FANLI_DB_CONN_MAX_AGE")
    fresh = _database()
    assert (kept["CONN_MAX_AGE"], kept["CONN_HEALTH_CHECKS"]) == (60, True)
    assert (fresh["CONN_MAX_AGE"], fresh["CONN_HEALTH_CHECKS"]) == (0, False)
