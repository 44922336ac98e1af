from __future__ import annotations

from flask import Blueprint, render_template

from app.container import container

bp = Blueprint("stock", __name__, template_folder="templates")


@bp.get("/stock")
def page() -> str:
    settings = container().settings
    return render_template(
        "stock.html", station="stock", max_units=settings.stock_max_units_per_scan
    )
