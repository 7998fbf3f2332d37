from __future__ import annotations

import os

import pytest

from .helpers import make_master_data

# On PostgreSQL a large all-or-nothing sales import writes its invoices while it reads the file;
# the import tests run both ways there, the second forced on files of any size.
IMPORT_WAYS = ["usual"] + (["written while read"] if os.environ.get("DATABASE_URL", "").startswith("postgres")
                           else [])


@pytest.fixture
def master_data(db) -> None:
    make_master_data()


@pytest.fixture(params=IMPORT_WAYS)
def import_way(request, monkeypatch) -> str:
    if request.param == "written while read":
        from fanli.sales import importing

        monkeypatch.setattr(importing, "_bulk_load", lambda new_lines: True)
        monkeypatch.setattr(importing, "STAGE_CHUNK_LINES", 3)  # many segments, ids reserved often
    return request.param
