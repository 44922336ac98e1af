"""Printing at the ship station: the label goes as ZPL to a real TCP listener on 127.0.0.1
standing in for the station's network printer (port 9100 protocol: raw bytes), is read back
and checked; ~HS is answered by the listener and shown; a dead printer does not lose the
label; every print and reprint is logged."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import biip
from flask import Flask
from sqlalchemy import select

from app.adapters.db.models_ship import LabelPrint
from app.adapters.printers import (
    PrinterError,
    StationPrinter,
    host_status,
    load_station_printers,
    parse_host_status,
    send_zpl,
)
from tests.support.shipping import (
    HS_PAPER_OUT_HEAD_UP,
    HS_READY,
    fake_printer,
    now_utc,
    use_clock,
    use_printer,
    weighed_carton,
)
from tests.support.warehouse import socket_client, uow_of
from tests.support.zpl_reader import commands, read


def emit(client: Any, event: str, payload: dict[str, Any]) -> dict[str, Any]:
    ack: dict[str, Any] = client.emit(event, payload, namespace="/ship", callback=True)
    return ack


def prints(app: Flask) -> list[tuple[str, bool, bool, str | None]]:
    with uow_of(app)() as tx:
        return [
            (p.format, p.reprint, p.ok, p.station)
            for p in tx.session.scalars(select(LabelPrint).order_by(LabelPrint.id))
        ]


def test_shipping_sends_one_zpl_label_whose_barcodes_read_back(app: Flask) -> None:
    use_clock(app, now_utc(10))
    carton = weighed_carton(app)
    shipper = socket_client(app, "/ship", "U0060")
    with fake_printer() as printer:
        use_printer(app, "ship-1", printer.printer())
        ack = emit(shipper, "ship", {"carton": carton["code"], "station": "ship-1"})

        assert ack["ok"], ack
        assert ack["print"] == {
            "format": "zpl",
            "label_url": f"/ship/label/{carton['code']}.pdf",
            "printed": True,
            "error": None,
            "printer": "Zebra test",
        }
        assert "printed on Zebra test" in ack["message"]
        (job,) = printer.wait_for(1)
    names = [c[:3] for c in commands(job.decode())]
    assert names[0] == "^XA" and names[-1] == "^XZ" and names.count("^XA") == 1
    texts, barcodes = read(job)
    tracking = ack["carton"]["tracking_number"]
    scanned = [b.scanned() for b in barcodes]
    assert tracking in scanned and carton["code"] in scanned
    gs1 = [b.scanned() for b in barcodes if b.is_gs1]
    parsed = biip.parse(gs1[0])
    assert parsed.gs1_message is not None
    assert parsed.gs1_message.element_strings[0].value == "826SW1Y4JH"  # Ada's London postcode
    assert "Ada Lovelace" in [t.text for t in texts]
    assert prints(app) == [("zpl", False, True, "ship-1")]


def test_reprint_sends_the_same_label_again_and_is_logged_as_a_reprint(app: Flask) -> None:
    use_clock(app, now_utc(10))
    carton = weighed_carton(app)
    shipper = socket_client(app, "/ship", "U0060")
    with fake_printer() as printer:
        use_printer(app, "ship-1", printer.printer())
        emit(shipper, "ship", {"carton": carton["code"], "station": "ship-1"})
        again = emit(shipper, "reprint", {"carton": carton["code"], "station": "ship-1"})
        retry = emit(shipper, "ship", {"carton": carton["code"], "station": "ship-1"})

        assert again["ok"] and retry["ok"] and retry["carton"]["reprint"]
        jobs = printer.wait_for(3)
        assert len(jobs) == 3
        assert jobs[0] == jobs[1] == jobs[2]
    assert prints(app) == [
        ("zpl", False, True, "ship-1"),
        ("zpl", True, True, "ship-1"),
        ("zpl", True, True, "ship-1"),
    ]


def test_a_dead_printer_keeps_the_label_and_offers_the_pdf(app: Flask) -> None:
    use_clock(app, now_utc(10))
    carton = weighed_carton(app)
    shipper = socket_client(app, "/ship", "U0060")
    with fake_printer() as printer:
        dead = printer.printer()
    use_printer(app, "ship-1", dead)  # its port is closed now

    ack = emit(shipper, "ship", {"carton": carton["code"], "station": "ship-1"})

    assert ack["ok"] and ack["carton"]["tracking_number"]
    assert not ack["print"]["printed"] and "did not take the label" in ack["print"]["error"]
    assert "Open the PDF" in ack["message"]
    assert prints(app) == [("zpl", False, False, "ship-1")]
    pdf = app.test_client().get(ack["label_url"])
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")


def test_a_station_without_a_printer_prints_through_the_browser(app: Flask) -> None:
    use_clock(app, now_utc(10))
    carton = weighed_carton(app)
    shipper = socket_client(app, "/ship", "U0060")
    ack = emit(shipper, "ship", {"carton": carton["code"], "station": "ship-9"})
    assert ack["print"]["format"] == "pdf" and not ack["print"]["printed"]
    assert prints(app) == [("pdf", False, True, "ship-9")]
    zpl = app.test_client().get(f"/ship/label/{carton['code']}.zpl")
    assert zpl.status_code == 200 and zpl.data.startswith(b"^XA")


def test_printer_status_shows_what_the_printer_answers_to_hs(app: Flask) -> None:
    shipper = socket_client(app, "/ship", "U0060")
    with fake_printer() as printer:
        use_printer(app, "ship-1", printer.printer())
        ready = emit(shipper, "printer_status", {"station": "ship-1"})["printer"]
        printer.status = HS_PAPER_OUT_HEAD_UP
        trouble = emit(shipper, "printer_status", {"station": "ship-1"})["printer"]
        printer.status = None  # media out on new firmware: no answer at all
        silent = emit(shipper, "printer_status", {"station": "ship-1"})["printer"]

    assert ready["ready"] and ready["message"] == "Ready." and ready["printer"] == "Zebra test"
    assert not trouble["ready"]
    assert trouble["problems"] == ["out of labels", "print head open"]
    assert trouble["formats_in_buffer"] == 2
    assert not silent["ready"] and "did not answer" in silent["message"]
    browser = emit(shipper, "printer_status", {"station": ""})["printer"]
    assert browser["kind"] == "pdf" and browser["ready"]


def test_host_status_parser_reads_every_flag_of_the_three_strings() -> None:
    status = parse_host_status(HS_READY)
    assert status.ready and status.label_length_dots == 1218 and status.labels_remaining == 0
    assert status.raw[2] == "1234,0"
    bad = parse_host_status(
        b"\x02030,1,1,1218,000,1,0,0,000,1,1,1\x03\r\n\x02001,0,1,1,1,2,6,0,00000007,1,000\x03\r\n"
    )
    assert bad.problems == [
        "out of labels",
        "print head open",
        "ribbon out",
        "paused (press the pause key)",
        "receive buffer full",
        "print head too hot",
        "print head too cold",
        "configuration lost",
    ]
    assert bad.labels_remaining == 7


def test_send_and_status_raise_a_printer_error_when_nothing_listens() -> None:
    with fake_printer() as printer:
        gone = printer.printer(timeout_s=0.5)
    for call in (lambda: send_zpl(gone, b"^XA^XZ"), lambda: host_status(gone)):
        try:
            call()
        except PrinterError as exc:
            assert "Zebra test" in str(exc)
        else:
            raise AssertionError("no PrinterError")


def test_printer_tables_are_read_from_stations_toml_beside_other_station_settings(
    tmp_path: Path,
) -> None:
    path = tmp_path / "stations.toml"
    path.write_text(
        "[stations.weigh-1.scale]\nkind = 'simulated'\n\n"
        "[stations.ship-1.printer]\nkind = 'zpl'\nhost = '10.0.40.21'\ndpi = 300\n\n"
        "[stations.ship-2.printer]\nkind = 'pdf'\n"
    )
    printers = load_station_printers(path)
    assert printers == {
        "ship-1": StationPrinter("ship-1", "zpl", "10.0.40.21", 9100, 300, 3.0, ""),
        "ship-2": StationPrinter("ship-2", "pdf", "", 9100, 203, 3.0, ""),
    }
    assert load_station_printers(tmp_path / "missing.toml") == {}
