"""Fanli: customer incentives (rebates, discounts, loyalty) with exact, explained figures."""

__version__ = "0.1.0"
