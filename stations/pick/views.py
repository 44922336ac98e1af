from __future__ import annotations

from flask import Blueprint, render_template

bp = Blueprint("pick", __name__, template_folder="templates")


@bp.get("/pick")
def page() -> str:
    return render_template("pick.html", station="pick")
