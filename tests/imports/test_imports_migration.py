"""Batches moved from the sales app to the imports app without moving a row: a database at the
earlier migrations, with batches and documents in it, migrates and keeps every link."""

from __future__ import annotations

from datetime import date

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from fanli.imports.models import ImportBatch
from fanli.sales.models import SalesDocument


@pytest.mark.slow  # about 10 s: the project's migration states are rendered twice
@pytest.mark.django_db(transaction=True)
def test_a_database_with_batches_in_the_sales_app_migrates_and_keeps_them():
    executor = MigrationExecutor(connection)
    executor.migrate([("imports", None)])  # back to where batches lived in sales
    executor.loader.build_graph()
    old = executor.loader.project_state([("sales", "0005_importbatch_runner")]).apps
    customer = old.get_model("customers", "Customer").objects.create(
        code="C1", name="C1", kind="dealer", start_date=date(2020, 1, 1))
    old_batch = old.get_model("sales", "ImportBatch").objects.create(
        kind="sales", source_name="old.csv", source_sha256="0" * 64, status="done", rows_total=1)
    old.get_model("sales", "SalesDocument").objects.create(
        number="INV-1", kind="invoice", document_date=date(2025, 1, 1), basis_date=date(2025, 1, 1),
        customer=customer, total_minor=0, content_sha256="0" * 64, batch=old_batch)

    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())

    assert ImportBatch._meta.db_table == "sales_importbatch"
    assert list(ImportBatch.objects.values_list("pk", "source_name", "status")) == [(old_batch.pk, "old.csv", "done")]
    assert SalesDocument.objects.get(number="INV-1").batch.source_name == "old.csv"
    assert ImportBatch.objects.create(kind="sales", source_name="new.csv", source_sha256="1" * 64).pk > old_batch.pk
