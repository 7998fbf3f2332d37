"""CI only smoke-tests the settlement benchmark: a tiny run must finish and print its figures."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_settlement_benchmark_runs_end_to_end_on_a_tiny_data_set():
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    completed = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "settlement.py"), "--lines", "3000", "--customers", "60"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
    )
    assert completed.returncode == 0, completed.stderr[-2000:]
    out = completed.stdout
    assert "SQL floor (one GROUP BY)" in out
    assert "settlement 2026-Q1 again" in out
    assert "settlement / floor per policy period:" in out
