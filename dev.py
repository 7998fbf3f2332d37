#!/usr/bin/env python3
"""Fanli's two commands.

    python3 dev.py start   set up .venv, migrate SQLite, load the demo data once, serve on :8000 (debug on)
    python3 dev.py test    install test tools, lint and type-check, run the suite on SQLite, then on PostgreSQL

Only the standard library is used here, so it runs on a fresh machine with Python 3.11+.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PY = BIN / "python"
DEFAULT_PG_URL = "postgres://postgres@127.0.0.1:5432/test"


def say(message: str) -> None:
    print(f"\033[1m==> {message}\033[0m", flush=True)


def run(*args: object, env: dict[str, str] | None = None, check: bool = True) -> int:
    completed = subprocess.run([str(a) for a in args], cwd=ROOT, env=env)
    if check and completed.returncode != 0:
        sys.exit(completed.returncode)
    return completed.returncode


def ensure_venv(extras: str = "") -> None:
    if not PY.exists():
        say("creating .venv")
        venv.EnvBuilder(with_pip=True).create(VENV)
        run(PY, "-m", "pip", "install", "--quiet", "--upgrade", "pip")
    stamp = VENV / f".installed{extras or '-base'}"
    pyproject = ROOT / "pyproject.toml"
    if not stamp.exists() or stamp.stat().st_mtime < pyproject.stat().st_mtime:
        say(f"installing Fanli{' with ' + extras if extras else ''} into .venv")
        target = f".[{extras}]" if extras else "."
        run(PY, "-m", "pip", "install", "--quiet", "-e", target)
        stamp.touch()


def fanli(*args: str, env: dict[str, str] | None = None, check: bool = True) -> int:
    return run(PY, "-m", "fanli.cli", *args, env=env, check=check)


def start(args: argparse.Namespace) -> None:
    ensure_venv()
    env = dict(os.environ)
    env.setdefault("FANLI_DEBUG", "1")  # development: debug pages, cookies over plain http
    say("migrating the database")
    fanli("migrate", "--no-input", "-v", "0", env=env)
    say("loading demo data (skipped when already loaded)")
    demo = ["demo", "load", "--if-empty"]
    if args.small:
        demo += ["--customers", "150", "--lines", "20000"]
    fanli(*demo, env=env)
    address = f"127.0.0.1:{args.port}"
    say(f"Fanli runs at http://{address}/  (API docs: http://{address}/api/docs)")
    say("demo logins: admin / fanli-admin   finance / fanli-finance (approves)   controller / fanli-controller (pays)"
        "   manager / fanli-manager (writes policies)   portal / fanli-portal (customer portal)")
    say(f"API token: printed when the demo data was first loaded; another one: {BIN / 'fanli'} token create admin")
    fanli("runserver", address, "--noreload", env=env)


def postgres_url() -> str:
    return os.environ.get("FANLI_TEST_POSTGRES_URL", DEFAULT_PG_URL)


def check_postgres(url: str) -> None:
    code = (
        "import sys, psycopg\n"
        "try:\n"
        f"    psycopg.connect({url!r}.replace('postgres://', 'postgresql://', 1), connect_timeout=5).close()\n"
        "except Exception as exc:\n"
        "    print(exc, file=sys.stderr); sys.exit(1)\n"
    )
    if run(PY, "-c", code, check=False) != 0:
        say(f"PostgreSQL is not reachable at {url}: the suite must also run there, so this is a failure.")
        say("start it with: pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start")
        sys.exit(3)


CHROMIUM = Path("/usr/bin/chromium")


def _cjk_font() -> bool:
    """A Chinese font for screenshots and PDF statements, where ``fanli.web.pdf`` looks for one."""
    return any(Path(path).exists() for path in (
        "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
        "/usr/share/fonts/truetype/noto/NotoSansCJK-Regular.ttc"))


def ensure_chromium() -> None:
    """Browser tests drive Debian's Chromium; install it (and a CJK font) when we may."""
    if CHROMIUM.exists() and shutil.which("xgettext") and _cjk_font():
        return
    if os.name == "posix" and os.geteuid() == 0 and shutil.which("apt-get"):
        say("installing Debian's chromium for the browser tests")
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        if run("apt-get", "install", "-y", "-q", "chromium", "fonts-wqy-zenhei", "gettext", env=env, check=False) != 0:
            run("apt-get", "update", "-q", env=env, check=False)
            run("apt-get", "install", "-y", "-q", "chromium", "fonts-wqy-zenhei", "gettext", env=env)
        return
    say(f"{CHROMIUM} is missing: the browser tests need it. Install it with: sudo apt-get install chromium")
    sys.exit(4)


def test(args: argparse.Namespace) -> None:
    ensure_venv("dev")
    ensure_chromium()
    say("ruff and mypy")
    run(BIN / "ruff", "check", "fanli", "tests", "bench", "dev.py")
    run(BIN / "mypy", "fanli")
    pytest_args = list(args.pytest_args)
    base = dict(os.environ)
    base.pop("DATABASE_URL", None)
    base["FANLI_VAR_DIR"] = str(ROOT / "var" / "test")
    say("test suite on SQLite")
    sqlite_rc = run(PY, "-m", "pytest", *pytest_args, env=base, check=False)
    pg_rc = 0
    if not args.sqlite_only:
        url = postgres_url()
        check_postgres(url)
        say(f"test suite on PostgreSQL ({url})")
        pg_rc = run(PY, "-m", "pytest", *pytest_args, env={**base, "DATABASE_URL": url}, check=False)
    if sqlite_rc or pg_rc:
        say(f"FAILED (sqlite exit {sqlite_rc}, postgresql exit {pg_rc})")
        sys.exit(1)
    say("all green on SQLite" + ("" if args.sqlite_only else " and PostgreSQL"))


def clean(_: argparse.Namespace) -> None:
    shutil.rmtree(ROOT / "var", ignore_errors=True)
    say("removed var/ (database and uploads)")


def main() -> None:
    if sys.version_info < (3, 11):  # noqa: UP036 - dev.py must explain itself on an old Python
        sys.exit("Fanli needs Python 3.11 or newer")
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    p_start = sub.add_parser("start", help="set up and serve Fanli with demo data")
    p_start.add_argument("--port", type=int, default=8000)
    p_start.add_argument("--small", action="store_true", help="a small demo data set (quick look)")
    p_start.set_defaults(func=start)
    p_test = sub.add_parser("test", help="run the whole suite on SQLite and PostgreSQL")
    p_test.add_argument("--sqlite-only", action="store_true", help="skip the PostgreSQL pass (not for CI)")
    p_test.add_argument("pytest_args", nargs="*", help="passed to pytest (after --)")
    p_test.set_defaults(func=test)
    p_clean = sub.add_parser("clean", help="delete the local database")
    p_clean.set_defaults(func=clean)
    args = parser.parse_args()
    args.func(args)


if __name__ == "__main__":
    main()
