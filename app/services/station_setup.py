"""Station set-up from the browser: which printer, scale, camera and carrier account each
station uses, saved in ``station_devices`` over what config/stations.toml says.

A saved device wins; a device never saved (or reset) is the file's. Stations pick changes up
without a restart: the ship station asks :meth:`StationSetup.printer` for every label (wired
as ``ShipContext.resolve_printer``) and :meth:`StationSetup.account` whenever it rates or buys
one (``ShipContext.resolve_account``), the pick and pack pages ask for the saved camera
(:meth:`StationSetup.camera`) when a worker signs in, and the scale hub calls
:meth:`StationSetup.sync_hub` before it resolves a weigh station (``ScaleHub.before_resolve``).
Each process keeps the saved rows for ``ttl_s`` seconds, so another worker sees a change
within that time; the process that saved it sees it at once.

Every save, reset and test print is an ``audit_log`` row (who, which station, before/after).
"""

from __future__ import annotations

import dataclasses
import logging
import socket
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from app.adapters import printers as printer_io
from app.adapters.db.models_setup import StationDevice
from app.adapters.db.uow import SessionFactory
from app.adapters.printers import StationPrinter
from app.adapters.setup_config import CarrierAccount
from app.adapters.station_config import (
    StationConfigError,
    WeighConfig,
    WeighStation,
    parse_station_config,
)
from app.domain import station_setup as rules
from app.domain.scale_protocols import PROTOCOLS
from app.domain.station_setup import SetupInvalid
from app.domain.text import msg
from app.domain.weighing import Tolerance
from app.services.auth import audit
from app.services.clock import Clock
from app.services.errors import Conflict, NotFound, ServiceError
from labels.station_test_label import PrinterTestLabel, render_test_label_zpl

log = logging.getLogger(__name__)

DEVICES = ("printer", "scale", "camera", "carrier_account")


@dataclass(frozen=True)
class SetupBase:
    """What the config files say, read once at start-up."""

    tables: Mapping[str, Mapping[str, Any]]  # raw [stations.<id>] tables of stations.toml
    weigh: WeighConfig  # the weigh stations stations.toml configures
    printers: Mapping[str, StationPrinter]  # [stations.<id>.printer] tables
    accounts: tuple[CarrierAccount, ...]
    tolerance: Tolerance

    def account(self, code: str | None) -> CarrierAccount | None:
        return next((a for a in self.accounts if a.code == code), None) if code else None


@dataclass(frozen=True)
class Saved:
    """One ``station_devices`` row, detached from its session."""

    station: str
    name: str | None
    printer: dict[str, Any] | None
    scale: dict[str, Any] | None
    camera: dict[str, Any] | None
    carrier_account: str | None
    updated_by: str
    updated_at: datetime

    def device(self, name: str) -> Any:
        return getattr(self, name)


def _saved(row: StationDevice) -> Saved:
    return Saved(
        row.station,
        row.name,
        dict(row.printer) if row.printer else None,
        dict(row.scale) if row.scale else None,
        dict(row.camera) if row.camera else None,
        row.carrier_account,
        row.updated_by,
        row.updated_at,
    )


def printer_of(station: str, settings: Mapping[str, Any]) -> StationPrinter:
    return StationPrinter(
        station=station,
        kind=str(settings.get("kind", "pdf")),
        host=str(settings.get("host", "")),
        port=int(settings.get("port", 9100)),
        dpi=int(settings.get("dpi", 203)),
        timeout_s=float(settings.get("timeout_s", 3.0)),
        name=str(settings.get("name", "")),
    )


def printer_json(printer: StationPrinter) -> dict[str, Any]:
    out: dict[str, Any] = {"kind": printer.kind, "label": printer.label}
    if printer.name:
        out["name"] = printer.name
    if printer.kind == "zpl":
        out.update(
            host=printer.host, port=printer.port, dpi=printer.dpi, timeout_s=printer.timeout_s
        )
    return out


