"""gunicorn's settings for Fanli's web processes.

``fanli serve`` starts gunicorn with them; by hand it is
``gunicorn -c python:fanli.gunicorn_config fanli.wsgi:application``. Each value can be changed
from the environment (or by gunicorn's own options after them on the command line):

- ``FANLI_BIND``: address and port, ``127.0.0.1:8000`` by default (a proxy in front terminates TLS);
- ``FANLI_WEB_WORKERS``: processes, by default two per CPU this process may use, plus one;
- ``FANLI_WEB_THREADS``: threads per process (gunicorn's ``gthread`` worker), 2 by default;
- ``FANLI_WEB_TIMEOUT``: seconds a request may take before its process is restarted, 60.

The access log (one line per request with its time in milliseconds) and the error log go to
standard output and standard error, for the service manager's journal. Processes are not
recycled after a number of requests: without a broker (``FANLI_BROKER_URL``) jobs run in threads
of the web processes, and a recycled process would cut them short.
"""

from __future__ import annotations

import os


def _cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


bind = [os.environ.get("FANLI_BIND", "127.0.0.1:8000")]
workers = int(os.environ.get("FANLI_WEB_WORKERS") or 2 * _cpus() + 1)
worker_class = "gthread"
threads = int(os.environ.get("FANLI_WEB_THREADS") or 2)
timeout = int(os.environ.get("FANLI_WEB_TIMEOUT") or 60)
graceful_timeout = 30
keepalive = 5
accesslog = "-"
errorlog = "-"
access_log_format = '%(h)s "%(r)s" %(s)s %(B)s %(M)sms "%(a)s"'
proc_name = "fanli"
if os.path.isdir("/dev/shm"):
    worker_tmp_dir = "/dev/shm"  # the workers' heartbeat files: memory, not a disk that may stall
