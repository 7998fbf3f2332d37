"""Sales: invoices and returns, imported from the source system.

Design: a ``SalesDocument`` is identified by its source ``number``; importing the same document
twice is a no-op, importing it with other content is a conflict (``content_sha256`` decides).
Lines carry signed amounts (returns are negative) and are denormalised with the customer and the
``basis_date`` — the date that decides which period a line counts in: the document date for an
invoice, the reversed invoice's date for a return that references one. That lets every rebate
aggregation be one indexed scan of ``sales_line`` with no joins.
"""
