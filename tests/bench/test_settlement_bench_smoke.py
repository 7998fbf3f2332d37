"""CI only smoke-tests the settlement benchmark: a tiny run must finish and print its figures."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BENCH = [sys.executable, str(ROOT / "bench" / "settlement.py"), "--lines", "2000", "--customers", "40"]


def _run(*extra: str, env: dict[str, str]) -> str:
    completed = subprocess.run([*BENCH, *extra], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
                               check=False)
    assert completed.returncode == 0, completed.stderr[-2000:]
    return completed.stdout


def test_the_settlement_benchmark_loads_once_then_measures_copies_of_the_reused_database(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    database = tmp_path / "bench.sqlite3"

    first = _run("--reuse", str(database), env=env)
    second = _run("--reuse", str(database), env=env)

    assert "is empty: loading it once" in first and "load: fanli demo load --without-activity" in first
    for out in (first, second):
        assert "floor: one GROUP BY customer (before)" in out and "fanli settle 2026-Q1 again" in out
        assert "settlement / floor, for the whole run: " in out
        assert "| database | lines |" in out and "| SQLite | 2,000 |" in out
    assert "reusing " in second and "load: fanli demo load" not in second  # measured on a copy, not reloaded
    assert "| reused |" in second
    assert "ANALYZE" not in (ROOT / "bench" / "settlement.py").read_text().replace("never runs ``ANALYZE``", "")
