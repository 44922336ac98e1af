from __future__ import annotations

from flask import Blueprint, Response, current_app, render_template, send_from_directory

bp = Blueprint("pick", __name__, template_folder="templates")


@bp.get("/pick")
def page() -> str:
    return render_template("pick.html", station="pick")


@bp.get("/sw.js")
def service_worker() -> Response:
    """The pick app's service worker, served from the root so that it may control /pick (a
    worker only controls pages at or below its own path). Never cached by HTTP: the browser
    checks it on every visit, so a new release reaches the handhelds on their next load."""
    static = current_app.static_folder
    assert static is not None
    resp = send_from_directory(static, "sw.js", mimetype="text/javascript", max_age=0)
    resp.headers["Cache-Control"] = "no-cache"
    return resp
