"""Rebates (返利): policies as versioned documents, a pure calculation engine, and the
services that turn sales into progress, accruals, statements and explanations.

Layers:
- ``document``: the policy document (pydantic), its JSON Schema and validation by path.
- ``engine``: pure calculation — frozen dataclasses in, frozen results with explanations out.
- ``selectors``: set-based SQL that aggregates sales per customer, scope class and campaign
  segment for a period; the engine only ever sees these aggregates.
- ``services``: writes — publishing policies, accrual and settlement runs, statement states.
"""
