"""Station set-up over the /setup namespace, on a real SQLite file: who may change what, every
bad value refused with its field and nothing saved, audit rows, a test label reaching a real
TCP printer listener on loopback, a scale on a socat serial pair read live (also by an open
weigh page, without a restart), the ship station printing on a saved printer, a camera frame
through the server's decoder, and the DataWedge downloads."""

from __future__ import annotations

import io
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import zxingcpp
from flask import Flask
from PIL import Image
from sqlalchemy import func, select

from app.adapters.db.engine import make_engine
from app.adapters.db.models_security import AuditEntry
from app.adapters.db.models_setup import StationDevice
from app.adapters.db.uow import SessionFactory
from app.container import container
from app.domain.datawedge import set_config
from app.services.station_setup import StationSetup
from stations.setup.wiring import station_setup
from tests.support.serial_pair import MtSicsScale, socat_pair
from tests.support.shipping import fake_printer, now_utc, use_clock, weighed_carton
from tests.support.warehouse import socket_client, uow_of
from tests.support.weigh import close_hub
from tests.support.weigh import wait_for as wait_for_reading
from tests.support.zpl_reader import read

NS = "/setup"


def emit(client: Any, event: str, payload: Any) -> dict[str, Any]:
    ack: dict[str, Any] = client.emit(event, payload, namespace=NS, callback=True)
    return ack


@pytest.fixture
def setup_app(app: Flask) -> Iterator[Flask]:
    yield app
    close_hub(app)


@pytest.fixture
def admin(setup_app: Flask) -> Any:
    return socket_client(setup_app, NS, "U0002")


def saved_rows(app: Flask) -> list[StationDevice]:
    with uow_of(app)() as tx:
        rows = list(tx.session.scalars(select(StationDevice)))
        tx.session.expunge_all()
        return rows


def setup_audits(app: Flask) -> list[AuditEntry]:
    with uow_of(app)() as tx:
        rows = list(
            tx.session.scalars(
                select(AuditEntry)
                .where(AuditEntry.action.like("station_setup.%"))
                .order_by(AuditEntry.id)
            )
        )
        tx.session.expunge_all()
        return rows


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# --- what there is, and who may change it -------------------------------------------------


def test_admin_sees_every_configured_station_and_the_accounts_of_carriers_toml(admin: Any) -> None:
    ack = emit(admin, "stations", {})
    assert ack["ok"] and ack["can_edit"] is True
    by_id = {s["id"]: s for s in ack["stations"]}
    assert set(by_id) == {"WEIGH-1", "WEIGH-2"}
    assert by_id["WEIGH-2"]["scale"]["driver"] == "simulated"
    assert by_id["WEIGH-2"]["scale"]["source"] == "stations.toml"
    assert by_id["WEIGH-2"]["printer"] is None and by_id["WEIGH-2"]["saved"] is False
    codes = [a["code"] for a in ack["options"]["accounts"]]
    assert codes == ["DXP-MAIN", "DXP-B2B", "PPL-MAIN"]
    assert "mt-sics" in ack["options"]["protocols"] and "serial" in ack["options"]["drivers"]


def test_a_supervisor_may_look_but_not_change_and_a_picker_may_not_sign_in(
    setup_app: Flask,
) -> None:
    supervisor = socket_client(setup_app, NS, "U0001")
    assert emit(supervisor, "stations", {})["can_edit"] is False
    refused = emit(
        supervisor, "save", {"station": "WEIGH-2", "changes": {"carrier_account": "DXP-MAIN"}}
    )
    assert refused["ok"] is False and refused["field"] == "role"
    assert "administrator" in refused["message"]
    with fake_printer() as printer:
        tried = emit(
            supervisor,
            "test_print",
            {
                "station": "WEIGH-2",
                "printer": {"kind": "zpl", "host": "127.0.0.1", "port": printer.port},
            },
        )
        assert tried["field"] == "role"
        time.sleep(0.2)
        assert printer.jobs == []
    assert saved_rows(setup_app) == [] and setup_audits(setup_app) == []

    client = setup_app.test_client()
    from app import socketio

    picker = socketio.test_client(setup_app, namespace=NS, flask_test_client=client)
    ack = picker.emit("sign_in", {"badge": "U0010", "pin": "1234"}, namespace=NS, callback=True)
    assert ack["ok"] is False and "may not work the set-up station" in ack["message"]
    assert emit(picker, "stations", {})["field"] == "badge"


