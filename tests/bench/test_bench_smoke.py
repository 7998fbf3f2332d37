"""The import benchmark runs end to end on a small file (CI smoke-tests benchmarks only)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_sales_import_benchmark_runs_on_two_thousand_lines(tmp_path):
    environment = {key: value for key, value in os.environ.items() if key != "DATABASE_URL"}
    environment["FANLI_VAR_DIR"] = str(tmp_path)
    completed = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "import_sales.py"), "--lines", "2000"],
        cwd=ROOT, env=environment, capture_output=True, text=True, timeout=300, check=False,
    )

    assert completed.returncode == 0, completed.stderr
    assert "2,000 lines imported in" in completed.stdout
    assert "lines/s" in completed.stdout
    assert "peak RSS " in completed.stdout and " MB (re-import, all unchanged: " in completed.stdout
    assert "floor (plain executemany of the same rows, no checks): " in completed.stdout
    assert "import / floor: " in completed.stdout
