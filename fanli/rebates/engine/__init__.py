"""The rebate calculation core: pure, typed, no database.

``Terms`` (what a policy version says, after a customer's enrolment overrides) and ``Basis``
(what a customer bought in a period, already aggregated) go in; a ``Result`` comes out with
the rounded amount and every step that produced it. Tier modes are strategies in an explicit
registry (``TIER_MODES``). Settlement, accrual, progress and what-if all call ``calculate``.
"""

from .calculate import calculate, project
from .terms import (
    BandLine,
    Basis,
    CampaignLine,
    CampaignTerms,
    CapLine,
    Result,
    Terms,
    TierSpec,
)
from .tiers import TIER_MODES, tier_reached

__all__ = [
    "TIER_MODES",
    "BandLine",
    "Basis",
    "CampaignLine",
    "CampaignTerms",
    "CapLine",
    "Result",
    "Terms",
    "TierSpec",
    "calculate",
    "project",
    "tier_reached",
]
