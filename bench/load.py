"""Benchmark: a load test of the production web server, on this machine only (127.0.0.1).

    .venv/bin/python bench/load.py [--users 20] [--seconds 60] [--workers 4] [--threads 2]
                                   [--customers 1500] [--lines 50000] [--sqlite]

What it does, bounded in time and place:

1. Creates a PostgreSQL database of its own (``fanli_load_<pid>`` on the server ``--admin-url``
   names; ``--sqlite``: a SQLite file in a temporary folder instead), migrates it and loads the
   demo data set with the commands an operator runs (``fanli migrate``, ``fanli demo load``), so
   the database is exactly as the CLI leaves it.
2. Starts ``fanli serve`` (gunicorn, ``--workers`` processes of ``--threads`` threads) on a free
   port of 127.0.0.1, with jobs run in threads of the web processes (the embedded default).
3. Logs in ``--users`` simulated users, one after the other (the demo logins: administrator,
   finance, controller, channel manager, customer service, auditor, and the portal login), each
   with its own session and connection. For ``--seconds`` each user browses, reading each page
   ``--think`` seconds on average (half to one and a half times that) before the next click, and
   each page of its round at least once however long that takes:
   dashboard, customer list, one customer, statements, one statement, policies, warnings, and
   posts 20-line quotes to ``POST /api/quotes`` with its own API token; a portal user reads the
   portal and one of its statements. Meanwhile a finance user starts settlement jobs from the
   settlement page (2026-Q1, then Q2, then Q3, then again), each waited for before the next, the
   first one to its end.
4. Prints, per page: requests, p50 and p95 in ms, errors (any status other than the expected one,
   or no answer); the settlement jobs with their time and outcome. Target: p95 under 300 ms per
   page, no errors.
5. Stops the server and drops the database (or removes the folder).

The times are what a client on the same machine measures: connection reuse (keep-alive),
request, the whole answer read.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
GOAL_MS = 300
HOST = "127.0.0.1"
PASSWORDS = {"admin": "fanli-admin", "finance": "fanli-finance", "controller": "fanli-controller",
             "manager": "fanli-manager", "service": "fanli-service", "auditor": "fanli-auditor",
             "portal": "fanli-portal"}  # the demo logins (fanli/demo/services.py)
ACCOUNTS = ("admin", "finance", "manager", "service", "auditor", "controller", "portal")
PERIODS = ("2026-Q1", "2026-Q2", "2026-Q3")


# ---------------------------------------------------------------- a tiny HTTP client with a session


class Session:
    """One user's connection (kept alive) and cookies."""

    def __init__(self, port: int, timeout: float = 60) -> None:
        self.port, self.timeout = port, timeout
        self.cookies: dict[str, str] = {}
        self.connection: http.client.HTTPConnection | None = None

    def request(self, method: str, path: str, body: bytes | None = None,
                headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
        sent = {"Host": f"{HOST}:{self.port}", **(headers or {})}
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        for attempt in (1, 2):  # a kept-alive connection the server closed meanwhile is opened again, once
            if self.connection is None:
                self.connection = http.client.HTTPConnection(HOST, self.port, timeout=self.timeout)
            try:
                self.connection.request(method, path, body=body, headers=sent)
                response = self.connection.getresponse()
                content = response.read()
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                self.close()
                if attempt == 2:
                    raise
                continue
            for name, value in response.getheaders():
                if name.lower() == "set-cookie":
                    key, _, rest = value.partition("=")
                    self.cookies[key.strip()] = rest.split(";", 1)[0]
            if response.getheader("Connection", "").lower() == "close":
                self.close()
            return response.status, {k.lower(): v for k, v in response.getheaders()}, content
        raise AssertionError("unreachable")

    def form(self, path: str, fields: dict[str, str] | list[tuple[str, str]]) -> tuple[int, dict[str, str], bytes]:
        body = urllib.parse.urlencode(fields).encode()
        return self.request("POST", path, body, {
            "Content-Type": "application/x-www-form-urlencoded", "X-CSRFToken": self.cookies.get("csrftoken", ""),
            "Origin": f"http://{HOST}:{self.port}", "Referer": f"http://{HOST}:{self.port}{path}"})

    def login(self, username: str) -> None:
        status, _, page = self.request("GET", "/login/")
        match = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        assert status == 200 and match, f"login page: {status}"
        status, headers, _ = self.form("/login/", {"username": username, "password": PASSWORDS[username],
                                                   "csrfmiddlewaretoken": match.group(1).decode()})
        assert status == 302 and "sessionid" in self.cookies, f"login of {username}: {status} {headers}"

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()
            self.connection = None


# ---------------------------------------------------------------- what the users do


@dataclass
class Tally:
    timings: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, label: str, ms: float, problem: str | None) -> None:
        with self.lock:
            self.timings[label].append(ms)
            if problem:
                self.errors[label].append(problem)


