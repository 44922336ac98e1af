"""A GS1 label carries the GTIN-14; the catalogue stores barcodes as printed. Every station's
lookup finds the SKU either way."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import select

from app.adapters.db import repositories as repo
from app.adapters.db.models import Barcode
from tests.support.warehouse import uow_of


def test_a_gtin14_from_a_gs1_label_finds_the_sku_stored_as_ean13(app: Flask) -> None:
    with uow_of(app)() as tx:
        s = tx.session
        bc = s.scalars(select(Barcode).where(Barcode.kind == "gtin").limit(1)).one()
        assert len(bc.code) == 13
        gtin14 = bc.code.zfill(14)
        found = repo.sku_for_code(s, gtin14)
        assert found is not None and found.id == bc.sku_id
        assert repo.sku_for_code(s, bc.code).id == bc.sku_id  # type: ignore[union-attr]
        wrong = gtin14[:-1] + str((int(gtin14[-1]) + 1) % 10)  # a misread check digit
        assert repo.sku_for_code(s, wrong) is None
