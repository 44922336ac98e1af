from __future__ import annotations

from flask import Blueprint, render_template

from app.domain.text import N_

home = Blueprint("home", __name__)

# Titles and blurbs are translated on the page: N_ marks them for the catalogs.
STATIONS = [
    ("supervisor", N_("Supervisor"), N_("Plan and release waves, watch the floor")),
    ("pick", N_("Pick"), N_("Handheld: location, item, tote")),
    (
        "count",
        N_("Count"),
        N_("Handheld: blind cycle counts; supervisors approve at /count/review"),
    ),
    ("pack", N_("Pack"), N_("Verify every unit, choose the carton")),
    ("weigh", N_("Weigh"), N_("Check the carton weight")),
    ("ship", N_("Ship"), N_("Rate, label, hand over")),
    ("returns", N_("Returns"), N_("Receive, grade with photos, restock")),
    ("stock", N_("Stock"), N_("Handheld: receive, put away, move, replenish pick faces")),
    ("reports", N_("Reports"), N_("On time, cycle time, accuracy, cost: charts and exports")),
    ("labels", N_("Labels"), N_("Supervisors: location, tote and badge sheets to print")),
    ("setup", N_("Station set-up"), N_("Admins: printers, scales, cameras, scanner sheet")),
    ("first-shift", N_("First shift"), N_("New pickers and packers: hints and practice waves")),
]


@home.get("/")
def index() -> str:
    return render_template("home.html", stations=STATIONS)
