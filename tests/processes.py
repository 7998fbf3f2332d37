"""Other processes on the test database: the environment that points a ``fanli`` subprocess (a web
server, a Celery worker or beat) at the database this test uses, and a helper to wait for them."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote

from django.db import connection

ROOT = Path(__file__).resolve().parent.parent


def database_url() -> str:
    """The URL of the database this test runs on (pytest-django's test database), for a subprocess."""
    config = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{config['NAME']}"
    credentials = quote(config["USER"] or "") + (f":{quote(config['PASSWORD'])}" if config["PASSWORD"] else "")
    return f"postgres://{credentials}@{config['HOST'] or '127.0.0.1'}:{config['PORT'] or 5432}/{config['NAME']}"


def fanli_env(**extra: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("FANLI_", "DATABASE_URL"))}
    env.update(DATABASE_URL=database_url(), FANLI_VAR_DIR=os.environ.get("FANLI_VAR_DIR", str(ROOT / "var")),
               FANLI_SCHEDULER="off", PYTHONPATH=str(ROOT), **extra)
    return env


def fanli_start(*args: str, env: dict[str, str], log: Path) -> subprocess.Popen:
    """``python -m fanli.cli ARGS`` in its own process group, its output in ``log``."""
    with open(log, "ab") as out:
        return subprocess.Popen([sys.executable, "-m", "fanli.cli", *args], cwd=ROOT, env=env, stdout=out,
                                stderr=subprocess.STDOUT, start_new_session=True)


def stop(*processes: subprocess.Popen) -> None:
    """Ask each process to stop (SIGTERM: a Celery worker finishes its task, gunicorn its requests),
    wait for them, and kill what is left of their process groups after 20 s."""
    for process in processes:
        if process.poll() is None:
            process.terminate()
    for process in processes:
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=20)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, 9)  # the group: a worker's pool processes too
        process.wait()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(condition: Callable[[], object], *, seconds: float, what: str) -> object:
    deadline = time.monotonic() + seconds
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"waited {seconds} s for {what}")
        time.sleep(0.1)
