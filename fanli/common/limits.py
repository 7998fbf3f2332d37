"""Bounds on every input Fanli accepts, in one place (the reasons are in ``docs/imports.md``).

Design overview
---------------
- **Documents** (policies, discount rules, loyalty programmes, score cards) are YAML or JSON
  text of at most ``DOCUMENT_MAX_BYTES``, nested at most ``DOCUMENT_MAX_DEPTH`` deep, with at most
  ``DOCUMENT_MAX_NODES`` values and without anchors or aliases; ``fanli.rebates.document.read_document_text`` enforces them.
- **Tables** (CSV and XLSX imports) have at most ``TABLE_MAX_ROWS`` rows and
  ``TABLE_MAX_COLUMNS`` columns, counted as they are read (an XLSX file's declared dimension is
  ignored), and no cell longer than ``TABLE_MAX_CELL_CHARS``; ``fanli.imports.tabular`` enforces
  them. ``FANLI_IMPORT_MAX_ROWS`` and ``FANLI_IMPORT_MAX_COLUMNS`` in the settings lower or
  raise the first two.
- **Money and quantities** are checked before any SQL so that no sum or product the product
  runs in SQL can leave a signed 64-bit integer:

  * the one product of two amounts in SQL is a paid-basis share,
    ``line amount × paid amount / document total``, with both factors at most a document's
    total: ``DOCUMENT_AMOUNT_MAX_MINOR`` squared is below 2^63;
  * sums of sales lines (per customer, period, segment, or over the whole table) reach 2^63
    only after three billion documents at the largest amount each;
  * quantities (thousandths) sum to 2^63 only after 92 million lines at the largest quantity;
  * figures that stand for a whole period (targets, budgets, caps, credit limits, thresholds)
    are at most ``PERIOD_AMOUNT_MAX_MINOR``, ninety-two thousand times below 2^63, so the
    arithmetic around them (shares, percentages) stays far inside it too.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings

# --------------------------------------------------------------------------- documents

DOCUMENT_MAX_BYTES = 256 * 1024
"""Largest YAML/JSON document text, in bytes of UTF-8 (the largest demo policy is under 4 KiB)."""

DOCUMENT_MAX_DEPTH = 20
"""Deepest nesting of mappings and lists in a document (a policy nests five deep)."""

DOCUMENT_MAX_NODES = 10_000
"""Most values (scalars, mappings and lists) in a document (a demo policy has about a hundred)."""

# --------------------------------------------------------------------------- tables

TABLE_MAX_ROWS = 2_000_000
"""Most rows an import file may hold (header included), counted as they are read."""

TABLE_MAX_COLUMNS = 200
"""Most columns an import row may have, counted as read (empty trailing cells included)."""

TABLE_MAX_CELL_CHARS = 32_767
"""Longest cell text: Excel's own limit on a cell."""

# --------------------------------------------------------------------------- money and quantities

DOCUMENT_AMOUNT_MAX_MINOR = 3_000_000_000
"""¥30,000,000.00: the most a sales document's total, one line's net amount, a unit or list price
or a paid amount may be (in minor units, either sign). Its square is below 2^63."""

QUANTITY_MAX_MILLI = 100_000_000_000
"""100,000,000 units: the most one sales line's quantity may be (in thousandths, either sign)."""

PERIOD_AMOUNT_MAX_MINOR = 100_000_000_000_000
"""¥1,000,000,000,000.00: the most a figure standing for a whole period may be (sales targets,
credit limits, budgets, caps, bonuses and thresholds in documents), in minor units."""

PERIOD_AMOUNT_MAX = Decimal(PERIOD_AMOUNT_MAX_MINOR) / 100
"""``PERIOD_AMOUNT_MAX_MINOR`` in major units, as documents write amounts."""

DOCUMENT_AMOUNT_MAX = Decimal(DOCUMENT_AMOUNT_MAX_MINOR) / 100
"""``DOCUMENT_AMOUNT_MAX_MINOR`` in major units."""

LINE_NUMBER_MAX = 1_000_000
"""Largest line number of a sales document."""

DAYS_MAX = 36_500
"""Largest number of days written anywhere (payment terms, tenure, expiry): a hundred years."""

COUNT_MAX = 1_000_000_000
"""Largest count written in a document or a request (days, points per yuan, order counts)."""


def table_max_rows() -> int:
    return int(getattr(settings, "FANLI_IMPORT_MAX_ROWS", TABLE_MAX_ROWS))


def table_max_columns() -> int:
    return int(getattr(settings, "FANLI_IMPORT_MAX_COLUMNS", TABLE_MAX_COLUMNS))
