"""Settings for Fanli.

Everything that differs between a laptop demo, CI and production comes from the environment:

- ``DATABASE_URL``: any URL dj-database-url understands; default is an embedded SQLite file
  ``var/fanli.sqlite3`` in write-ahead-log mode.
- ``FANLI_DEBUG``: "1" for a development server (``python3 dev.py start`` sets it); off otherwise.
- ``FANLI_SECRET_KEY``: the signing key. Unset, a random key is made once and kept in
  ``FANLI_VAR_DIR/secret_key`` (mode 0600): enough for one machine; several machines share one
  ``FANLI_SECRET_KEY``.
- ``FANLI_ALLOWED_HOSTS``: comma separated.
"""

from __future__ import annotations

import json
import os
import secrets
import tempfile
from pathlib import Path
from typing import Any

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("FANLI_VAR_DIR", BASE_DIR / "var"))

DEBUG = os.environ.get("FANLI_DEBUG", "") == "1"


def _kept_secret_key(path: Path) -> str:
    """The key in ``path``, made (random, mode 0600) by the first process that needs it.

    The file appears whole or not at all: it is written under another name and linked into
    place, so processes starting together all read the same key.
    """
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor, draft = tempfile.mkstemp(dir=path.parent, prefix=".secret_key-")  # mode 0600
        try:
            with os.fdopen(descriptor, "w") as file:
                file.write(secrets.token_urlsafe(50))
                file.flush()
                os.fsync(file.fileno())
            os.link(draft, path)
        except FileExistsError:
            pass  # another process made it first: use theirs
        finally:
            os.unlink(draft)
    key = path.read_text().strip()
    if len(key) < 50:
        raise RuntimeError(f"{path} holds no usable secret key: delete it to make a new one, or set FANLI_SECRET_KEY")
    return key


SECRET_KEY = os.environ.get("FANLI_SECRET_KEY") or _kept_secret_key(VAR_DIR / "secret_key")
ALLOWED_HOSTS = [h for h in os.environ.get("FANLI_ALLOWED_HOSTS", "127.0.0.1,localhost").split(",") if h]

INSTALLED_APPS = [
    "fanli.accounts.apps.FanliAdminConfig",  # the admin: read-only, administrators only
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",  # the development server serves static files as production does
    "django.contrib.staticfiles",
    "ninja",  # serves the API docs' Swagger UI from the installed package, never from a CDN
    "django_htmx",
    "fanli.common",
    "fanli.accounts",
    "fanli.imports",
    "fanli.customers",
    "fanli.catalog",
    "fanli.sales",
    "fanli.rebates",
    "fanli.ledger",
    "fanli.discounts",
    "fanli.loyalty",
    "fanli.crm",
    "fanli.notices",
    "fanli.web",
    "fanli.demo",
]

MIDDLEWARE = [
    "fanli.common.middleware.SecurityHeadersMiddleware",  # Content-Security-Policy, Cache-Control: no-store
    "django.middleware.security.SecurityMiddleware",
    "fanli.common.middleware.StaticFilesMiddleware",  # WhiteNoise: static files from the installed packages
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "fanli.urls"
WSGI_APPLICATION = "fanli.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "fanli.web.context.navigation",
            ],
        },
    },
]


def _database() -> dict[str, Any]:
    url = os.environ.get("DATABASE_URL")
    if not url:
        VAR_DIR.mkdir(parents=True, exist_ok=True)
        url = f"sqlite:///{VAR_DIR / 'fanli.sqlite3'}"
    # A web process may keep its connection between requests (``fanli serve`` does, 60 s by default):
    # opening one to PostgreSQL costs more than most pages' queries. Checked before reuse.
    max_age = int(os.environ.get("FANLI_DB_CONN_MAX_AGE") or 0)
    config = dj_database_url.parse(url, conn_max_age=max_age, conn_health_checks=max_age > 0)
    if config["ENGINE"] == "django.db.backends.sqlite3":
        config["OPTIONS"] = {
            # Writers queue instead of failing; WAL lets readers run beside one writer.
            "timeout": 30,
            "transaction_mode": "IMMEDIATE",
            "init_command": (
                "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
                "PRAGMA foreign_keys=ON; PRAGMA temp_store=MEMORY; PRAGMA cache_size=-200000;"
            ),
        }
        # Tests use a file too (one per process), so concurrent-writer tests see real SQLite locking.
        config.setdefault("TEST", {})["NAME"] = os.environ.get("FANLI_TEST_SQLITE") or str(
            VAR_DIR / f"test-{os.getpid()}.sqlite3"
        )
    return dict(config)


