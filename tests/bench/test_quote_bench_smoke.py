"""CI only smoke-tests the quote benchmark: a tiny run must finish and print its figures."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_quote_benchmark_runs_end_to_end_on_a_tiny_data_set():
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    completed = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "quote.py"), "--rules", "10", "--quotes", "30", "--customers", "60"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False,
    )
    assert completed.returncode == 0, completed.stderr
    assert "30 quotes of 20 lines" in completed.stdout and "p99" in completed.stdout
    assert "50 invoices recorded" in completed.stdout
