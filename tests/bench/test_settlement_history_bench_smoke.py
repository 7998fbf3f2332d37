"""The settlement history benchmark runs end to end on a tiny data set (CI smoke-tests benchmarks only)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_settlement_history_benchmark_settles_three_quarters_and_adjusts_the_oldest(tmp_path):
    environment = {key: value for key, value in os.environ.items() if key != "DATABASE_URL"}
    environment["FANLI_VAR_DIR"] = str(tmp_path)
    completed = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "settlement_history.py"), "--lines", "3000", "--customers", "60",
         "--quarters", "3"],
        cwd=ROOT, env=environment, capture_output=True, text=True, timeout=300, check=False,
    )

    assert completed.returncode == 0, completed.stderr
    lines = completed.stdout.splitlines()
    assert any(line.startswith("3 quarters oldest first") for line in lines)
    again = next(line for line in lines if line.startswith("settlement 2026-Q3 again, nothing changed"))
    assert again.endswith("0 statements, 0 policy period(s) rechecked, 10 unchanged")
    assert any(line.startswith("  1 adjustment(s) for ") and line.endswith(" in 2026-Q1") for line in lines)
