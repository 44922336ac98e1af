from __future__ import annotations

from flask import Blueprint, render_template

bp = Blueprint("supervisor", __name__, template_folder="templates")


@bp.get("/supervisor")
def page() -> str:
    return render_template("supervisor.html", station="supervisor")