# --- validation: the field, a sentence, and nothing saved -----------------------------------


@pytest.mark.parametrize(
    ("printer", "field", "words"),
    [
        (
            {"kind": "zpl", "host": "label printer", "port": 9100},
            "printer.host",
            "not an IP address",
        ),
        ({"kind": "zpl", "host": "http://10.0.40.21", "port": 9100}, "printer.host", "URL"),
        ({"kind": "zpl", "host": "10.0.40.21:9100"}, "printer.host", "port field"),
        ({"kind": "zpl", "host": "10.0.40.300", "port": 9100}, "printer.host", "not a valid IP"),
        ({"kind": "zpl", "port": 9100}, "printer.host", "required"),
        ({"kind": "zpl", "host": "10.0.40.21", "port": 0}, "printer.port", "between 1 and 65535"),
        (
            {"kind": "zpl", "host": "10.0.40.21", "port": 70000},
            "printer.port",
            "between 1 and 65535",
        ),
        ({"kind": "zpl", "host": "10.0.40.21", "port": "nine"}, "printer.port", "whole number"),
        ({"kind": "zpl", "host": "10.0.40.21", "dpi": 150}, "printer.dpi", "203, 300 or 600"),
        ({"kind": "laser", "host": "10.0.40.21"}, "printer.kind", "zpl"),
        ({"kind": "zpl", "host": "10.0.40.21", "colour": "red"}, "printer.colour", "no setting"),
        ("10.0.40.21", "printer", "object"),
    ],
)
def test_bad_printer_settings_are_refused_with_their_field_and_nothing_is_saved(
    setup_app: Flask, admin: Any, printer: Any, field: str, words: str
) -> None:
    ack = emit(admin, "save", {"station": "WEIGH-2", "changes": {"printer": printer}})
    assert ack["ok"] is False, ack
    assert ack["field"] == field and words in ack["message"], ack
    assert saved_rows(setup_app) == [] and setup_audits(setup_app) == []


@pytest.mark.parametrize(
    ("scale", "field", "words"),
    [
        ({"driver": "usb-magic"}, "scale.driver", "Unknown scale driver 'usb-magic'"),
        ({"driver": "serial", "protocol": "mt-sics"}, "scale.port", "required"),
        (
            {"driver": "serial", "port": "not a port", "protocol": "mt-sics"},
            "scale.port",
            "not a serial port",
        ),
        (
            {"driver": "serial", "port": "/dev/ttyUSB0", "protocol": "dibal"},
            "scale.protocol",
            "mt-sics",
        ),
        (
            {"driver": "serial", "port": "/dev/ttyUSB0", "protocol": "nci", "baudrate": 1234},
            "scale.baudrate",
            "9600",
        ),
        ({"driver": "hid", "path": "/etc/passwd"}, "scale.path", "hidraw"),
        ({"driver": "browser", "transport": "bluetooth"}, "scale.transport", "hid or serial"),
        ({"driver": "manual", "port": "/dev/ttyUSB0"}, "scale.port", "no setting"),
    ],
)
def test_bad_scale_settings_are_refused_with_their_field_and_nothing_is_saved(
    setup_app: Flask, admin: Any, scale: Any, field: str, words: str
) -> None:
    ack = emit(admin, "save", {"station": "WEIGH-2", "changes": {"scale": scale}})
    assert ack["ok"] is False, ack
    assert ack["field"] == field and words in ack["message"], ack
    assert saved_rows(setup_app) == []


