from __future__ import annotations

import pytest

from .helpers import make_master_data


@pytest.fixture
def master_data(db) -> None:
    make_master_data()
