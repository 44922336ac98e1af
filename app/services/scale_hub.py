"""Live scales, one per weigh station: read on the server (serial, HID, simulated) or reported
by a Chrome kiosk (WebHID / Web Serial bytes), turned into `LiveWeight`s by the domain's
`ScaleMonitor` and pushed to the station's room.

A server-side reader starts when the first page of a station joins and stops once no page
has been there for `idle_stop_s`. Readers run as Socket.IO background tasks (greenlets under
`dockhand serve`, threads in tests): `spawn`, `sleep` and `emit` are given, so this module
knows nothing of Flask.

One process reads each scale: with several server workers, a station's pages must all reach
the same worker (docs/weigh.md).
"""

from __future__ import annotations

import dataclasses
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from app.adapters.scales import Scale, SimulatedScale
from app.adapters.station_config import WeighConfig, WeighStation
from app.domain.scale_protocols import (
    Framer,
    Reading,
    ReadingStatus,
    ScaleDialect,
    StabilityFilter,
    dialect_for,
    parse_hid_report,
)
from app.domain.text import msg
from app.domain.weighing import (
    Capture,
    CaptureRefusal,
    CaptureRefused,
    LiveWeight,
    ScaleCommandRefused,
    ScaleMonitor,
)
from app.services.errors import NotFound, ServiceError

log = logging.getLogger(__name__)

Emit = Callable[[str, dict[str, Any], str], None]  # (event, data, room)
Spawn = Callable[..., Any]
Sleep = Callable[[float], Any]

HEARTBEAT_S = 1.0  # an unchanged reading is pushed again this often
MAX_BROWSER_BYTES = 512


def room_for(station_id: str) -> str:
    return f"weigh:{station_id}"


@dataclass
class _Station:
    cfg: WeighStation
    monitor: ScaleMonitor
    scale: Scale | None = None
    dialect: ScaleDialect | None = None
    framer: Framer | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)
    subscribers: set[str] = field(default_factory=set)
    running: bool = False
    generation: int = 0
    idle_since: float | None = None
    last_json: dict[str, Any] | None = None
    last_emit: float = 0.0
    reads: int = 0


@dataclass(frozen=True)
class CommandResult:
    message: str
    send: bytes = b""  # bytes the browser must write to its serial scale
    live: dict[str, Any] | None = None


