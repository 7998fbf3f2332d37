"""Imports: reading CSV and XLSX files, one batch per attempt, and the kinds that plug in.

Design: this app holds the machinery every kind of import shares and knows none of the kinds.
``tabular`` reads files into rows with their line numbers and parses cells exactly; ``models``
holds ``ImportBatch`` (one row per attempt, with every row error); ``services.import_file`` and
``import_preview`` run a kind's planner, all or nothing, and end its batch whatever happens;
``jobs`` runs them from a page and sweeps batches whose process is gone; ``uploads`` keeps
uploaded files between the preview and the import. Each kind (``sales``, ``grades``,
``customers``, ``targets``, ``products``) is registered by its own app in
``fanli.imports.registry``, so the dependency points one way: the apps import this one.
"""