@dataclass(frozen=True)
class Visit:
    label: str
    method: str
    path: str
    body: Callable[[random.Random], bytes] | None = None
    expected: int = 200


def _visits(user: str, facts: dict[str, Any]) -> list[Visit]:
    """The pages one user reads, in the order they cycle through them."""
    if user == "portal":
        return [Visit("portal", "GET", "/portal/")] + [
            Visit("portal statement", "GET", f"/portal/statements/{i}/") for i in facts["portal_statements"][:1]]
    mine = facts["customers"][user]  # a login that reaches no customer (e.g. a sales rep owning none) reads lists only
    statements = facts["statements"][user]
    products = facts["products"]

    def quote(rng: random.Random) -> bytes:
        lines = [{"sku": rng.choice(products), "quantity": str(rng.randint(1, 30))} for _ in range(20)]
        return json.dumps({"customer": rng.choice(mine), "lines": lines}).encode()

    pages = [Visit("dashboard", "GET", "/office/"), Visit("customers", "GET", "/office/customers/")]
    pages += [Visit("customer", "GET", f"/office/customers/{code}/") for code in mine[:1]]
    pages += [Visit("statements", "GET", "/office/statements/")]
    pages += [Visit("statement", "GET", f"/office/statements/{i}/") for i in statements[:1]]
    pages += [Visit("policies", "GET", "/office/policies/"), Visit("warnings", "GET", "/office/warnings/")]
    pages += [Visit("quote (API)", "POST", "/api/quotes", quote)] if facts["tokens"].get(user) and mine else []
    return pages


def _browse(session: Session, user: str, visits: list[Visit], facts: dict[str, Any], until: float, tally: Tally,
            seed: int, think: float) -> None:
    try:
        _browse_until(session, user, visits, facts, until, tally, seed, think)
    except Exception as error:  # a user that stops early is an error of the test, counted and shown
        tally.add("(user stopped)", 0.0, f"{user}: {type(error).__name__} {error}")
        raise


def _browse_until(session: Session, user: str, visits: list[Visit], facts: dict[str, Any], until: float,
                  tally: Tally, seed: int, think: float) -> None:
    rng = random.Random(seed)
    offset, step = rng.randrange(len(visits)), 0
    time.sleep(rng.uniform(0, think))  # users do not all click at the same instant
    while time.monotonic() < until or step < len(visits):  # every page of the round at least once
        visit = visits[(offset + step) % len(visits)]
        step += 1
        if visit.label in ("customer", "statement", "portal statement"):  # another one each time
            pool = (facts["portal_statements"] if visit.label == "portal statement"
                    else facts["customers" if visit.label == "customer" else "statements"][user])
            prefix = visit.path.rsplit("/", 2)[0]
            visit = Visit(visit.label, "GET", f"{prefix}/{rng.choice(pool)}/")
        headers = {}
        body = None
        if visit.body is not None:
            body = visit.body(rng)
            headers = {"Content-Type": "application/json", "Authorization": f"Bearer {facts['tokens'][user]}"}
        started = time.perf_counter()
        try:
            status, _, content = session.request(visit.method, visit.path, body, headers)
            problem = None if status == visit.expected else f"{visit.path}: {status} {content[:200]!r}"
        except (OSError, http.client.HTTPException) as error:
            problem = f"{visit.path}: {type(error).__name__} {error}"
            session.close()
        tally.add(visit.label, (time.perf_counter() - started) * 1000, problem)
        time.sleep(rng.uniform(0.5 * think, 1.5 * think))  # reading the page before the next click


@dataclass
class JobRun:
    period: str
    job_id: int
    seconds: float
    state: str


def _settle(session: Session, until: float, runs: list[JobRun], job_state: Callable[[int], str]) -> None:
    """Finance starts settlement jobs from the settlement page, one after the other."""
    index = 0
    while time.monotonic() < until or not runs:  # at least one job, to its end
        period = PERIODS[index % len(PERIODS)]
        index += 1
        started = time.perf_counter()
        session.request("GET", "/office/settlement/")  # the page, for its CSRF cookie
        status, headers, content = session.form("/office/settlement/run/", {"kind": "settlement", "period": period})
        match = re.search(r"/office/jobs/(\d+)/", headers.get("location", ""))
        if status != 302 or not match:
            runs.append(JobRun(period, 0, 0.0, f"not started: {status} {content[:200]!r}"))
            return
        job_id = int(match.group(1))
        state = job_state(job_id)
        while state in ("queued", "running") and (time.monotonic() < until or not runs):
            time.sleep(0.5)
            state = job_state(job_id)
        runs.append(JobRun(period, job_id, time.perf_counter() - started, state))
    session.close()


