"""Shared building blocks: money, periods, errors, audit events and API tokens.

Design: ``money`` and ``periods`` are pure Python (no Django imports) so the rebate engine can
use them without a database. ``models`` holds the two tables every app writes to: the audit log
and API tokens.
"""
