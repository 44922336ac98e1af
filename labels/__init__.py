"""Pure label renderers: label data in, PDF (or ZPL) bytes out.

No Flask, no database, no file or network I/O: callers build the dataclasses from
:mod:`labels.model` and get deterministic PDF bytes back.
"""

from labels.manifest import render_manifest_csv, render_manifest_pdf
from labels.model import (
    Address,
    Manifest,
    ManifestLine,
    PackingSlip,
    PackingSlipLine,
    ReturnLabel,
    ShippingLabel,
)
from labels.packing_slip import render_packing_slip_pdf
from labels.return_label import render_return_label_pdf, render_return_label_zpl
from labels.shipping_label import render_shipping_label_pdf
from labels.shipping_label_zpl import render_shipping_label_zpl

__all__ = [
    "Address",
    "Manifest",
    "ManifestLine",
    "PackingSlip",
    "PackingSlipLine",
    "ReturnLabel",
    "ShippingLabel",
    "render_manifest_csv",
    "render_manifest_pdf",
    "render_packing_slip_pdf",
    "render_return_label_pdf",
    "render_return_label_zpl",
    "render_shipping_label_pdf",
    "render_shipping_label_zpl",
]
