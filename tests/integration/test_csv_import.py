"""`dockhand import allocations FILE` as an operator runs it: real CLI, real SQLite file."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from flask import Flask

from tests.support.warehouse import signed_get

HEADER = (
    "allocation_id,version,order_number,service_level,ship_by,ship_to_name,ship_to_line1,"
    "ship_to_city,ship_to_postal_code,ship_to_country,line_id,sku,qty\n"
)


def run_import(sqlite_url: str, tmp_path: Path, body: str) -> subprocess.CompletedProcess[str]:
    path = tmp_path / "orders.csv"
    path.write_text(HEADER + body)
    env = {**os.environ, "DOCKHAND_DATABASE_URL": sqlite_url}
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "app.cli",
            "import",
            "allocations",
            str(path),
            "--report",
            str(tmp_path / "errors.csv"),
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_csv_rows_become_allocations_and_bad_rows_are_named(
    app: Flask, sqlite_url: str, tmp_path: Path
) -> None:
    body = (
        "AL-C1,1,SO-C1,standard,2026-11-27T17:00:00+00:00,Ada,1 Road,London,SW1,GB,1,"
        "TSHIRT-BLK-S,2\n"
        "AL-C1,,,,,,,,,,2,MUG-BLK-S,1\n"
        "AL-C2,1,SO-C2,express,,Bob,2 Road,Leeds,LS1,GB,1,MUG-BLK-S,zero\n"
        "AL-C3,1,SO-C3,standard,,Cy,3 Road,York,YO1,Britain,1,MUG-BLK-S,1\n"
        ",1,SO-C4,standard,,Di,4 Road,Hull,HU1,GB,1,MUG-BLK-S,1\n"
    )
    done = run_import(sqlite_url, tmp_path, body)
    assert done.returncode == 1, done.stderr
    out = done.stdout.splitlines()
    assert "row 4: AL-C2: qty: must be a positive integer" in out
    assert any(line.startswith("row 5: AL-C3: ship_to_country:") for line in out)
    assert "row 6: -: allocation_id: is required" in out
    summary = json.loads(out[-1])
    assert summary == {"allocations": 1, "by_status": {"accepted": 1}, "row_errors": 3}
    state = signed_get(app.test_client(), "/api/v1/allocations/AL-C1").get_json()
    assert [(ln["sku"], ln["qty"]) for ln in state["lines"]] == [
        ("TSHIRT-BLK-S", 2),
        ("MUG-BLK-S", 1),
    ]
    assert signed_get(app.test_client(), "/api/v1/allocations/AL-C2").status_code == 404
    assert (tmp_path / "errors.csv").read_text().count("\n") == 4  # header + 3 errors


def test_importing_the_same_file_twice_changes_nothing(
    app: Flask, sqlite_url: str, tmp_path: Path
) -> None:
    body = "AL-D1,1,SO-D1,standard,,Ada,1 Road,London,SW1,GB,1,TSHIRT-BLK-S,1\n"
    assert run_import(sqlite_url, tmp_path, body).returncode == 0
    again = run_import(sqlite_url, tmp_path, body)
    assert again.returncode == 0
    assert json.loads(again.stdout.splitlines()[-1])["by_status"] == {"duplicate": 1}
