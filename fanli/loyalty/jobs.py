"""Points expiry as a background job (the daily schedule starts it)."""

from __future__ import annotations

from datetime import date
from typing import Any

from fanli.common.jobs import JobProgress, job_handler

from .services import points_expire


@job_handler("points_expire")
def expire(params: dict[str, Any], actor: Any, progress: JobProgress) -> dict[str, Any]:
    return {"lots_expired": points_expire(day=date.fromisoformat(params["day"]))}
