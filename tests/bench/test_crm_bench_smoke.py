"""CI only smoke-tests the customer-management benchmark: a tiny run must finish and print its figures."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_crm_benchmark_runs_end_to_end_on_a_tiny_data_set():
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    completed = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "crm.py"), "--lines", "3000", "--customers", "60",
         "--today", "2026-11-24"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
    )
    assert completed.returncode == 0, completed.stderr[-2000:]
    out = completed.stdout
    for label in ("segments (ABC, RFM, lifecycle)", "dealer score card", "warning rule near_next_tier",
                  "warnings raised and stored", "what-if dist-q-tiers over 2026-Q3",
                  "effectiveness dist-q-tiers over 2026-Q3", "slowest step:"):
        assert label in out, label
    assert "Subject:" not in out  # e-mails go to memory, not the console
