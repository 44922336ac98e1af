"""Helpers for the weigh station tests: a config folder with a given stations.toml, packed
cartons made through the real pick and pack events, and waiting for pushed readings."""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from flask import Flask

from stations.weigh.wiring import weigh
from tests.support.warehouse import CONFIG, allocation_doc, signed_post, socket_client

NS = "/weigh"


def config_dir(folder: Path, stations_toml: str) -> Path:
    """A copy of config/ whose stations.toml is `stations_toml`."""
    target = folder / "config"
    shutil.copytree(CONFIG, target, dirs_exist_ok=True)
    (target / "stations.toml").write_text(stations_toml)
    return target


def close_hub(app: Flask) -> None:
    weigh(app).hub.close()


def pack_carton(
    app: Flask,
    allocation_id: str,
    lines: list[dict[str, Any]] | None = None,
    *,
    picker: str = "U0010",
    packer: str = "U0040",
    tote: str = "T0001",
) -> dict[str, Any]:
    """Post an allocation, release, pick and pack it; the closed carton (code, expected...)."""
    client = app.test_client()
    doc = allocation_doc(allocation_id)
    if lines:
        doc["lines"] = lines
    resp = signed_post(client, "/api/v1/allocations", doc)
    assert resp.status_code == 202, resp.get_json()
    sup = socket_client(app, "/supervisor", "U0001")
    ack = sup.emit(
        "build_wave",
        {"allocation_ids": [allocation_id], "release": True},
        namespace="/supervisor",
        callback=True,
    )
    assert ack["ok"], ack
    pick = socket_client(app, "/pick", picker)
    while True:
        ack = pick.emit("next_task", {}, namespace="/pick", callback=True)
        assert ack["ok"], ack
        task = ack["task"]
        if task is None:
            break
        codes = [] if task["location_confirmed"] else [task["location"]]
        codes += [task["barcode"]] * (task["qty"] - task["picked"])
        codes.append(task["tote"] or tote)
        for code in codes:
            scanned = pick.emit(
                "scan", {"task_id": task["task_id"], "code": code}, namespace="/pick", callback=True
            )
            assert scanned["ok"], scanned
    pack = socket_client(app, "/pack", packer)
    ack = pack.emit("open", {"code": allocation_id}, namespace="/pack", callback=True)
    assert ack["ok"], ack
    reply: dict[str, Any] = {}
    for line in ack["order"]["lines"]:
        for _ in range(line["picked"]):
            reply = pack.emit(
                "scan",
                {"allocation_id": allocation_id, "code": line["barcode"]},
                namespace="/pack",
                callback=True,
            )
            assert reply["ok"], reply
    order = reply["order"]
    closed = pack.emit(
        "close_carton",
        {"allocation_id": allocation_id, "carton_type": order["recommendation"]["code"]},
        namespace="/pack",
        callback=True,
    )
    assert closed["ok"], closed
    carton: dict[str, Any] = closed["carton"]
    return carton


def readings(client: Any) -> list[dict[str, Any]]:
    return [m["args"][0] for m in client.get_received(NS) if m["name"] == "reading"]


def wait_for(
    client: Any,
    predicate: Callable[[dict[str, Any]], bool],
    timeout_s: float = 5.0,
    seen: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """The first pushed reading that satisfies `predicate` (others are kept in `seen`)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        for r in readings(client):
            if seen is not None:
                seen.append(r)
            if predicate(r):
                return r
        time.sleep(0.02)
    raise AssertionError(f"no such reading within {timeout_s} s; last: {seen[-3:] if seen else []}")


def emit(client: Any, event: str, payload: dict[str, Any]) -> dict[str, Any]:
    ack: dict[str, Any] = client.emit(event, payload, namespace=NS, callback=True)
    return ack
