"""``pip install .`` gives a working Fanli: the wheel holds every file the product reads at run
time (templates, static files, the compiled translations, the demo's documents, migrations) and
the ``fanli`` command, and nothing of the tests or benchmarks."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_the_wheel_holds_every_file_of_the_package_and_the_fanli_command(tmp_path):
    source = tmp_path / "source"  # built from a copy: the build writes build/ and *.egg-info beside the sources
    shutil.copytree(ROOT / "fanli", source / "fanli", ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation", "--no-index",
         "--wheel-dir", str(tmp_path / "wheel"), str(source)], capture_output=True, text=True, timeout=120)
    assert built.returncode == 0, built.stdout + built.stderr
    [wheel] = (tmp_path / "wheel").glob("fanli-*.whl")

    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        [entry_points] = [name for name in names if name.endswith(".dist-info/entry_points.txt")]
        commands = archive.read(entry_points).decode()
    expected = {path.relative_to(source).as_posix() for path in (source / "fanli").rglob("*") if path.is_file()}
    assert expected - names == set()
    assert {"fanli/locale/zh_Hans/LC_MESSAGES/django.mo", "fanli/web/static/fanli/app.css",
            "fanli/web/templates/web/base.html", "fanli/demo/policies/dist-q-tiers.yaml",
            "fanli/gunicorn_config.py", "fanli/common/migrations/0001_initial.py"} <= names
    assert not [name for name in names if name.startswith(("tests/", "bench/")) or name.endswith(".pyc")]
    assert "fanli = fanli.cli:main" in commands
