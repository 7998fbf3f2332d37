"""Shared fixtures. The suite runs against whatever ``DATABASE_URL`` names (SQLite by default)."""

from __future__ import annotations

import pytest
from django.db import connection


@pytest.fixture
def on_postgres() -> bool:
    return connection.vendor == "postgresql"


@pytest.fixture
def staff_user(db):
    from django.contrib.auth.models import User

    return User.objects.create_user("finance", password="finance-pass-123", is_staff=True, is_superuser=True)


@pytest.fixture(autouse=True)
def fast_password_hashing(settings) -> None:
    """Tests create many users; the production hasher is slow on purpose."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def jobs_inline(settings) -> None:
    """Jobs run inside the request in tests, so a test's own transaction sees their writes.
    ``tests/common/test_jobs.py`` runs them in a real thread too."""
    settings.FANLI_JOBS_INLINE = True


@pytest.fixture(autouse=True)
def fresh_cache() -> None:
    """The cache outlives a test's database (it is a directory of files): start each test with
    none of another test's snapshots, throttles or reports."""
    from django.core.cache import cache

    cache.clear()
