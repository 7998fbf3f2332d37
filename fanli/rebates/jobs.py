"""Settlement and accrual runs started from a page, as background jobs with progress."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from fanli.common.jobs import JobProgress, job_handler

from .services import ACCRUAL_STAGES, SETTLEMENT_STAGES, Stage, accrual_run, settlement_run


def _steps(progress: JobProgress, names: Sequence[str]) -> Stage:
    """Each stage the service announces is one step of the bar."""

    def stage(name: str) -> None:
        progress.stage(name)
        progress(names.index(name) if name in names else 0, len(names))

    return stage


def _today(params: dict[str, Any]) -> date | None:
    return date.fromisoformat(params["today"]) if params.get("today") else None


@job_handler("settlement")
def settlement(params: dict[str, Any], actor: Any, progress: JobProgress) -> dict[str, Any]:
    run = settlement_run(period_key=params["period"], actor=actor, today=_today(params),
                         policy_codes=params.get("policies") or None, stage=_steps(progress, SETTLEMENT_STAGES))
    return {"run": run.pk, **run.summary}


@job_handler("accrual")
def accrual(params: dict[str, Any], actor: Any, progress: JobProgress) -> dict[str, Any]:
    run = accrual_run(month_key=params["month"], actor=actor, today=_today(params),
                      policy_codes=params.get("policies") or None, stage=_steps(progress, ACCRUAL_STAGES))
    return {"run": run.pk, **run.summary}
