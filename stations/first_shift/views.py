from __future__ import annotations

from flask import Blueprint, render_template

bp = Blueprint("first_shift", __name__, template_folder="templates")


@bp.get("/first-shift")
def page() -> str:
    return render_template("first_shift.html", station="first-shift")