DATABASES = {"default": _database()}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
]

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
TIME_ZONE = os.environ.get("FANLI_TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True

# Static files are served by every web process (WhiteNoise, fanli/common/middleware.py) straight
# from the installed packages, found by the finders: nothing to collect, never out of date after an
# upgrade, and nothing loaded from a CDN. `fanli collectstatic` still copies them to STATIC_ROOT for
# a web server in front that should serve them itself.
STATIC_URL = "static/"
STATICFILES_FINDERS = [
    "django.contrib.staticfiles.finders.FileSystemFinder",
    "django.contrib.staticfiles.finders.AppDirectoriesFinder",
    "fanli.web.staticfinders.PackageAssetFinder",  # the chart library's script, from its Python package
]
STATIC_ROOT = VAR_DIR / "static"
WHITENOISE_USE_FINDERS = True

LOGIN_URL = "web:login"
LOGIN_REDIRECT_URL = "web:home"
LOGOUT_REDIRECT_URL = "web:login"
LOCALE_PATHS = [BASE_DIR / "fanli" / "locale"]

# One cache for every process (login throttling, job progress): files shared by the processes
# of one machine, or Redis (FANLI_REDIS_URL, e.g. redis://127.0.0.1:6379/0) when processes span
# machines. Login counters are atomic on both (fanli/common/throttle.py).
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": os.environ["FANLI_REDIS_URL"],
        "KEY_PREFIX": "fanli",
    } if os.environ.get("FANLI_REDIS_URL") else {
        "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
        "LOCATION": os.environ.get("FANLI_CACHE_DIR") or str(VAR_DIR / "cache"),
        # Past MAX_ENTRIES the file cache deletes a third of its entries at random (login counters
        # too): keep the ceiling far above what one machine holds.
        "OPTIONS": {"MAX_ENTRIES": 20_000},
    }
}

# A settlement's read of a large sales table (PostgreSQL) runs in FANLI_READ_PARTS parts at once,
# each on its own connection sharing the transaction's snapshot, from FANLI_READ_PARTS_FROM_LINES
# lines on; see fanli/common/split_reads.py. FANLI_READ_PARTS=1 reads whole.
FANLI_READ_PARTS = int(os.environ.get("FANLI_READ_PARTS") or 2)
FANLI_READ_PARTS_FROM_LINES = int(os.environ.get("FANLI_READ_PARTS_FROM_LINES") or 2_000_000)

# Long work started from a page (settlement, accrual, import) runs in a thread of the web
# process; True runs it in the request instead (tests, single-threaded scripts). With a broker
# (FANLI_BROKER_URL, e.g. redis://127.0.0.1:6379/1) jobs go to Celery workers (`fanli worker`)
# through the queue FANLI_JOB_QUEUE instead; see fanli/common/celery_app.py.
FANLI_JOBS_INLINE = os.environ.get("FANLI_JOBS_INLINE", "") == "1"
FANLI_BROKER_URL = os.environ.get("FANLI_BROKER_URL", "")
FANLI_JOB_QUEUE = os.environ.get("FANLI_JOB_QUEUE", "fanli")
FANLI_TICK_SECONDS = float(os.environ.get("FANLI_TICK_SECONDS") or 30)

# The schedule (nightly segments and warnings, month-end accruals, daily points expiry; see
# fanli/common/schedule.py): "embedded" ticks in the web server process, "off" leaves it to a
# separate `fanli scheduler` process or, with a broker, to Celery beat (`fanli beat`), which is
# then the default. FANLI_SCHEDULE (JSON) changes a task's crontab line.
FANLI_SCHEDULER = os.environ.get("FANLI_SCHEDULER") or ("off" if FANLI_BROKER_URL else "embedded")

