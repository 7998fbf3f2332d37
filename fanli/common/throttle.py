"""Attempt counters in the shared cache, each step atomic (login throttling).

``attempt_count(key, window_seconds=…)`` adds one to a counter and answers the new count in one
step that no concurrent caller can interleave with, whatever cache is configured:

- Redis (``FANLI_REDIS_URL``): ``SET key 0 EX window NX`` and ``INCRBY`` in one ``MULTI``/``EXEC``
  transaction, so the counter exists with its window before it is counted;
- the file cache (the default, shared by every process of one machine): read, add and write
  under an exclusive OS lock (``flock``) on ``attempts.lock`` in the cache directory;
- the local-memory cache (one process): the same under a lock of the process.

A window starts with the first attempt and later attempts do not extend it; when it has passed
the count starts again from zero. Any other cache backend is refused: its read-and-write would
let concurrent attempts through uncounted.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from django.core.cache import caches
from django.core.cache.backends.filebased import FileBasedCache
from django.core.cache.backends.locmem import LocMemCache
from django.core.cache.backends.redis import RedisCache
from django.core.exceptions import ImproperlyConfigured

CACHE_ALIAS = "default"
LOCK_FILE = "attempts.lock"
_process_lock = threading.Lock()


def attempt_count(key: str, *, window_seconds: int) -> int:
    """Count one attempt on ``key``; the count within the window, this attempt included."""
    return _add(key, 1, window_seconds)


def attempt_uncount(key: str, *, window_seconds: int) -> int:
    """Take back one attempt counted on ``key`` (one that turned out to be no failure)."""
    count = _add(key, -1, window_seconds)
    if count <= 0:
        attempts_clear(key)
    return max(count, 0)


def attempts_clear(key: str) -> None:
    caches[CACHE_ALIAS].delete(key)


def attempts(key: str) -> int:
    """The count on ``key`` now (0 when none or the window has passed)."""
    backend = caches[CACHE_ALIAS]
    value = backend.get(key)
    if isinstance(backend, RedisCache):
        return int(value or 0)
    if value is None or value[1] <= time.time():
        return 0
    return int(value[0])


def _add(key: str, delta: int, window_seconds: int) -> int:
    backend = caches[CACHE_ALIAS]
    if isinstance(backend, RedisCache):
        return _redis_add(backend, key, delta, window_seconds)
    if isinstance(backend, FileBasedCache):
        with _process_lock, _file_lock(Path(backend._dir)):  # type: ignore[attr-defined]
            return _locked_add(backend, key, delta, window_seconds)
    if isinstance(backend, LocMemCache):
        with _process_lock:
            return _locked_add(backend, key, delta, window_seconds)
    raise ImproperlyConfigured(
        f"login throttling counts atomically only in Redis, file or local-memory caches, not {type(backend).__name__}"
    )


def _redis_add(backend: RedisCache, key: str, delta: int, window_seconds: int) -> int:
    full_key = backend.make_and_validate_key(key)
    client = backend._cache.get_client(full_key, write=True)
    with client.pipeline(transaction=True) as pipe:
        pipe.set(full_key, 0, ex=window_seconds, nx=True)
        pipe.incrby(full_key, delta)
        _, count = pipe.execute()
    return int(count)


def _locked_add(backend: Any, key: str, delta: int, window_seconds: int) -> int:
    """Read, add and write; the caller holds the lock. The value is (count, window's end)."""
    now = time.time()
    value = backend.get(key)
    count, ends_at = (0, now + window_seconds) if value is None or value[1] <= now else value
    count += delta
    backend.set(key, (count, ends_at), timeout=max(1, math.ceil(ends_at - now)))
    return int(count)


@contextmanager
def _file_lock(directory: Path) -> Iterator[None]:
    import fcntl

    directory.mkdir(parents=True, exist_ok=True)
    with open(directory / LOCK_FILE, "a+b") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
