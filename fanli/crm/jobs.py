"""Warnings as a background job (the nightly schedule starts it)."""

from __future__ import annotations

from datetime import date
from typing import Any

from fanli.common.jobs import JobProgress, job_handler

from .services import warnings_raise


@job_handler("warnings")
def warnings(params: dict[str, Any], actor: Any, progress: JobProgress) -> dict[str, Any]:
    raised = warnings_raise(today=date.fromisoformat(params["today"]), actor=actor)
    return {"new": len(raised)}
