"""CI only smoke-tests the expiry benchmark: a tiny run must finish and print its figures."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_expiry_benchmark_runs_end_to_end_on_a_tiny_data_set():
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    completed = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "expiry.py"), "--lots", "5000", "--members", "100"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False,
    )
    assert completed.returncode == 0, completed.stderr
    assert "lots expired in" in completed.stdout and "balances check: lot remainders" in completed.stdout
