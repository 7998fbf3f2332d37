"""WSGI entry point."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fanli.settings")
application = get_wsgi_application()

# The schedule ticks in this process unless FANLI_SCHEDULER=off (a separate `fanli scheduler`).
from fanli.common.schedule import embedded_start  # noqa: E402  (needs the apps loaded above)

embedded_start()

# Objects made while starting, and the caches the first requests fill, live as long as the
# process: keep them out of the garbage collector's full scans (fanli/common/heap.py).
from django.core.signals import request_finished  # noqa: E402

from fanli.common.heap import settle_while_warming  # noqa: E402

settle_while_warming(request_finished)