class StationSetup:
    def __init__(
        self,
        uow: SessionFactory,
        base: SetupBase,
        ttl_s: float = 2.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.uow = uow
        self.base = base
        self.ttl_s = ttl_s
        self._now = monotonic
        self._lock = threading.Lock()
        self._rows: dict[str, Saved] | None = None
        self._loaded_at = 0.0
        self._version = 0
        self._hub_version = -1
        self._syncing = threading.Lock()

    # -- the saved rows, cached per process ----------------------------------------------

    def saved(self) -> dict[str, Saved]:
        now = self._now()
        with self._lock:
            if self._rows is not None and now - self._loaded_at < self.ttl_s:
                return self._rows
        try:
            with self.uow() as tx:
                rows = {r.station: _saved(r) for r in tx.session.scalars(select(StationDevice))}
        except SQLAlchemyError:
            # No table yet (database not upgraded) or the database is away: the files rule.
            log.warning("station set-up: saved devices unavailable", exc_info=True)
            rows = dict(self._rows or {})
        with self._lock:
            if rows != self._rows:
                self._rows = rows
                self._version += 1
            self._loaded_at = now
            return self._rows

    def invalidate(self) -> None:
        with self._lock:
            self._loaded_at = -1e18

    # -- what each station uses -----------------------------------------------------------

    def station_ids(self) -> list[str]:
        return sorted(set(self.base.tables) | set(self.base.weigh.stations) | set(self.saved()))

    def printer(self, station: str) -> StationPrinter | None:
        """The printer saved for ``station`` (None: whatever stations.toml says)."""
        row = self.saved().get(station)
        return printer_of(station, row.printer) if row and row.printer else None

    def account(self, station: str) -> CarrierAccount | None:
        """The carrier account saved for ``station`` (None: it ships with every carrier). A
        saved code no longer in carriers.toml counts as none."""
        row = self.saved().get(station)
        return self.base.account(row.carrier_account) if row else None

    def camera(self, station: str) -> dict[str, Any] | None:
        """The browser camera saved for ``station``: ``{"label", "device_id"}``, or None."""
        row = self.saved().get(station)
        return dict(row.camera) if row and row.camera else None

    def effective_printer(self, station: str) -> StationPrinter | None:
        return self.printer(station) or self.base.printers.get(station)

    def _weigh_station(
        self, station: str, name: str | None, scale: Mapping[str, Any]
    ) -> WeighStation:
        table = self.base.tables.get(station, {})
        raw: dict[str, Any] = {"name": name or table.get("name") or station, "scale": dict(scale)}
        if "manual_entry_roles" in table:
            raw["manual_entry_roles"] = table["manual_entry_roles"]
        cfg = parse_station_config(
            {"weigh": {"default_station": station}, "stations": {station: raw}}, self.base.tolerance
        )
        return cfg.stations[station]

    def weigh_stations(self) -> dict[str, WeighStation]:
        out = dict(self.base.weigh.stations)
        for sid, row in self.saved().items():
            if row.scale is not None:
                try:
                    out[sid] = self._weigh_station(sid, row.name, row.scale)
                except StationConfigError:
                    log.exception("station set-up: the saved scale of %s is not usable", sid)
            elif row.name and sid in out:
                out[sid] = dataclasses.replace(out[sid], name=row.name)
        return out

    def sync_hub(self, hub: Any) -> None:
        """Give the scale hub the scales as saved now (only what changed is restarted)."""
        if not self._syncing.acquire(blocking=False):
            return  # re-entered from the hub while reconfiguring: nothing more to do
        try:
            self.saved()
            with self._lock:
                version = self._version
            if version == self._hub_version:
                return
            wanted = self.weigh_stations()
            current = dict(hub.config.stations)
            for sid in sorted(set(wanted) | set(current)):
                if wanted.get(sid) != current.get(sid):
                    hub.reconfigure(sid, wanted.get(sid))
            self._hub_version = version
        finally:
            self._syncing.release()

    # -- pages ----------------------------------------------------------------------------

    def view(self, station: str) -> dict[str, Any]:
        row = self.saved().get(station)
        table = self.base.tables.get(station, {})
        weigh = self.weigh_stations().get(station)
        name = (
            (row.name if row else None) or table.get("name") or (weigh.name if weigh else station)
        )
        out: dict[str, Any] = {
            "id": station,
            "name": name,
            "saved": row is not None,
            "updated_by": row.updated_by if row else None,
            "updated_at": row.updated_at.isoformat() if row else None,
        }
        printer = self.effective_printer(station)
        out["printer"] = (
            {
                **printer_json(printer),
                "source": "saved" if self.printer(station) else "stations.toml",
            }
            if printer
            else None
        )
        if row and row.scale:
            out["scale"] = {**row.scale, "source": "saved"}
        elif station in self.base.weigh.stations:
            base = self.base.weigh.stations[station]
            out["scale"] = {**dict(base.scale), "poll_s": base.poll_s, "source": "stations.toml"}
        else:
            out["scale"] = None
        out["camera"] = {**row.camera, "source": "saved"} if row and row.camera else None
        account = self.base.account(row.carrier_account if row else None)
        out["carrier_account"] = {**account.to_json(), "source": "saved"} if account else None
        return out

    def options(self) -> dict[str, Any]:
        return {
            "printer_kinds": list(rules.PRINTER_KINDS),
            "dpis": list(rules.PRINTER_DPIS),
            "drivers": list(rules.SCALE_DRIVERS),
            "protocols": list(PROTOCOLS),
            "baudrates": list(rules.BAUDRATES),
            "units": list(rules.SCALE_UNITS),
            "accounts": [a.to_json() for a in self.base.accounts],
        }


def _invalid(exc: SetupInvalid) -> ServiceError:
    return ServiceError(exc.message, exc.field)


def overview(setup: StationSetup) -> dict[str, Any]:
    return {
        "stations": [setup.view(sid) for sid in setup.station_ids()],
        "options": setup.options(),
    }


def _parse_changes(
    setup: StationSetup, station: str, changes: Mapping[str, Any], name: str | None
) -> dict[str, Any]:
    """Every change checked before anything is written: one bad field saves nothing."""
    parsed: dict[str, Any] = {}
    try:
        for device in DEVICES:
            if device not in changes:
                continue
            value = changes[device]
            if value is None or value == "":
                parsed[device] = None  # back to stations.toml
            elif device == "printer":
                parsed[device] = rules.parse_printer(value)
            elif device == "scale":
                scale = rules.parse_scale(value)
                try:
                    setup._weigh_station(station, name, scale)
                except StationConfigError as exc:
                    raise SetupInvalid("scale", str(exc)) from None
                parsed[device] = scale
            elif device == "camera":
                parsed[device] = rules.parse_camera(value)
            else:
                parsed[device] = rules.parse_carrier_account(
                    value, [a.code for a in setup.base.accounts]
                )
    except SetupInvalid as exc:
        raise _invalid(exc) from None
    return parsed


def save(
    setup: StationSetup,
    station: Any,
    changes: Mapping[str, Any],
    actor: str,
    clock: Clock,
    *,
    new: bool = False,
) -> dict[str, Any]:
    """Save some of a station's devices (a key present with None resets it to the file's).
    ``new`` adds a station the files do not know."""
    try:
        sid = rules.parse_station_id(station)
        name = rules.parse_station_name(changes.get("name")) if "name" in changes else None
    except SetupInvalid as exc:
        raise _invalid(exc) from None
    unknown = sorted(set(changes) - {*DEVICES, "name"})
    if unknown:
        raise ServiceError(
            msg("Nothing called '%(name)s' can be set for a station.", name=unknown[0]), unknown[0]
        )
    known = sid in setup.station_ids()
    if new and known:
        raise Conflict(
            msg("Station %(station)s already exists: choose it in the list.", station=sid),
            "station",
        )
    if not new and not known:
        raise NotFound(
            msg("Station %(station)s is not set up: add it first.", station=sid), "station"
        )
    parsed = _parse_changes(setup, sid, changes, name)
    with setup.uow() as tx:
        s = tx.session
        row = s.get(StationDevice, sid)
        before = _saved(row) if row is not None else None
        if row is None:
            row = StationDevice(station=sid, updated_by=actor, updated_at=clock())
            s.add(row)
        if "name" in changes:
            row.name = name
        for device, value in parsed.items():
            setattr(row, device, value)
        row.updated_by, row.updated_at = actor, clock()
        detail: dict[str, Any] = {"station": sid, "new": new}
        for key in ("name", *parsed):
            old = before.device(key) if before else None
            now = name if key == "name" else parsed[key]
            if old != now:
                detail[key] = {"from": old, "to": now}
        audit(s, actor, "station_setup.save", detail)
        tx.commit()
    setup.invalidate()
    return setup.view(sid)


def remove(setup: StationSetup, station: Any, actor: str) -> dict[str, Any]:
    """Forget what was saved for a station: it is as stations.toml says again (a station
    only saved here disappears)."""
    try:
        sid = rules.parse_station_id(station)
    except SetupInvalid as exc:
        raise _invalid(exc) from None
    with setup.uow() as tx:
        row = tx.session.get(StationDevice, sid)
        if row is None:
            raise NotFound(msg("Nothing is saved for station %(station)s.", station=sid), "station")
        before = _saved(row)
        tx.session.delete(row)
        audit(
            tx.session,
            actor,
            "station_setup.reset",
            {"station": sid, "was": {d: before.device(d) for d in ("name", *DEVICES)}},
        )
        tx.commit()
    setup.invalidate()
    return {"station": sid, "gone": sid not in setup.station_ids()}


def printer_problem(printer: StationPrinter, exc: BaseException) -> str:
    """What a person can do about a printer that did not take a label."""
    where = f"{printer.host}:{printer.port}"
    cause = exc.__cause__ or exc
    if isinstance(cause, ConnectionRefusedError):
        return msg(
            "Nothing is listening at %(where)s: the printer refused the connection. Check that "
            "it is switched on and that the port is right (raw printing is usually 9100).",
            where=where,
        )
    if isinstance(cause, TimeoutError | socket.timeout):
        return msg(
            "No answer from %(where)s within %(seconds)s s. Check the address, the network "
            "cable or Wi-Fi, and that the printer is switched on.",
            where=where,
            seconds=f"{printer.timeout_s:g}",
        )
    if isinstance(cause, socket.gaierror):
        return msg(
            "The printer name %(host)s cannot be found: check it, or use the IP address.",
            host=printer.host,
        )
    reason = getattr(cause, "strerror", None) or cause.__class__.__name__
    return msg(
        "The printer at %(where)s cannot be reached: %(reason)s.", where=where, reason=reason
    )


def test_print(
    setup: StationSetup,
    station: Any,
    printer_settings: Any,
    actor: str,
    clock: Clock,
    send: Callable[[StationPrinter, bytes], None] = printer_io.send_zpl,
) -> dict[str, Any]:
    """A small label to the station's printer: the one given (tried before saving), else the
    one it uses now. A ZPL printer gets it over TCP; a browser (PDF) station opens it."""
    try:
        sid = rules.parse_station_id(station)
        settings = rules.parse_printer(printer_settings) if printer_settings else None
    except SetupInvalid as exc:
        raise _invalid(exc) from None
    printer = printer_of(sid, settings) if settings else setup.effective_printer(sid)
    if printer is None:
        raise ServiceError(
            msg("Station %(station)s has no printer yet: choose one first.", station=sid), "printer"
        )
    label = PrinterTestLabel(sid, printer.label, clock(), actor)
    outcome: dict[str, Any] = {
        "station": sid,
        "printer": printer_json(printer),
        "format": printer.kind,
    }
    if printer.kind == "pdf":
        outcome.update(
            ok=True,
            url=f"/setup/test-label/{sid}.pdf",
            message=msg(
                "Test label for %(station)s opened as a PDF: print it from the browser.",
                station=sid,
            ),
        )
    else:
        try:
            send(printer, render_test_label_zpl(label, printer.dpi))
            outcome.update(
                ok=True,
                message=msg(
                    "Test label sent to %(printer)s. Check it printed.", printer=printer.label
                ),
            )
        except printer_io.PrinterError as exc:
            outcome.update(
                ok=False, error="printer", field="printer", message=printer_problem(printer, exc)
            )
    with setup.uow() as tx:
        audit(
            tx.session,
            actor,
            "station_setup.test_print",
            {
                "station": sid,
                "printer": printer.address,
                "ok": outcome["ok"],
                "detail": outcome["message"],
            },
        )
        tx.commit()
    return outcome
