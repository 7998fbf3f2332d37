"""Login throttling under concurrency, over real HTTP, on the file cache and on a real Redis.

A password counts as checked when Django's ``user_login_failed`` signal fires: it fires only
after the credentials were handed to the authentication backend.
"""

from __future__ import annotations

import re
import threading
import time
import urllib.parse
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.contrib.auth.signals import user_login_failed
from django.core.exceptions import ImproperlyConfigured

from fanli.accounts.services import staff_user_create
from fanli.common.throttle import attempt_count, attempts
from fanli.web.login import username_key

PASSWORD = "a-Long-secret-2026"
INVALID = "请输入一个正确的"
THROTTLED = "失败次数过多，请 15 分钟后再试。"
REDIS_URL = "redis://127.0.0.1:6379/0"
LOCAL_ADDRESS = "login-attempts:address:127.0.0.1"


@pytest.fixture(params=["file", "redis"])
def shared_cache(request, settings):
    """The default cache for the test: the configured file cache, or Redis with a key prefix of its own."""
    if request.param == "file":
        yield "file"
        return
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except redis.exceptions.ConnectionError:
        pytest.fail("Redis is not reachable at 127.0.0.1:6379: start it (.ci/run does)")
    prefix = f"fanli-test-{uuid.uuid4().hex}"
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                                   "LOCATION": REDIS_URL, "KEY_PREFIX": prefix}}
    yield "redis"
    client = redis.Redis.from_url(REDIS_URL)
    for key in client.scan_iter(f"{prefix}:*"):
        client.delete(key)


@pytest.fixture
def checked_passwords():
    checked: list[str] = []
    lock = threading.Lock()

    def record(sender, credentials, request=None, **kwargs):
        with lock:
            checked.append(credentials.get("username", ""))

    user_login_failed.connect(record, dispatch_uid="test-login-throttle")
    yield checked
    user_login_failed.disconnect(dispatch_uid="test-login-throttle")


def login_form(base: str) -> tuple[str, str]:
    """The CSRF cookie and the form's token, as a browser would hold them."""
    with urllib.request.urlopen(f"{base}/login/") as response:
        cookie = re.search(r"csrftoken=([^;]+)", response.headers["Set-Cookie"]).group(1)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', response.read().decode()).group(1)
    return cookie, token


def post_login(base: str, cookie: str, token: str, username: str, password: str) -> tuple[int, str, str]:
    body = urllib.parse.urlencode({"username": username, "password": password, "csrfmiddlewaretoken": token})
    request = urllib.request.Request(f"{base}/login/", data=body.encode(), headers={"Cookie": f"csrftoken={cookie}"})
    opener = urllib.request.build_opener(NoRedirect)
    with opener.open(request) as response:
        return response.status, response.read().decode(), response.headers.get("Set-Cookie") or ""


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def answer(page: str) -> str:
    return "throttled" if THROTTLED in page else "wrong password" if INVALID in page else "other"


@pytest.mark.django_db(transaction=True)
def test_fifteen_wrong_passwords_at_once_get_exactly_five_checks_and_then_only_refusals(
        live_server, shared_cache, checked_passwords):
    staff_user_create(username="finance", password=PASSWORD, role="finance", actor=None)
    cookie, token = login_form(live_server.url)
    start = threading.Barrier(15)

    def attempt(number: int) -> tuple[int, str, str]:
        start.wait()
        return post_login(live_server.url, cookie, token, "finance", f"wrong-{number}")

    with ThreadPoolExecutor(max_workers=15) as pool:
        results = list(pool.map(attempt, range(15)))

    assert len(checked_passwords) == 5
    assert sorted(answer(page) for _, page, _ in results) == ["throttled"] * 10 + ["wrong password"] * 5
    assert {status for status, _, _ in results} == {200}
    assert attempts(username_key("finance")) == 5 and attempts(LOCAL_ADDRESS) == 15
    status, page, cookies = post_login(live_server.url, cookie, token, "finance", PASSWORD)
    assert (status, answer(page), "sessionid" in cookies) == (200, "throttled", False)
    assert len(checked_passwords) == 5



@pytest.mark.django_db
def test_a_successful_login_clears_its_username_count_and_takes_back_its_own_count_on_the_address(client):
    staff_user_create(username="finance", password=PASSWORD, role="finance", actor=None)
    for number in range(4):
        assert INVALID in client.post("/login/", {"username": "finance", "password": f"x{number}"}).content.decode()
    assert client.post("/login/", {"username": "finance", "password": PASSWORD}).status_code == 302
    assert (attempts(username_key("finance")), attempts(LOCAL_ADDRESS)) == (0, 4)
    client.logout()
    assert INVALID in client.post("/login/", {"username": "finance", "password": "x5"}).content.decode()
    page = client.post("/login/", {"username": "finance", "password": PASSWORD}).content.decode()
    assert THROTTLED in page  # the sixth attempt from the address within the window
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_an_attempt_without_a_password_is_neither_checked_nor_counted(client, checked_passwords):
    client.post("/login/", {"username": "finance", "password": ""})
    assert (checked_passwords, attempts(username_key("finance")), attempts(LOCAL_ADDRESS)) == ([], 0, 0)


@pytest.mark.parametrize("backend", ["django.core.cache.backends.filebased.FileBasedCache",
                                     "django.core.cache.backends.locmem.LocMemCache"])
def test_a_window_starts_with_the_first_attempt_and_is_not_extended_by_later_ones(settings, tmp_path, backend):
    settings.CACHES = {"default": {"BACKEND": backend, "LOCATION": str(tmp_path)}}
    assert [attempt_count("k", window_seconds=2) for _ in range(3)] == [1, 2, 3]
    time.sleep(1.2)
    assert attempt_count("k", window_seconds=2) == 4
    time.sleep(1.0)
    assert (attempts("k"), attempt_count("k", window_seconds=2)) == (0, 1)


def test_a_cache_that_cannot_count_atomically_is_refused(settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
    with pytest.raises(ImproperlyConfigured, match="not DummyCache"):
        attempt_count("k", window_seconds=60)


def test_the_throttled_page_is_the_only_view_that_checks_a_password():
    from django.contrib.auth.views import LoginView
    from django.urls import URLPattern, URLResolver, get_resolver
    from ninja.security import HttpBasicAuth

    from fanli.api import api
    from fanli.web.login import ThrottledLoginView

    def views(resolver: URLResolver, prefix: str = ""):
        for entry in resolver.url_patterns:
            if isinstance(entry, URLResolver):
                yield from views(entry, prefix + str(entry.pattern))
            elif isinstance(entry, URLPattern):
                yield prefix + str(entry.pattern), entry.callback

    logins = {path for path, view in views(get_resolver())
              if isinstance(getattr(view, "view_class", None), type) and issubclass(view.view_class, LoginView)}
    assert logins == {"login/"}
    assert all(view.view_class is ThrottledLoginView for path, view in views(get_resolver()) if path in logins)
    assert not any(isinstance(auth, HttpBasicAuth) for auth in api.auth)  # the API takes tokens, never passwords
