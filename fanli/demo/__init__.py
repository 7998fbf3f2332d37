"""Demo data: a realistic, seeded data set for trying Fanli out (``fanli demo load``).

Design overview:

- ``generate`` is pure Python: from a seed, a customer count, a line count and "today" it
  produces master data (grade ladder, customers with parents and branches, category tree,
  brands, products) and a date-ordered stream of sales documents. The same arguments always
  give the same data, so tests can assert exact figures.
- ``services.demo_load`` writes that stream with ``bulk_create`` in chunks inside one
  transaction, creates the demo users and an API token, and publishes the sample policies in
  ``policies/`` through the rebate services, enrolling customers where a policy asks for it.
- The management command ``fanli demo load`` is a thin interface over ``demo_load``.
"""
