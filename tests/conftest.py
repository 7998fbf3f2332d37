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

    return User.objects.create_user("finance", password="finance-pass-123", is_staff=True)
