"""Label printers: raw ZPL to a network printer on TCP 9100, and its ``~HS`` host status.

PDF labels go to the browser (the station page opens ``/ship/label/<carton>.pdf``); a station
with a thermal printer has it in config/stations.toml::

    [stations.ship-1.printer]
    kind = "zpl"          # or "pdf": the browser prints
    host = "10.0.40.21"
    port = 9100
    dpi = 203
    timeout_s = 3.0

Port 9100 ("raw", JetDirect) takes the bytes as they are: no spooler, no driver. ``~HS``
answers three STX...ETX CR LF strings (ZPL II manual, ~HS); newer firmware sends nothing
while the media or ribbon is out or the head is open, which we report as "no answer".
"""

from __future__ import annotations

import socket
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

STX, ETX = b"\x02", b"\x03"


class PrinterError(Exception):
    """The printer could not be reached or did not answer; the message is for the shipper."""


@dataclass(frozen=True)
class StationPrinter:
    station: str
    kind: str = "pdf"  # "zpl": raw ZPL to host:port; "pdf": the browser prints
    host: str = ""
    port: int = 9100
    dpi: int = 203
    timeout_s: float = 3.0
    name: str = ""

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}" if self.kind == "zpl" else "browser"

    @property
    def label(self) -> str:
        return self.name or (f"ZPL {self.address}" if self.kind == "zpl" else "Browser (PDF)")


def load_station_printers(path: Path) -> dict[str, StationPrinter]:
    """``[stations.<id>.printer]`` tables of config/stations.toml (other keys are ignored:
    the file also configures the weigh stations' scales). A missing file means none."""
    if not path.exists():
        return {}
    with path.open("rb") as fh:
        data: dict[str, Any] = tomllib.load(fh)
    printers: dict[str, StationPrinter] = {}
    for station, table in (data.get("stations") or {}).items():
        cfg = table.get("printer") if isinstance(table, dict) else None
        if not cfg:
            continue
        kind = str(cfg.get("kind", "zpl")).lower()
        if kind not in {"zpl", "pdf"}:
            raise ValueError(f"{path}: stations.{station}.printer.kind must be zpl or pdf")
        if kind == "zpl" and not cfg.get("host"):
            raise ValueError(f"{path}: stations.{station}.printer needs a host for ZPL")
        dpi = int(cfg.get("dpi", 203))
        if dpi not in (203, 300, 600):
            raise ValueError(f"{path}: stations.{station}.printer.dpi must be 203, 300 or 600")
        printers[station] = StationPrinter(
            station=station,
            kind=kind,
            host=str(cfg.get("host", "")),
            port=int(cfg.get("port", 9100)),
            dpi=dpi,
            timeout_s=float(cfg.get("timeout_s", 3.0)),
            name=str(cfg.get("name", "")),
        )
    return printers


def send_zpl(printer: StationPrinter, data: bytes) -> None:
    """Write ``data`` to the printer's raw port and close. Raises :class:`PrinterError`."""
    try:
        with socket.create_connection((printer.host, printer.port), printer.timeout_s) as sock:
            sock.settimeout(printer.timeout_s)
            sock.sendall(data)
            sock.shutdown(socket.SHUT_WR)
    except OSError as exc:
        raise PrinterError(
            f"Printer {printer.label} did not take the label ({exc.__class__.__name__}: {exc})."
        ) from exc


@dataclass(frozen=True)
class HostStatus:
    """The fields of ``~HS`` a shipper can act on."""

    paper_out: bool
    paused: bool
    label_length_dots: int
    formats_in_buffer: int
    buffer_full: bool
    corrupt_ram: bool
    under_temperature: bool
    over_temperature: bool
    head_up: bool
    ribbon_out: bool
    thermal_transfer: bool
    labels_remaining: int
    raw: tuple[str, ...] = field(default_factory=tuple)

    @property
    def problems(self) -> list[str]:
        found = []
        if self.paper_out:
            found.append("out of labels")
        if self.head_up:
            found.append("print head open")
        if self.ribbon_out and self.thermal_transfer:
            found.append("ribbon out")
        if self.paused:
            found.append("paused (press the pause key)")
        if self.buffer_full:
            found.append("receive buffer full")
        if self.over_temperature:
            found.append("print head too hot")
        if self.under_temperature:
            found.append("print head too cold")
        if self.corrupt_ram:
            found.append("configuration lost")
        return found

    @property
    def ready(self) -> bool:
        return not self.problems


def parse_host_status(raw: bytes) -> HostStatus:
    """Parse the three ``<STX>...<ETX><CR><LF>`` strings of a ``~HS`` answer.

    String 1: ``aaa,b,c,dddd,eee,f,g,h,iii,j,k,l`` (interface, paper out, pause, label length,
    formats in buffer, buffer full, diagnostic mode, partial format, unused, corrupt RAM,
    under temperature, over temperature). String 2: ``mmm,n,o,p,q,r,s,t,uuuuuuuu,v,www``
    (function settings, unused, head up, ribbon out, thermal transfer, print mode, width
    mode, label waiting, labels remaining, format while printing, graphics). String 3:
    ``xxxx,y`` (password, static RAM). Raises ``ValueError`` for anything else."""
    strings: list[str] = []
    rest = raw
    while STX in rest:
        start = rest.index(STX) + 1
        end = rest.find(ETX, start)
        if end < 0:
            break
        strings.append(rest[start:end].decode("ascii", "replace"))
        rest = rest[end + 1 :]
    if len(strings) < 2:
        raise ValueError(f"not a ~HS answer: {raw[:80]!r}")
    one = strings[0].split(",")
    two = strings[1].split(",")
    if len(one) < 12 or len(two) < 9:
        raise ValueError(f"~HS strings too short: {strings[:2]!r}")

    def flag(value: str) -> bool:
        return value.strip() == "1"

    return HostStatus(
        paper_out=flag(one[1]),
        paused=flag(one[2]),
        label_length_dots=int(one[3]),
        formats_in_buffer=int(one[4]),
        buffer_full=flag(one[5]),
        corrupt_ram=flag(one[9]),
        under_temperature=flag(one[10]),
        over_temperature=flag(one[11]),
        head_up=flag(two[2]),
        ribbon_out=flag(two[3]),
        thermal_transfer=flag(two[4]),
        labels_remaining=int(two[8]),
        raw=tuple(strings),
    )


def host_status(printer: StationPrinter) -> HostStatus:
    """Ask the printer ``~HS`` and parse its answer. Raises :class:`PrinterError`."""
    buffer = b""
    try:
        with socket.create_connection((printer.host, printer.port), printer.timeout_s) as sock:
            sock.settimeout(printer.timeout_s)
            sock.sendall(b"~HS")
            while buffer.count(ETX) < 3:
                chunk = sock.recv(1024)
                if not chunk:
                    break
                buffer += chunk
    except TimeoutError as exc:
        if buffer.count(ETX) >= 2:
            return parse_host_status(buffer)
        raise PrinterError(
            f"Printer {printer.label} did not answer: check labels, ribbon, head and power."
        ) from exc
    except OSError as exc:
        raise PrinterError(
            f"Printer {printer.label} is not reachable ({exc.__class__.__name__}: {exc})."
        ) from exc
    try:
        return parse_host_status(buffer)
    except ValueError as exc:
        raise PrinterError(f"Printer {printer.label} answered something unexpected.") from exc