def test_an_unknown_carrier_account_is_refused_naming_the_known_ones(
    setup_app: Flask, admin: Any
) -> None:
    ack = emit(admin, "save", {"station": "WEIGH-2", "changes": {"carrier_account": "UPS-123"}})
    assert ack["ok"] is False and ack["field"] == "carrier_account"
    assert "UPS-123" in ack["message"] and "DXP-MAIN" in ack["message"]
    assert saved_rows(setup_app) == []


def test_one_bad_field_saves_none_of_the_good_ones(setup_app: Flask, admin: Any) -> None:
    ack = emit(
        admin,
        "save",
        {
            "station": "WEIGH-2",
            "changes": {
                "printer": {"kind": "zpl", "host": "10.0.40.21", "port": 9100},
                "carrier_account": "DXP-MAIN",
                "scale": {
                    "driver": "serial",
                    "port": "/dev/ttyUSB0",
                    "protocol": "nci",
                    "baudrate": 7,
                },
            },
        },
    )
    assert ack["ok"] is False and ack["field"] == "scale.baudrate"
    assert saved_rows(setup_app) == [] and setup_audits(setup_app) == []


def test_stations_are_added_explicitly_with_a_checked_id(setup_app: Flask, admin: Any) -> None:
    unknown = emit(admin, "save", {"station": "PACK-7", "changes": {"carrier_account": "DXP-MAIN"}})
    assert unknown["ok"] is False and unknown["error"] == "not_found"
    bad = emit(admin, "save", {"station": "pack 7", "new": True, "changes": {"name": "Pack 7"}})
    assert bad["ok"] is False and bad["field"] == "station"
    twice = emit(admin, "save", {"station": "WEIGH-1", "new": True, "changes": {"name": "x"}})
    assert twice["ok"] is False and twice["error"] == "conflict"
    assert saved_rows(setup_app) == []

    added = emit(admin, "save", {"station": "PACK-7", "new": True, "changes": {"name": "Pack 7"}})
    assert added["ok"], added
    assert added["station"]["name"] == "Pack 7" and added["station"]["printer"] is None
    listed = [s["id"] for s in emit(admin, "stations", {})["stations"]]
    assert listed == ["PACK-7", "WEIGH-1", "WEIGH-2"]


# --- saved, audited, reset ----------------------------------------------------------------


def test_each_change_is_audited_with_what_it_was_and_what_it_became(
    setup_app: Flask, admin: Any
) -> None:
    first = {"kind": "zpl", "host": "10.0.40.21", "port": 9100, "dpi": 300}
    ack = emit(admin, "save", {"station": "WEIGH-2", "changes": {"printer": first}})
    assert ack["ok"], ack
    assert ack["station"]["printer"]["source"] == "saved"
    assert ack["station"]["printer"]["label"] == "ZPL 10.0.40.21:9100"
    ack = emit(
        admin,
        "save",
        {
            "station": "WEIGH-2",
            "changes": {"printer": {"kind": "pdf"}, "carrier_account": "PPL-MAIN"},
        },
    )
    assert ack["ok"], ack
    assert ack["station"]["carrier_account"]["name"] == "ParcelPal account"

    one, two = setup_audits(setup_app)
    assert one.actor == two.actor == "U0002"
    assert one.detail == {
        "station": "WEIGH-2",
        "new": False,
        "printer": {"from": None, "to": first},
    }
    assert two.detail == {
        "station": "WEIGH-2",
        "new": False,
        "printer": {"from": first, "to": {"kind": "pdf"}},
        "carrier_account": {"from": None, "to": "PPL-MAIN"},
    }

    reset = emit(admin, "remove", {"station": "WEIGH-2"})
    assert reset["ok"] and reset["gone"] is False
    assert "back to config/stations.toml" in reset["message"]
    view = next(s for s in emit(admin, "stations", {})["stations"] if s["id"] == "WEIGH-2")
    assert view["printer"] is None and view["carrier_account"] is None and not view["saved"]
    assert setup_audits(setup_app)[-1].action == "station_setup.reset"


