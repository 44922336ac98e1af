from __future__ import annotations

from flask import Blueprint, render_template

bp = Blueprint("count", __name__, template_folder="templates")


@bp.get("/count")
def page() -> str:
    return render_template("count.html", station="count")


@bp.get("/count/review")
def review() -> str:
    return render_template("count_review.html", station="count-review")
