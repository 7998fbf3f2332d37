"""CI only smoke-tests the load benchmark: 2 users for 3 seconds against gunicorn on SQLite must
finish, browse every page, run a settlement job and count no error."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
@pytest.mark.skipif(bool(os.environ.get("DATABASE_URL")), reason="runs once, in the SQLite pass of the suite")
def test_the_load_benchmark_runs_end_to_end_with_two_users_for_three_seconds():
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    completed = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "load.py"), "--sqlite", "--users", "2", "--seconds", "3",
         "--customers", "60", "--lines", "2000", "--workers", "1", "--think", "0"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600, check=False,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    out = completed.stdout
    assert "2 users for" in out and "against 1 web processes x 2 threads" in out
    for page in ("dashboard", "customers", "customer", "statements", "statement", "quote (API)"):
        assert f"\n{page} " in out, (page, out)
    assert "settlement job" in out and ": done after" in out, out
    assert ", 0 error(s):" in out and "first error" not in out, out
    assert "Traceback" not in completed.stderr, completed.stderr