# --- test print to the real TCP printer listener ------------------------------------------


def test_test_print_sends_a_small_label_to_the_printer_listening_on_loopback(
    setup_app: Flask, admin: Any
) -> None:
    with fake_printer() as printer:
        ack = emit(
            admin,
            "test_print",
            {
                "station": "WEIGH-2",
                "printer": {"kind": "zpl", "host": "127.0.0.1", "port": printer.port},
            },
        )
        assert ack["ok"], ack
        assert (
            ack["message"] == f"Test label sent to ZPL 127.0.0.1:{printer.port}. Check it printed."
        )
        (job,) = printer.wait_for(1)
    texts, barcodes = read(job)
    assert "Dockhand test print" in [t.text for t in texts]
    assert "Station WEIGH-2" in [t.text for t in texts]
    assert [b.scanned() for b in barcodes] == ["TEST-WEIGH-2"]
    # Tried before saving: nothing saved, the attempt audited.
    assert saved_rows(setup_app) == []
    (entry,) = setup_audits(setup_app)
    assert entry.action == "station_setup.test_print" and entry.detail["ok"] is True


def test_test_print_with_nothing_listening_says_the_printer_refused(
    setup_app: Flask, admin: Any
) -> None:
    port = closed_port()
    ack = emit(
        admin,
        "test_print",
        {"station": "WEIGH-2", "printer": {"kind": "zpl", "host": "127.0.0.1", "port": port}},
    )
    assert ack["ok"] is False and ack["field"] == "printer"
    assert ack["message"].startswith(f"Nothing is listening at 127.0.0.1:{port}")
    assert "9100" in ack["message"]
    assert setup_audits(setup_app)[-1].detail["ok"] is False


def test_test_print_to_a_printer_that_never_answers_says_it_timed_out(
    setup_app: Flask, admin: Any
) -> None:
    # A listener that never accepts, its one-connection queue already full: the kernel
    # drops the next SYN, exactly as a printer on a dead network segment looks.
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(0)
    port = server.getsockname()[1]
    fillers = []
    try:
        for _ in range(3):
            filler = socket.socket()
            filler.setblocking(False)
            filler.connect_ex(("127.0.0.1", port))
            fillers.append(filler)
        time.sleep(0.2)
        started = time.monotonic()
        ack = emit(
            admin,
            "test_print",
            {
                "station": "WEIGH-2",
                "printer": {"kind": "zpl", "host": "127.0.0.1", "port": port, "timeout_s": 1},
            },
        )
        elapsed = time.monotonic() - started
    finally:
        for filler in fillers:
            filler.close()
        server.close()
    assert ack["ok"] is False, ack
    assert ack["message"].startswith(f"No answer from 127.0.0.1:{port} within 1 s"), ack
    assert 0.8 < elapsed < 5


def test_test_print_of_a_browser_station_opens_a_pdf_label(setup_app: Flask, admin: Any) -> None:
    ack = emit(admin, "test_print", {"station": "WEIGH-1", "printer": {"kind": "pdf"}})
    assert ack["ok"] and ack["url"] == "/setup/test-label/WEIGH-1.pdf"
    pdf = setup_app.test_client().get(ack["url"])
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    nothing = emit(admin, "test_print", {"station": "WEIGH-1"})
    assert nothing["ok"] is False and nothing["field"] == "printer"