# ---------------------------------------------------------------- the database and the server


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


def _run(command: list[str], env: dict[str, str]) -> str:
    done = subprocess.run([sys.executable, "-m", "fanli.cli", *command], cwd=ROOT, env=env, capture_output=True,
                          text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"fanli {' '.join(command)} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


def _postgres(admin_url: str, sql: str) -> None:
    import psycopg

    with psycopg.connect(admin_url, autocommit=True) as connection:
        connection.execute(sql)  # type: ignore[arg-type]


def _cpu_seconds(pid: int) -> float:
    """CPU time (user and system) of a process and of its children (the web processes) so far."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    children = Path(f"/proc/{pid}/task/{pid}/children")
    for each in [pid, *(int(c) for c in (children.read_text().split() if children.exists() else []))]:
        try:
            fields = Path(f"/proc/{each}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += sum(int(v) for v in fields[11:15]) / ticks  # utime, stime, cutime, cstime
    return total


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--think", type=float, default=1.0,
                        help="seconds a user reads a page before the next click, on average (0: none)")
    parser.add_argument("--workers", type=int, default=4, help="web processes")
    parser.add_argument("--threads", type=int, default=2, help="threads per web process")
    parser.add_argument("--customers", type=int, default=1_500)
    parser.add_argument("--lines", type=int, default=50_000)
    parser.add_argument("--sqlite", action="store_true", help="a SQLite database instead of PostgreSQL")
    parser.add_argument("--admin-url", default=os.environ.get("FANLI_LOAD_ADMIN_URL",
                                                             "postgres://postgres@127.0.0.1:5432/postgres"),
                        help="a PostgreSQL connection allowed to create and drop databases")
    arguments = parser.parse_args(argv)

    scratch = Path(tempfile.mkdtemp(prefix="fanli-load-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FANLI_", "DATABASE_URL", "DJANGO_"))}
    env |= {"FANLI_VAR_DIR": str(scratch), "FANLI_ALLOWED_HOSTS": HOST, "PYTHONPATH": str(ROOT)}
    database = f"fanli_load_{os.getpid()}"
    if not arguments.sqlite:
        parts = urllib.parse.urlsplit(arguments.admin_url)
        env["DATABASE_URL"] = urllib.parse.urlunsplit(parts._replace(path=f"/{database}"))
        _postgres(arguments.admin_url, f'CREATE DATABASE "{database}"')
    server: subprocess.Popen[bytes] | None = None
    try:
        started = time.perf_counter()
        _run(["migrate", "--verbosity", "0"], env)
        _run(["demo", "load", "--customers", str(arguments.customers), "--lines", str(arguments.lines)], env)
        print(f"demo data: {arguments.lines:,} lines, {arguments.customers:,} customers on "
              f"{'SQLite' if arguments.sqlite else 'PostgreSQL'} ({time.perf_counter() - started:.0f} s)")
        facts, job_state = _facts(env, arguments.users)

        port = _free_port()
        log = (scratch / "server.log").open("wb")
        server = subprocess.Popen(
            [sys.executable, "-m", "fanli.cli", "serve", "--bind", f"{HOST}:{port}", "--workers",
             str(arguments.workers), "--threads", str(arguments.threads)],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        _wait_until_serving(port, server, scratch / "server.log")

        users = [ACCOUNTS[i % len(ACCOUNTS)] for i in range(arguments.users)]
        sessions = []
        for user in users:  # one after the other: logins at once from one address would be throttled
            session = Session(port)
            session.login(user)
            sessions.append(session)
        finance = Session(port)
        finance.login("finance")
        tally, runs = Tally(), []
        until = time.monotonic() + arguments.seconds
        threads = [threading.Thread(target=_settle, args=(finance, until, runs, job_state), name="settle")]
        threads += [threading.Thread(target=_browse, name=f"user-{i}", args=(
            session, user, _visits(user, facts), facts, until, tally, i, arguments.think)) for i, (session, user) in
            enumerate(zip(sessions, users, strict=True))]
        began, cpu_before = time.perf_counter(), _cpu_seconds(server.pid)
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed, server_cpu = time.perf_counter() - began, _cpu_seconds(server.pid) - cpu_before
        for session in sessions:
            session.close()
        return _report(arguments, tally, runs, elapsed, server_cpu, workers=arguments.workers,
                       threads=arguments.threads)
    finally:
        if server is not None and server.poll() is None:
            os.killpg(server.pid, signal.SIGTERM)
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
                server.wait()
        if not arguments.sqlite:
            _postgres(arguments.admin_url, f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        shutil.rmtree(scratch, ignore_errors=True)


def _facts(env: dict[str, str], users: int) -> tuple[dict[str, Any], Callable[[int], str]]:
    """What the users will ask for (customers and statements each may read, products, API tokens),
    read from the database the server uses; and a way to read a job's state."""
    os.environ.update({k: v for k, v in env.items() if k.startswith(("FANLI_", "DATABASE_URL"))})
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fanli.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.db import connection

    from fanli.accounts.selectors import can, customers_for, portal_customers
    from fanli.catalog.models import Product
    from fanli.common.models import Job
    from fanli.common.services import api_token_create
    from fanli.rebates.models import Statement

    accounts = {u.username: u for u in get_user_model().objects.filter(username__in=ACCOUNTS)}
    facts: dict[str, Any] = {"customers": {}, "statements": {}, "tokens": {},
                             "products": list(Product.objects.values_list("sku", flat=True))}
    for name, user in accounts.items():
        if name == "portal":
            continue
        reach = customers_for(user)
        facts["customers"][name] = list(reach.order_by("?").values_list("code", flat=True)[:200])
        facts["statements"][name] = list(Statement.objects.filter(customer__in=reach).order_by("?")
                                         .values_list("id", flat=True)[:200])
        if can(user, "view"):
            facts["tokens"][name] = api_token_create(user=user, name="load test")
    from fanli.accounts.models import PortalAccess

    access = PortalAccess.objects.select_related("customer").get(user=accounts["portal"])
    facts["portal_statements"] = list(Statement.objects.filter(customer__in=portal_customers(access.customer))
                                      .order_by("?").values_list("id", flat=True)[:50])
    connection.close()

    def job_state(job_id: int) -> str:
        state = Job.objects.filter(pk=job_id).values_list("state", flat=True).first() or "missing"
        connection.close()
        return str(state)

    return facts, job_state


def _wait_until_serving(port: int, server: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"the server stopped:\n{log.read_text(errors='replace')[-3000:]}")
        try:
            status, _, _ = Session(port, timeout=5).request("GET", "/login/")
            if status == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise SystemExit("the server did not answer within 60 s")


def _report(arguments: argparse.Namespace, tally: Tally, runs: list[JobRun], elapsed: float, server_cpu: float, *,
            workers: int, threads: int) -> dict[str, Any]:
    total = sum(len(t) for t in tally.timings.values())
    print(f"{arguments.users} users for {elapsed:.0f} s against {workers} web processes x {threads} threads, "
          f"{arguments.think:g} s to read each page: {total:,} requests, {total / elapsed:.0f} per second")
    print(f"web processes' CPU: {server_cpu:.1f} s in {elapsed:.0f} s ({server_cpu / max(total, 1) * 1000:.0f} ms per "
          f"request, the settlement jobs' work included; {os.cpu_count()} CPUs on this machine, load average "
          f"{os.getloadavg()[0]:.1f})")
    logins = [ACCOUNTS[i % len(ACCOUNTS)] for i in range(arguments.users)]
    print("users: " + ", ".join(f"{logins.count(name)} {name}" for name in ACCOUNTS if name in logins))
    print(f"{'page':20} {'requests':>9} {'p50 ms':>9} {'p95 ms':>9} {'errors':>7}")
    figures: dict[str, Any] = {"pages": {}, "errors": 0, "jobs": []}
    for label in sorted(tally.timings):
        timings = tally.timings[label]
        p50, p95 = statistics.median(timings), _percentile(timings, 0.95)
        errors = len(tally.errors.get(label, []))
        figures["pages"][label] = {"requests": len(timings), "p50_ms": p50, "p95_ms": p95, "errors": errors}
        figures["errors"] += errors
        print(f"{label:20} {len(timings):9,} {p50:9.1f} {p95:9.1f} {errors:7}  "
              f"{'ok' if p95 < GOAL_MS and not errors else 'MISSED'}")
    for label, problems in sorted(tally.errors.items()):
        print(f"  {label}: first error of {len(problems)}: {problems[0]}")
    for run in runs:
        figures["jobs"].append({"period": run.period, "seconds": run.seconds, "state": run.state})
        print(f"settlement job {run.job_id} ({run.period}): {run.state} after {run.seconds:.1f} s")
    if runs and runs[-1].state in ("queued", "running"):
        print("  (the last job was still running when the test ended)")
    worst = max((page["p95_ms"] for page in figures["pages"].values()), default=0.0)
    print(f"slowest p95 {worst:.1f} ms, {figures['errors']} error(s): "
          f"{'target met' if worst < GOAL_MS and not figures['errors'] else 'target MISSED'} "
          f"(p95 under {GOAL_MS} ms per page, no errors)")
    return figures


if __name__ == "__main__":
    main()
