from __future__ import annotations

from flask import Blueprint, render_template

bp = Blueprint("weigh", __name__, template_folder="templates")


@bp.get("/weigh")
def page() -> str:
    return render_template("weigh.html", station="weigh")