def test_the_ship_station_prints_on_the_saved_printer_without_a_restart(
    setup_app: Flask, admin: Any
) -> None:
    use_clock(setup_app, now_utc(10))
    carton = weighed_carton(setup_app)
    shipper = socket_client(setup_app, "/ship", "U0060")
    with fake_printer() as printer:
        added = emit(
            admin,
            "save",
            {
                "station": "ship-7",
                "new": True,
                "changes": {
                    "name": "Ship 7",
                    "printer": {
                        "kind": "zpl",
                        "host": "127.0.0.1",
                        "port": printer.port,
                        "name": "Bench 7",
                    },
                },
            },
        )
        assert added["ok"], added
        ack = shipper.emit(
            "ship",
            {"carton": carton["code"], "station": "ship-7"},
            namespace="/ship",
            callback=True,
        )
        assert ack["ok"], ack
        assert ack["print"]["printed"] is True and ack["print"]["printer"] == "Bench 7"
        (job,) = printer.wait_for(1)
    _, barcodes = read(job)
    assert ack["carton"]["tracking_number"] in [b.scanned() for b in barcodes]


def test_another_worker_sees_a_saved_printer_within_the_cache_time(
    setup_app: Flask, admin: Any, sqlite_url: str
) -> None:
    # Another worker process: its own engine on the same database, its own cache.
    engine = make_engine(sqlite_url)
    other = StationSetup(SessionFactory(engine), station_setup(setup_app).setup.base, ttl_s=1.0)
    try:
        assert other.printer("WEIGH-1") is None
        ack = emit(
            admin,
            "save",
            {"station": "WEIGH-1", "changes": {"printer": {"kind": "zpl", "host": "10.0.40.9"}}},
        )
        assert ack["ok"], ack
        deadline = time.monotonic() + 5
        while (found := other.printer("WEIGH-1")) is None:
            assert time.monotonic() < deadline, "the other worker never saw the printer"
            time.sleep(0.1)
        assert (found.host, found.port, found.kind) == ("10.0.40.9", 9100, "zpl")
        # and this worker's ship station uses it at once
        mine = container(setup_app).ship.printer("WEIGH-1")
        assert mine is not None and mine.host == "10.0.40.9"
    finally:
        engine.dispose()


# --- the live scale on a virtual serial port ----------------------------------------------


def test_a_scale_on_a_serial_port_reads_live_on_the_page_and_at_the_weigh_station(
    setup_app: Flask, admin: Any, tmp_path: Path
) -> None:
    weigher = socket_client(setup_app, "/weigh", "U0041")
    joined = weigher.emit("join", {"station": "WEIGH-2"}, namespace="/weigh", callback=True)
    assert joined["ok"] and joined["station"]["driver"] == "simulated"
    with socat_pair(tmp_path) as pair, MtSicsScale(pair.scale, grams=1234) as device:
        scale = {
            "driver": "serial",
            "port": pair.host,
            "protocol": "mt-sics",
            "baudrate": 9600,
            "timeout_s": 0.3,
            "poll_s": 0.05,
        }
        ack = emit(admin, "save", {"station": "WEIGH-2", "changes": {"scale": scale}})
        assert ack["ok"], ack
        assert ack["station"]["scale"] == {**scale, "source": "saved"}

        watched = emit(admin, "watch_scale", {"station": "WEIGH-2"})
        assert watched["ok"] and watched["station"]["driver"] == "serial"
        deadline = time.monotonic() + 5
        live: dict[str, Any] | None = None
        while time.monotonic() < deadline:
            live = emit(admin, "scale_reading", {"station": "WEIGH-2"})["live"]
            if live and live["weight_g"] == 1234 and live["stable"]:
                break
            time.sleep(0.05)
        assert live and live["weight_g"] == 1234 and live["stable"], live
        assert b"SI" in device.commands

        # The weigh page that was open on the simulated scale now reads the serial one.
        pushed = wait_for_reading(weigher, lambda r: r["weight_g"] == 1234)
        assert pushed["station"] == "WEIGH-2"
        assert emit(admin, "unwatch_scale", {})["ok"]


