"""Segments and score cards as a background job (the nightly schedule starts it)."""

from __future__ import annotations

from datetime import date
from typing import Any

from fanli.common.jobs import JobProgress, job_handler

from .services import scorecards_compute, segments_recompute


@job_handler("segments")
def segments(params: dict[str, Any], actor: Any, progress: JobProgress) -> dict[str, Any]:
    today = date.fromisoformat(params["today"])
    progress.stage("segments")
    progress(0, 2)
    summary = segments_recompute(today=today, actor=actor)
    progress.stage("score cards")
    progress(1, 2)
    return {**summary, "score_cards": scorecards_compute(today=today, actor=actor)}
