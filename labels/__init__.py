"""Pure label renderers: label data in, PDF bytes out.

No Flask, no database, no file or network I/O: callers build the dataclasses from
:mod:`labels.model` and get deterministic PDF bytes back.
"""

from labels.model import Address, PackingSlip, PackingSlipLine, ShippingLabel
from labels.packing_slip import render_packing_slip_pdf
from labels.shipping_label import render_shipping_label_pdf

__all__ = [
    "Address",
    "PackingSlip",
    "PackingSlipLine",
    "ShippingLabel",
    "render_packing_slip_pdf",
    "render_shipping_label_pdf",
]