class ScaleHub:
    def __init__(
        self,
        config: WeighConfig,
        emit: Emit,
        spawn: Spawn,
        sleep: Sleep,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.config = config
        self._emit = emit
        self._spawn = spawn
        self._sleep = sleep
        self._now = monotonic
        self._stations: dict[str, _Station] = {}
        self._lock = threading.Lock()
        self._closed = False
        # Station set-up (app/services/station_setup.py) brings scales saved from the browser
        # in before a station is resolved; cheap when nothing changed.
        self.before_resolve: Callable[[], None] | None = None

    # -- stations -------------------------------------------------------------------------

    def station(self, station_id: str | None) -> WeighStation:
        if self.before_resolve is not None:
            self.before_resolve()
        try:
            return self.config.station(station_id)
        except KeyError as exc:
            raise NotFound(str(exc.args[0]), "station") from None

    def _get(self, station_id: str | None) -> _Station:
        cfg = self.station(station_id)
        with self._lock:
            st = self._stations.get(cfg.id)
            if st is None:
                monitor = ScaleMonitor(
                    cfg.stability_filter() if cfg.driver != "manual" else StabilityFilter(),
                    min_load_g=self.config.min_load_g,
                    not_stable_after_s=self.config.not_stable_after_s,
                    zero_range_g=self.config.zero_range_g,
                )
                st = _Station(cfg, monitor)
                if cfg.server_reads:
                    st.scale = cfg.make_scale()
                elif cfg.driver == "browser" and cfg.transport == "serial":
                    st.dialect = dialect_for(
                        str(cfg.scale.get("protocol")),
                        unit=str(cfg.scale.get("unit", "lb")),
                        checksum=bool(cfg.scale.get("checksum", False)),
                    )
                    st.framer = st.dialect.framer()
                self._stations[cfg.id] = st
            return st

    def describe(self, station_id: str | None) -> dict[str, Any]:
        cfg = self.station(station_id)
        return {
            "id": cfg.id,
            "name": cfg.name,
            "driver": cfg.driver,
            "simulated": cfg.driver == "simulated",
            "has_scale": cfg.driver != "manual",
            "browser": cfg.browser_settings(),
            "min_load_g": self.config.min_load_g,
            "not_stable_after_s": self.config.not_stable_after_s,
            "room": room_for(cfg.id),
        }

    def live(self, station_id: str | None) -> dict[str, Any] | None:
        st = self._get(station_id)
        with st.lock:
            last = st.monitor.last
            return {"station": st.cfg.id, **last.to_json()} if last else None

    # -- pages joining and leaving ---------------------------------------------------------

    def subscribe(self, station_id: str | None, sid: str) -> dict[str, Any] | None:
        """A page of the station joined; its scale is read from now on."""
        st = self._get(station_id)
        for other in list(self._stations.values()):
            if other is not st:
                with other.lock:
                    other.subscribers.discard(sid)
        with st.lock:
            st.subscribers.add(sid)
            st.idle_since = None
            start = st.scale is not None and not st.running and not self._closed
            if start:
                st.running = True
                st.generation += 1
                generation = st.generation
            last = st.monitor.last
        if start:
            self._spawn(self._run, st, generation)
        return {"station": st.cfg.id, **last.to_json()} if last else None

    def reconfigure(self, station_id: str, cfg: WeighStation | None) -> None:
        """A station's scale was set up anew (or the station is gone): its reader stops, and
        the pages watching it carry on with a reader of the new settings at once."""
        with self._lock:
            stations = dict(self.config.stations)
            if cfg is None:
                stations.pop(station_id, None)
            else:
                stations[station_id] = cfg
            self.config = dataclasses.replace(self.config, stations=stations)
            old = self._stations.pop(station_id, None)
        if old is None:
            return
        with old.lock:
            old.generation += 1
            was_running, old.running = old.running, False
            watchers = set(old.subscribers)
            old.subscribers.clear()
        if old.scale is not None:
            if was_running:  # let the reader finish the read it is in before the port closes
                self._spawn(self._close_later, old.scale, old.cfg.poll_s + 2.0)
            else:
                old.scale.close()
        if cfg is not None and not self._closed:
            for sid in watchers:
                self.subscribe(station_id, sid)

    def _close_later(self, scale: Scale, delay_s: float) -> None:
        self._sleep(delay_s)
        try:
            scale.close()
        except Exception:
            log.exception("closing a reconfigured scale")

    def unsubscribe(self, sid: str) -> None:
        for st in list(self._stations.values()):
            with st.lock:
                st.subscribers.discard(sid)

    def readers(self) -> list[str]:
        """Stations whose scale is being read now."""
        return sorted(sid for sid, st in self._stations.items() if st.running)

    def close(self) -> None:
        self._closed = True
        for st in list(self._stations.values()):
            with st.lock:
                st.generation += 1
                st.running = False
            if st.scale is not None:
                try:
                    st.scale.close()
                except Exception:  # closing must never fail the shutdown
                    log.exception("closing the scale of %s", st.cfg.id)

    # -- reading ----------------------------------------------------------------------------

    def _run(self, st: _Station, generation: int) -> None:
        assert st.scale is not None
        log.info("weigh station %s: reading %r", st.cfg.id, st.scale)
        while True:
            with st.lock:
                if self._closed or st.generation != generation:
                    return
                if not st.subscribers:
                    now = self._now()
                    if st.idle_since is None:
                        st.idle_since = now
                    elif now - st.idle_since >= self.config.idle_stop_s:
                        st.running = False
                        log.info("weigh station %s: nobody watching, reader stopped", st.cfg.id)
                        return
            try:
                reading = st.scale.read()
            except Exception as exc:  # a driver bug must not kill the station's reader
                log.exception("weigh station %s: read failed", st.cfg.id)
                reading = Reading.error(b"", f"the scale driver failed: {exc}")
            self._feed(st, reading)
            self._sleep(st.cfg.poll_s)

    def _feed(self, st: _Station, reading: Reading) -> LiveWeight:
        now = self._now()
        with st.lock:
            live = st.monitor.feed(reading, now)
            st.reads += 1
            data = {"station": st.cfg.id, **live.to_json()}
            due = data != st.last_json or now - st.last_emit >= HEARTBEAT_S
            if due:
                st.last_json, st.last_emit = data, now
        if due:
            try:
                self._emit("reading", data, room_for(st.cfg.id))
            except Exception:
                log.exception("weigh station %s: could not push a reading", st.cfg.id)
        return live

    def feed_browser(self, station_id: str | None, data: bytes) -> dict[str, Any] | None:
        """Bytes a kiosk read from its scale: one HID input report (report id first), or a
        chunk of a serial stream. The server parses them: one set of parsers for all."""
        st = self._get(station_id)
        if st.cfg.driver != "browser":
            raise NotFound(
                msg("%(id)s's scale is not read by the browser", id=st.cfg.id), "station"
            )
        if len(data) > MAX_BROWSER_BYTES:
            raise ServiceError(
                msg(
                    "at most %(max_browser_bytes)s bytes at a time",
                    max_browser_bytes=MAX_BROWSER_BYTES,
                ),
                "data",
            )
        readings: list[Reading] = []
        if st.cfg.transport == "hid":
            readings.append(parse_hid_report(data))
        else:
            assert st.framer is not None and st.dialect is not None
            with st.lock:
                frames = st.framer.feed(data)
            for frame in frames:
                reading = st.dialect.parse(frame)
                if st.dialect.continuous and reading.status is ReadingStatus.ERROR:
                    continue  # a damaged frame in a stream: the next one is a few ms away
                readings.append(reading)
        live = None
        for reading in readings:
            live = self._feed(st, reading)
        return {"station": st.cfg.id, **live.to_json()} if live else None

    # -- what a person at the station does -------------------------------------------------

    def take(self, station_id: str, carton: str) -> Capture:
        st = self._get(station_id)
        if st.cfg.driver == "manual":
            raise CaptureRefused(
                CaptureRefusal.NO_READING,
                msg("%(name)s has no scale: type the weight.", name=st.cfg.name),
            )
        with st.lock:
            return st.monitor.take(carton)

    def captured(self, station_id: str, carton: str, placement: int) -> None:
        st = self._get(station_id)
        with st.lock:
            st.monitor.captured(carton, placement)

    def zero(self, station_id: str | None) -> CommandResult:
        st = self._get(station_id)
        if st.cfg.driver == "manual":
            raise ScaleCommandRefused(msg("%(name)s has no scale to zero.", name=st.cfg.name))
        hid = st.cfg.driver == "hid" or st.cfg.transport == "hid"
        if hid or (st.cfg.driver == "browser" and not (st.dialect and st.dialect.zero_command)):
            # USB HID scales take no commands from the host.
            raise ScaleCommandRefused(
                msg("This scale cannot be zeroed from the screen: press ZERO on the scale.")
            )
        with st.lock:
            st.monitor.check_zero()
        if st.cfg.driver == "browser":
            assert st.dialect is not None
            with st.lock:
                st.monitor.zeroed()
            return CommandResult(msg("Zero sent to the scale."), send=st.dialect.zero_command)
        assert st.scale is not None
        answer = st.scale.zero()
        if answer.status is not ReadingStatus.OK:
            raise ScaleCommandRefused(
                msg(
                    "The scale did not zero: %(value)s.",
                    value=answer.message or answer.status.value,
                )
            )
        with st.lock:
            st.monitor.zeroed()
        return CommandResult("Zeroed.")

    def tare(self, station_id: str | None) -> CommandResult:
        st = self._get(station_id)
        with st.lock:
            tare_g = st.monitor.tare()
        if tare_g:
            return CommandResult(msg("Tare %(tare_g)s g: weights now exclude it.", tare_g=tare_g))
        return CommandResult(msg("Tare cleared (the scale is empty)."))

    def clear_tare(self, station_id: str | None) -> CommandResult:
        st = self._get(station_id)
        with st.lock:
            st.monitor.clear_tare()
        return CommandResult(msg("Tare cleared."))

    def simulate(self, station_id: str | None, load_g: int, settles: bool = True) -> None:
        """The demo's hands: put a load on a simulated scale (it moves, then settles, unless
        `settles` is false: a scale in a draught)."""
        st = self._get(station_id)
        if not isinstance(st.scale, SimulatedScale):
            raise ScaleCommandRefused(
                msg("%(name)s's scale is real: put the carton on it.", name=st.cfg.name)
            )
        configured = st.cfg.scale.get("settle_readings", 3)
        st.scale.settle_readings = (
            (configured if isinstance(configured, int) else 3) if settles else None
        )
        st.scale.place(max(0, load_g))
