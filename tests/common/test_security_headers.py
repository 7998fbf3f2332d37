"""Every page and API answer carries the Content-Security-Policy and is never stored by a browser or
proxy; static files keep their normal caching."""

from __future__ import annotations

import urllib.request

from django.contrib.auth.models import User
from django.test import Client

from fanli.common.services import api_token_create

POLICY = ("default-src 'self'; script-src 'self'; style-src 'self' 'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='; "
          "img-src 'self' data:; font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
          "form-action 'self'; frame-ancestors 'none'")


def test_pages_and_api_answers_carry_the_policy_and_no_store(db):
    user = User.objects.create_user("boss", password="x-secret-123", is_superuser=True, is_staff=True)
    browser = Client()
    browser.force_login(user)
    api = Client(HTTP_AUTHORIZATION=f"Bearer {api_token_create(user=user, name='t')}")
    answers = {
        "dashboard": browser.get("/office/"),
        "customers": browser.get("/office/customers/"),
        "not found page": browser.get("/office/nothing/"),
        "api list": api.get("/api/statements"),
        "api error": api.get("/api/statements/999"),
        "api unknown path": api.get("/api/nothing"),
        "api without token": Client().get("/api/statements"),
        "api docs": browser.get("/api/docs"),
        "openapi": Client().get("/api/openapi.json"),
    }
    assert {name: (r.status_code, r["Content-Security-Policy"], r["Cache-Control"]) for name, r in answers.items()} == {
        "dashboard": (200, POLICY, "no-store"), "customers": (200, POLICY, "no-store"),
        "not found page": (404, POLICY, "no-store"), "api list": (200, POLICY, "no-store"),
        "api error": (404, POLICY, "no-store"), "api unknown path": (404, POLICY, "no-store"),
        "api without token": (401, POLICY, "no-store"), "api docs": (200, POLICY, "no-store"),
        "openapi": (200, POLICY, "no-store"),
    }


def test_the_login_page_and_the_admin_keep_their_own_never_cache_which_includes_no_store(db):
    admin = Client()
    admin.force_login(User.objects.create_user("boss", password="x-secret-123", is_superuser=True, is_staff=True))
    for response in (Client().get("/login/"), admin.get("/admin/")):
        assert response.status_code == 200
        assert response["Content-Security-Policy"] == POLICY
        assert "no-store" in response["Cache-Control"].split(", ")


def test_static_files_keep_normal_caching(live_server):
    with urllib.request.urlopen(f"{live_server.url}/static/fanli/app.css", timeout=30) as response:
        assert response.status == 200
        assert "no-store" not in (response.headers.get("Cache-Control") or "")
        assert response.headers.get("Last-Modified")
