"""WSGI entry point."""

import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fanli.settings")
application = get_wsgi_application()

# The schedule ticks in this process unless FANLI_SCHEDULER=off (a separate `fanli scheduler`).
from fanli.common.schedule import embedded_start  # noqa: E402  (needs the apps loaded above)

embedded_start()

# Objects made while starting (settings, URL patterns, templates, app registries) live as long as
# the process: keep them out of the garbage collector's full scans, which otherwise cost tens of
# milliseconds on whichever request happens to trigger one.
gc.collect()
gc.freeze()
