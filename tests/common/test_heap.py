"""Long-lived objects leave the garbage collector's full scans (fanli.common.heap)."""

from __future__ import annotations

import gc
import io
from typing import Any

from django.dispatch import Signal

from fanli.common import heap
from fanli.common.command import FanliCommand


def test_a_web_process_freezes_at_start_and_after_its_1st_10th_and_100th_request() -> None:
    finished = Signal()  # stands for django.core.signals.request_finished
    gc.unfreeze()
    kept: list[list[list[int]]] = []
    try:
        heap.settle_while_warming(finished)
        assert gc.get_freeze_count() > 0
        frozen_after = []
        for request in range(1, 121):
            kept.append([[request] for _ in range(20)])  # what a request leaves in a cache
            before = gc.get_freeze_count()
            finished.send(sender=None)
            if gc.get_freeze_count() > before:
                frozen_after.append(request)
        assert frozen_after == [1, 10, 100]
    finally:
        gc.unfreeze()


def test_a_command_freezes_its_start_up_heap_before_its_work() -> None:
    seen: list[int] = []

    class Probe(FanliCommand):
        def work(self, *args: Any, **options: Any) -> None:
            seen.append(gc.get_freeze_count())

    gc.unfreeze()
    heap._settled_for_command = False
    try:
        assert gc.get_freeze_count() == 0
        Probe(stdout=io.StringIO()).handle()
        assert seen and seen[0] > 0
        gc.unfreeze()
        Probe(stdout=io.StringIO()).handle()  # the same process again: nothing more is frozen
        assert seen[1] == 0
    finally:
        gc.unfreeze()
