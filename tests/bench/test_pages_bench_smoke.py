"""CI only smoke-tests the page-speed benchmark: a tiny run must finish and print its figures."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_page_benchmark_runs_end_to_end_on_a_tiny_data_set():
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    completed = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "pages.py"), "--lines", "3000", "--customers", "60", "--runs", "2"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False,
    )
    assert completed.returncode == 0, completed.stderr
    assert "dashboard chart snapshot" in completed.stdout
    for page in ("customer list", "customer page", "dashboard", "contact calendar", "score cards",
                 "policy effectiveness"):
        assert f"\n{page} " in completed.stdout