# Celery (read by fanli/common/celery_app.py only when a broker is set). Messages carry job ids;
# the outcome is in the Job row, so there is no result backend. A worker process takes one job
# at a time and is replaced after 100 (memory held by a large run goes back to the system).
CELERY_BROKER_URL = FANLI_BROKER_URL or "memory://"
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_DEFAULT_QUEUE = FANLI_JOB_QUEUE
CELERY_TASK_IGNORE_RESULT = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_WORKER_MAX_TASKS_PER_CHILD = 100
CELERY_BEAT_SCHEDULER = "celery.beat:Scheduler"  # in memory: the schedule's state is in the database
CELERY_BEAT_SCHEDULE = {
    "fanli-schedule": {"task": "fanli.schedule_tick", "schedule": FANLI_TICK_SECONDS,
                       "options": {"queue": FANLI_JOB_QUEUE, "expires": FANLI_TICK_SECONDS}},
}
CELERY_TIMEZONE = TIME_ZONE
FANLI_SCHEDULE = json.loads(os.environ.get("FANLI_SCHEDULE", "") or "{}")

# Maker-checker (four eyes): what one person prepares another approves. A policy, discount rule,
# loyalty programme or score card is submitted by its author and published by someone else with
# the publish right; a statement is approved by one person and paid by another. "0" lets one
# person do both (a one-person business); the audit log records who did what either way.
FANLI_FOUR_EYES = os.environ.get("FANLI_FOUR_EYES", "1") != "0"

# Largest file the import page accepts.
FANLI_UPLOAD_MAX_BYTES = int(os.environ.get("FANLI_UPLOAD_MAX_MB", "50")) * 1024 * 1024
if os.environ.get("FANLI_IMPORT_MAX_ROWS"):  # the most rows an import file may have (fanli.common.limits)
    FANLI_IMPORT_MAX_ROWS = int(os.environ["FANLI_IMPORT_MAX_ROWS"])
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024

# Warnings are e-mailed to their owners; the console shows them unless a real backend is set.
# Without a configured backend, e-mails are written as files to FANLI_VAR_DIR/mail (one per message),
# not printed: a first start of the demo raises a warning e-mail per sales rep.
EMAIL_BACKEND = os.environ.get("FANLI_EMAIL_BACKEND", "django.core.mail.backends.filebased.EmailBackend")
EMAIL_FILE_PATH = os.environ.get("FANLI_EMAIL_FILE_PATH", str(VAR_DIR / "mail"))

# PDF statements: the letterhead's company, and a TrueType font with Chinese glyphs (fanli/web/pdf.py)
FANLI_COMPANY_NAME = os.environ.get("FANLI_COMPANY_NAME", "")
FANLI_PDF_FONT = os.environ.get("FANLI_PDF_FONT", "")
DEFAULT_FROM_EMAIL = os.environ.get("FANLI_FROM_EMAIL", "fanli@localhost")

# Business defaults.
FANLI_CURRENCY = os.environ.get("FANLI_CURRENCY", "CNY")

# Sessions: a working day, and never readable by scripts or other sites.
SESSION_COOKIE_AGE = int(os.environ.get("FANLI_SESSION_HOURS", "10")) * 3600
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True  # pages send the token from the template (htmx header), never from the cookie
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

if not DEBUG:
    # Outside development, cookies travel over HTTPS only; behind a TLS-terminating proxy set
    # FANLI_BEHIND_TLS_PROXY=1 so requests it forwards count as secure.
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = int(os.environ.get("FANLI_HSTS_SECONDS", "31536000"))
    if os.environ.get("FANLI_BEHIND_TLS_PROXY") == "1":
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("FANLI_LOG_LEVEL", "WARNING")},
    # one line per run of a scheduled task (warnings raised and e-mailed, …), whatever the level above
    "loggers": {"fanli.runs": {"handlers": ["console"], "level": "INFO", "propagate": False}},
}