def test_a_new_weigh_station_opens_at_once_and_goes_when_forgotten(
    setup_app: Flask, admin: Any
) -> None:
    client = setup_app.test_client()
    assert client.get("/weigh/BENCH-5").status_code == 404
    ack = emit(
        admin,
        "save",
        {
            "station": "BENCH-5",
            "new": True,
            "changes": {"name": "Bench 5", "scale": {"driver": "simulated", "poll_s": 0.05}},
        },
    )
    assert ack["ok"], ack
    page = client.get("/weigh/BENCH-5")
    assert page.status_code == 200 and b"Bench 5" in page.data
    weigher = socket_client(setup_app, "/weigh", "U0041")
    joined = weigher.emit("join", {"station": "BENCH-5"}, namespace="/weigh", callback=True)
    assert joined["ok"] and joined["station"]["simulated"] is True
    gone = emit(admin, "remove", {"station": "BENCH-5"})
    assert gone["ok"] and gone["gone"] is True and gone["message"] == "Station BENCH-5 removed."
    assert client.get("/weigh/BENCH-5").status_code == 404


def test_watching_a_station_without_a_scale_says_so(setup_app: Flask, admin: Any) -> None:
    emit(admin, "save", {"station": "PACK-2", "new": True, "changes": {"name": "Pack 2"}})
    ack = emit(admin, "watch_scale", {"station": "PACK-2"})
    assert ack["ok"] is False and ack["error"] == "not_found" and "PACK-2" in ack["message"]


# --- camera test decode -------------------------------------------------------------------


def _png(array: Any) -> bytes:
    out = io.BytesIO()
    Image.fromarray(array).save(out, format="PNG")
    return out.getvalue()


def test_a_camera_frame_is_decoded_by_the_server_decoder(admin: Any) -> None:
    symbol = zxingcpp.create_barcode("TOTE-T0042", zxingcpp.BarcodeFormat.QRCode)
    frame = np.full((480, 640), 255, dtype=np.uint8)
    qr = np.array(zxingcpp.write_barcode_to_image(symbol, scale=8))
    frame[100 : 100 + qr.shape[0], 200 : 200 + qr.shape[1]] = qr
    ack = emit(admin, "test_decode", {"image": _png(frame)})
    assert ack["ok"], ack
    assert ack["codes"][0] == {"text": "TOTE-T0042", "format": "qrcode"}
    assert "TOTE-T0042" in ack["message"]

    blank = emit(admin, "test_decode", {"image": _png(np.full((480, 640), 255, dtype=np.uint8))})
    assert blank["ok"] is False and blank["error"] == "no_code"
    junk = emit(admin, "test_decode", {"image": b"not an image"})
    assert junk["ok"] is False and junk["field"] == "image"


def test_the_chosen_camera_is_saved(setup_app: Flask, admin: Any) -> None:
    camera = {"label": "USB2.0 HD UVC WebCam", "device_id": "4f1c0a"}
    ack = emit(admin, "save", {"station": "WEIGH-1", "changes": {"camera": camera}})
    assert ack["ok"] and ack["station"]["camera"] == {**camera, "source": "saved"}
    empty = emit(admin, "save", {"station": "WEIGH-1", "changes": {"camera": {}}})
    assert empty["ok"] is False and empty["field"] == "camera"


# --- DataWedge downloads ------------------------------------------------------------------


def test_the_datawedge_profile_downloads_from_the_page_and_the_command(
    setup_app: Flask, tmp_path: Path
) -> None:
    client = setup_app.test_client()
    pdf = client.get("/setup/datawedge.pdf?url=https://dockhand.example")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert client.get("/setup/datawedge.pdf?url=javascript:alert(1)").status_code == 400
    profile = client.get("/setup/datawedge.json")
    assert profile.status_code == 200 and profile.get_json() == set_config()
    page = client.get("/setup")
    assert page.status_code == 200
    assert b"/setup/datawedge.pdf" in page.data and b"/labels#form-badges" in page.data

    out = tmp_path / "sheet.pdf"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "app.cli",
            "setup",
            "datawedge",
            "--out",
            str(out),
            "--url",
            "https://dockhand.example",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert out.read_bytes() == pdf.data  # the same sheet, deterministic
    with uow_of(setup_app)() as tx:
        assert tx.session.scalar(select(func.count()).select_from(StationDevice)) == 0
