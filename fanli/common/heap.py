"""Keeping long-lived objects out of the garbage collector's full scans.

A Fanli process holds tens of thousands of objects that live as long as it does: settings, the
app registry, URL patterns, the API's schemas, templates, compiled rules. CPython's collector
scans every tracked object on each full collection, and a full collection falls on whichever
request or statement happens to allocate past the threshold: 15–20 ms on a quote that otherwise
takes 6. ``gc.freeze()`` moves the objects alive at that moment to a generation the collector
never scans; what is made afterwards is collected as usual.

- ``settle()``: collect once, then freeze what survived; the Celery worker calls it when its
  process starts. Commands call ``settle_for_command()`` before their work (``FanliCommand``): it
  freezes without collecting (instant; a collection of a large heap is not), once per process.
- ``settle_while_warming(request_finished)``: a web process freezes once it has started and
  again after its 1st, 10th and 100th request, because several caches (URL resolvers, the API's
  schemas, template loaders, compiled rules) are filled by the first requests, not at start-up.
"""

from __future__ import annotations

import gc
from typing import Any

from django.dispatch import Signal

SETTLE_AFTER_REQUESTS = frozenset({1, 10, 100})


def settle(*, collect: bool = True) -> None:
    if collect:
        gc.collect()
    gc.freeze()


_settled_for_command = False


def settle_for_command() -> None:
    """Freeze the start-up heap before a command's work, once per process: a ``fanli`` process
    runs one command; a process that calls commands again and again (tests, benchmarks) must not
    freeze the garbage of each into the generation that is never collected."""
    global _settled_for_command
    if not _settled_for_command:
        _settled_for_command = True
        settle(collect=False)


class _Warming:
    def __init__(self) -> None:
        self.requests = 0

    def __call__(self, **_: Any) -> None:
        self.requests += 1
        if self.requests in SETTLE_AFTER_REQUESTS:
            settle()


def settle_while_warming(request_finished: Signal) -> None:
    """Freeze now and after the process's 1st, 10th and 100th request (a few milliseconds each)."""
    settle()
    request_finished.connect(_Warming(), weak=False, dispatch_uid="fanli.common.heap.warming")
