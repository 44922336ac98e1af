from __future__ import annotations

from flask import Blueprint, render_template

home = Blueprint("home", __name__)

STATIONS = [
    ("supervisor", "Supervisor", "Plan and release waves, watch the floor"),
    ("pick", "Pick", "Handheld: location, item, tote"),
    ("pack", "Pack", "Verify every unit, choose the carton"),
    ("weigh", "Weigh", "Check the carton weight"),
    ("ship", "Ship", "Rate, label, hand over"),
    ("returns", "Returns", "Receive, grade with photos, restock"),
    ("reports", "Reports", "On time, cycle time, accuracy, cost: charts and exports"),
]


@home.get("/")
def index() -> str:
    return render_template("home.html", stations=STATIONS)
