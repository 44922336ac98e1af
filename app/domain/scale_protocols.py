"""Weigh-station scale protocols: byte parsing and command building, no I/O.

Every parser turns the bytes of one frame into a `Reading` in whole grams and never raises:
garbage, truncated or unknown frames come back as `ReadingStatus.ERROR` with a message.
A `Framer` cuts complete frames out of a byte stream and drops whatever lies between them,
so a reader resynchronises on the next frame boundary after noise or a cut-off frame.

Protocols (bit layouts from the manufacturers' and compatible indicators' manuals):

- NCI / Brecknell "NCI Standard" (SCP-01; NCI 6702, 7800, 3825-family bench scales, Avery
  Weigh-Tronix 7821, Ohaus Aviator 7000 NCI mode). Commands `W<CR>` weigh, `S<CR>` status,
  `Z<CR>` zero. Answer to W: `<LF>weight+unit<CR><LF>status bytes<CR><ETX>`; to S and Z:
  `<LF>status bytes<CR><ETX>`; to an unknown command `<LF>?<CR><ETX>`. At least two status
  bytes, bit 6 set when another status byte follows, bits 4 and 5 always 1, bit 7 parity.
  Byte 1: bit 0 motion, bit 1 at zero, bit 2 RAM error, bit 3 EEPROM error. Byte 2: bit 0
  under capacity, bit 1 over capacity, bit 2 ROM error, bit 3 faulty calibration. Byte 3:
  bits 0-1 range, bit 2 net, bit 3 initial zero error. A display of all upper bars (over
  capacity) is sent as carets `^^^^^^`, all lower bars (under capacity) as underscores,
  middle bars (zeroing error) as dashes.
- Mettler Toledo MT-SICS level 0/1: `S`, `SI`, `SIR`, `Z` (each ended by CR LF). Answers
  `S S <weight> <unit>` (stable), `S D ...` (dynamic: in motion), `S I` (not executable now),
  `S +` overload, `S -` underload, `Z A` zeroed, `Z I`, `Z +`, `Z -`, and the errors `ES`
  (syntax), `ET` (transmission), `EL` (logical).
- Toledo 8213 on demand: the host sends `W` (or `Z`), the scale answers `<STX>XXX.XX<CR>`
  with a valid weight, or `<STX>?<status><CR>` when it cannot give one. Status byte: bit 0
  motion, bit 1 out of range (over capacity), bit 2 under zero, bit 3 outside the zero capture
  range, bit 4 centre of zero, bits 5 and 6 always 1, bit 7 parity. No unit is sent: it is
  configured (lb, kg, oz or g) as on the indicator.
- Toledo continuous output: `<STX><SWA><SWB><SWC>` + 6 weight digits + 6 tare digits (absent
  in the "short" variant) + `<CR>` + an optional checksum (2's complement of the 7 low bits of
  the sum of all previous characters, STX and CR included). SWA bits 0-2 place the decimal
  point or dummy zeros (0: XXXX00, 1: XXXXX0, 2: XXXXXX, 3: XXXXX.X ... 7: X.XXXXX), bits 3-4
  the increment size, bit 5 always 1. SWB: bit 0 net, bit 1 negative, bit 2 out of range
  (over capacity or under zero), bit 3 motion, bit 4 kg (else lb), bit 5 always 1, bit 6
  power-up not zeroed. SWC bits 0-2: 000 lb/kg from SWB bit 4, 001 g, 010 metric t, 011 oz.
- USB HID point-of-sale scale (usage page 0x8D) data report: report id 3, status (1 fault,
  2 stable at zero, 3 in motion, 4 stable, 5 under zero, 6 over weight, 7 requires
  calibration, 8 requires re-zeroing), unit (1 mg, 2 g, 3 kg, 4 ct, 5 tael, 6 grain,
  7 pennyweight, 8 metric ton, 9 avoirdupois ton, 10 troy oz, 11 oz, 12 lb), a signed base-10
  exponent, then the weight as an unsigned 16-bit little-endian number. Under zero, scales
  report the magnitude: the reading is made negative.
"""

from __future__ import annotations

import math
import re
from abc import ABC, abstractmethod
from collections import deque
from dataclasses import dataclass
from enum import Enum
from fractions import Fraction


class ReadingStatus(Enum):
    OK = "ok"
    MOTION = "motion"
    OVERLOAD = "overload"
    UNDER_ZERO = "under_zero"
    NEEDS_ZERO = "needs_zero"
    ERROR = "error"


@dataclass(frozen=True)
class Reading:
    """One answer from a scale. `weight_g` is None when the scale gave no usable number."""

    weight_g: int | None
    stable: bool
    status: ReadingStatus
    raw: bytes
    unit: str | None = None  # the unit as the scale reported (or was configured for) it
    message: str = ""

    @property
    def usable(self) -> bool:
        """A weight that may be recorded: stable, in range, no error."""
        return self.status is ReadingStatus.OK and self.stable and self.weight_g is not None

    @staticmethod
    def error(raw: bytes, message: str) -> Reading:
        return Reading(None, False, ReadingStatus.ERROR, bytes(raw), None, message)


# --- units -------------------------------------------------------------------------------

_LB = Fraction("453.59237")  # exact by definition
_TROY_OZ = Fraction("31.1034768")
GRAMS_PER_UNIT: dict[str, Fraction] = {
    "mg": Fraction(1, 1000),
    "g": Fraction(1),
    "kg": Fraction(1000),
    "t": Fraction(1_000_000),
    "lb": _LB,
    "oz": _LB / 16,
    "ton": _LB * 2000,
    "ozt": _TROY_OZ,
    "dwt": _TROY_OZ / 20,
    "gr": _LB / 7000,
    "ct": Fraction(1, 5),
}
_UNIT_ALIASES = {"lbs": "lb", "gn": "gr", "grain": "gr", "tn": "ton"}
MAX_WEIGHT_G = 10**9  # a thousand tonnes: anything above is a corrupt number, not a parcel


def normalise_unit(unit: str) -> str | None:
    """The canonical spelling of a unit a scale reported, or None if it is not a mass unit."""
    key = unit.strip().lower()
    key = _UNIT_ALIASES.get(key, key)
    return key if key in GRAMS_PER_UNIT else None


def _round_half_away(value: Fraction) -> int:
    magnitude = math.floor(abs(value) + Fraction(1, 2))
    return magnitude if value >= 0 else -magnitude


def to_grams(value: Fraction | int | str, unit: str) -> int:
    """`value` in `unit`, as whole grams rounded half away from zero. ValueError if unknown."""
    canonical = normalise_unit(unit)
    if canonical is None:
        raise ValueError(f"unknown weight unit {unit!r}")
    grams = _round_half_away(Fraction(value) * GRAMS_PER_UNIT[canonical])
    if abs(grams) > MAX_WEIGHT_G:
        raise ValueError(f"weight {value} {unit} is out of any scale's range")
    return grams


_NUMBER = re.compile(r"([+-]?)\s*(\d+(?:\.\d*)?|\.\d+)")


def _parse_number(text: str) -> Fraction | None:
    m = _NUMBER.fullmatch(text.strip())
    if m is None:
        return None
    number = Fraction(m.group(2))
    return -number if m.group(1) == "-" else number


def _ascii(data: bytes) -> str | None:
    try:
        return data.decode("ascii")
    except UnicodeDecodeError:
        return None


_STRIP_PARITY = bytes(b & 0x7F for b in range(256))


def strip_parity(data: bytes) -> bytes:
    """Clear bit 7 of every byte (7-bit protocols read on an 8-bit port carry parity there)."""
    return data.translate(_STRIP_PARITY)


def _show(data: bytes, limit: int = 40) -> str:
    text = repr(bytes(data[:limit]))
    return text + ("…" if len(data) > limit else "")


# --- dialects ----------------------------------------------------------------------------


class ScaleDialect(ABC):
    """One serial protocol: how to frame its bytes, parse a frame and ask for a weight."""

    name: str = ""
    continuous: bool = False  # the scale streams frames by itself; no weigh command
    weigh_command: bytes = b""
    zero_command: bytes = b""
    strips_parity: bool = False
    max_frame_len: int = 64
    pattern: re.Pattern[bytes]

    @abstractmethod
    def parse(self, frame: bytes) -> Reading:
        """The reading in one frame; ERROR (never an exception) for anything malformed."""

    def parse_zero(self, frame: bytes) -> Reading:
        """The scale's answer to the zero command."""
        return self.parse(frame)

    def framer(self) -> Framer:
        return Framer(self.pattern, self.max_frame_len, self.strips_parity)


class Framer:
    """Cuts complete frames out of a byte stream; bytes outside any frame are dropped.

    A frame is the leftmost match of the dialect's frame pattern, so a truncated frame followed
    by a good one yields the good one, and noise between frames only counts in `discarded`.
    """

    def __init__(self, pattern: re.Pattern[bytes], max_len: int, strips_parity: bool) -> None:
        self._pattern = pattern
        self._max_len = max_len
        self._strip = strips_parity
        self._buffer = b""
        self.discarded = 0

    def feed(self, data: bytes) -> list[bytes]:
        self._buffer += data
        frames: list[bytes] = []
        while True:
            view = strip_parity(self._buffer) if self._strip else self._buffer
            m = self._pattern.search(view)
            if m is None:
                break
            frames.append(self._buffer[m.start() : m.end()])
            self.discarded += m.start()
            self._buffer = self._buffer[m.end() :]
        # A partial frame is kept; anything longer than a frame can never become one.
        if len(self._buffer) > self._max_len:
            cut = len(self._buffer) - self._max_len
            self.discarded += cut
            self._buffer = self._buffer[cut:]
        return frames

    def clear(self) -> None:
        self._buffer = b""
        self.discarded = 0

    @property
    def pending(self) -> bytes:
        return self._buffer


# --- NCI / Brecknell ---------------------------------------------------------------------

NCI_COMMANDS = frozenset({"W", "S", "Z", "H"})


def nci_command(command: str) -> bytes:
    """`W` weigh, `S` status, `Z` zero, `H` high resolution weight; each ended by CR."""
    if command not in NCI_COMMANDS:
        raise ValueError(f"not an NCI command: {command!r} (use one of {sorted(NCI_COMMANDS)})")
    return command.encode("ascii") + b"\r"


_NCI_FRAME = re.compile(rb"\n(?:[^\r\n\x03]*\r\n)?[^\r\n\x03]+\r\x03")
_NCI_PARTS = re.compile(rb"\n(?:([^\r\n\x03]*)\r\n)?([^\r\n\x03]+)\r\x03")
_NCI_LB_OZ = re.compile(r"(-?)\s*(\d+)\s*lb\s*(\d+(?:\.\d*)?)\s*oz", re.IGNORECASE)
_NCI_WEIGHT = re.compile(r"([+-]?\s*(?:\d+(?:\.\d*)?|\.\d+))\s*([A-Za-z]+)")


@dataclass(frozen=True)
class NciStatus:
    motion: bool = False
    at_zero: bool = False
    under_capacity: bool = False
    over_capacity: bool = False
    faults: tuple[str, ...] = ()
    initial_zero_error: bool = False
    net: bool = False


def parse_nci_status(data: bytes) -> NciStatus | str:
    """Decoded NCI status bytes, or why they are not NCI status bytes."""
    raw = strip_parity(data)
    if len(raw) < 2:
        return f"NCI status needs at least 2 bytes, got {len(raw)}"
    if len(raw) > 4:
        return f"NCI status has {len(raw)} bytes, at most 4 are defined"
    for i, b in enumerate(raw):
        if b & 0x30 != 0x30:
            return f"NCI status byte {i + 1} is {b:#04x}: bits 4 and 5 must be set"
    b1, b2 = raw[0], raw[1]
    b3 = raw[2] if len(raw) > 2 else 0x30
    faults = [
        name
        for flag, name in (
            (b1 & 0x04, "RAM error"),
            (b1 & 0x08, "EEPROM error"),
            (b2 & 0x04, "ROM error"),
            (b2 & 0x08, "faulty calibration"),
        )
        if flag
    ]
    return NciStatus(
        motion=bool(b1 & 0x01),
        at_zero=bool(b1 & 0x02),
        under_capacity=bool(b2 & 0x01),
        over_capacity=bool(b2 & 0x02),
        faults=tuple(faults),
        initial_zero_error=bool(b3 & 0x08),
        net=bool(b3 & 0x04),
    )


def parse_nci(frame: bytes) -> Reading:
    """An NCI answer: `\\nWEIGHT UNIT\\r\\nSTATUS\\r\\x03` (W) or `\\nSTATUS\\r\\x03` (S, Z)."""
    raw = bytes(frame)
    m = _NCI_PARTS.fullmatch(strip_parity(raw))
    if m is None:
        return Reading.error(raw, f"not an NCI frame: {_show(raw)}")
    weight_field, status_field = m.group(1), m.group(2)
    if status_field.strip() == b"?":
        return Reading.error(raw, "the scale did not understand the command (NCI '?')")
    status = parse_nci_status(status_field)
    if isinstance(status, str):
        return Reading.error(raw, status)
    stable = not status.motion
    if status.faults:
        return Reading(None, False, ReadingStatus.ERROR, raw, None, ", ".join(status.faults))

    weight_g: int | None = None
    unit: str | None = None
    if weight_field is not None:
        text = _ascii(weight_field)
        if text is None:
            return Reading.error(raw, f"NCI weight field is not text: {_show(weight_field)}")
        bars = re.sub(r"[A-Za-z]+$", "", text.replace(" ", ""))  # bars may carry a unit
        if bars and set(bars) == {"^"}:
            return Reading(None, stable, ReadingStatus.OVERLOAD, raw, None, "over capacity")
        if bars and set(bars) == {"_"}:
            return Reading(None, stable, ReadingStatus.UNDER_ZERO, raw, None, "under capacity")
        if bars and set(bars) == {"-"}:
            return Reading(None, stable, ReadingStatus.NEEDS_ZERO, raw, None, "zeroing error")
        parsed = _parse_nci_weight(text)
        if isinstance(parsed, str):
            return Reading.error(raw, parsed)
        weight_g, unit = parsed

    if status.over_capacity:
        return Reading(None, stable, ReadingStatus.OVERLOAD, raw, unit, "over capacity")
    if status.under_capacity:
        return Reading(weight_g, stable, ReadingStatus.UNDER_ZERO, raw, unit, "under capacity")
    if status.initial_zero_error:
        return Reading(weight_g, stable, ReadingStatus.NEEDS_ZERO, raw, unit, "initial zero error")
    if status.motion:
        return Reading(weight_g, False, ReadingStatus.MOTION, raw, unit, "in motion")
    return Reading(weight_g, True, ReadingStatus.OK, raw, unit, "at zero" if status.at_zero else "")


def _parse_nci_weight(text: str) -> tuple[int, str] | str:
    field = text.strip()
    lb_oz = _NCI_LB_OZ.fullmatch(field)
    if lb_oz is not None:
        sign = -1 if lb_oz.group(1) == "-" else 1
        ounces = int(lb_oz.group(2)) * 16 + Fraction(lb_oz.group(3))
        return to_grams(sign * ounces, "oz"), "lb oz"
    m = _NCI_WEIGHT.fullmatch(field)
    if m is None:
        return f"NCI weight field not understood: {field!r}"
    number = _parse_number(m.group(1))
    unit = m.group(2)
    if number is None or normalise_unit(unit) is None:
        return f"NCI weight field not understood: {field!r}"
    try:
        return to_grams(number, unit), unit
    except ValueError as exc:
        return str(exc)


class NciDialect(ScaleDialect):
    name = "nci"
    weigh_command = b"W\r"
    zero_command = b"Z\r"
    status_command = b"S\r"
    strips_parity = True
    max_frame_len = 64
    pattern = _NCI_FRAME

    def parse(self, frame: bytes) -> Reading:
        return parse_nci(frame)

    def parse_zero(self, frame: bytes) -> Reading:
        reading = parse_nci(frame)
        if reading.status is ReadingStatus.OK:
            return Reading(None, reading.stable, ReadingStatus.OK, reading.raw, None, "zeroed")
        return reading


# --- Mettler Toledo MT-SICS --------------------------------------------------------------

_SICS_CMD = re.compile(r"[A-Z][A-Z0-9]{0,4}")


def mt_sics_command(command: str, *arguments: str) -> bytes:
    """An MT-SICS command line, e.g. `mt_sics_command("SI")` -> b"SI\\r\\n"."""
    if _SICS_CMD.fullmatch(command) is None:
        raise ValueError(f"not an MT-SICS command: {command!r}")
    for arg in arguments:
        if any(c in arg for c in "\r\n") or not arg.isascii():
            raise ValueError(f"MT-SICS argument must be one line of ASCII: {arg!r}")
    return " ".join((command, *arguments)).encode("ascii") + b"\r\n"


# Only well-formed answers are frames, so a line cut short cannot swallow the next one.
_SICS_FRAME = re.compile(
    rb"(?:E[STL]|[SZ] [IA+-]|S [SD] +[+-]? *(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+) +[^ \r\n]+) *\r\n"
)
_SICS_WEIGHT = re.compile(r"S ([SD]) +([+-]?\s*(?:\d+(?:\.\d*)?|\.\d+)) +(\S+)")
_SICS_ERRORS = {
    "ES": "MT-SICS syntax error: the balance did not recognise the command (ES)",
    "ET": "MT-SICS transmission error: the balance received a garbled command (ET)",
    "EL": "MT-SICS logical error: the command cannot be executed (EL)",
}


def parse_mt_sics(frame: bytes) -> Reading:
    """One MT-SICS answer line (CR LF included)."""
    raw = bytes(frame)
    if not raw.endswith(b"\r\n"):
        return Reading.error(raw, f"MT-SICS line without CR LF (truncated?): {_show(raw)}")
    line = _ascii(raw[:-2])
    if line is None or "\r" in line or "\n" in line:
        return Reading.error(raw, f"not an MT-SICS line: {_show(raw)}")
    text = line.strip()
    if text in _SICS_ERRORS:
        return Reading.error(raw, _SICS_ERRORS[text])
    m = _SICS_WEIGHT.fullmatch(text)
    if m is not None:
        number = _parse_number(m.group(2))
        unit = m.group(3)
        if number is None:
            return Reading.error(raw, f"MT-SICS weight not understood: {text!r}")
        try:
            grams = to_grams(number, unit)
        except ValueError as exc:
            return Reading.error(raw, str(exc))
        if m.group(1) == "S":
            return Reading(grams, True, ReadingStatus.OK, raw, unit)
        return Reading(grams, False, ReadingStatus.MOTION, raw, unit, "dynamic (in motion)")
    simple = {
        "S I": Reading.error(
            raw, "the balance cannot weigh now (busy, or no stable weight in its time limit)"
        ),
        "S +": Reading(None, False, ReadingStatus.OVERLOAD, raw, None, "overload"),
        "S -": Reading(None, False, ReadingStatus.UNDER_ZERO, raw, None, "underload"),
        "Z A": Reading(None, True, ReadingStatus.OK, raw, None, "zeroed"),
        "Z I": Reading.error(raw, "zero not executable now (busy, or the weight is not stable)"),
        "Z +": Reading(
            None, False, ReadingStatus.OVERLOAD, raw, None, "above the zero setting range"
        ),
        "Z -": Reading(
            None, False, ReadingStatus.UNDER_ZERO, raw, None, "below the zero setting range"
        ),
    }
    normalised = " ".join(text.split())
    if normalised in simple:
        return simple[normalised]
    return Reading.error(raw, f"unrecognised MT-SICS answer: {text!r}")


class MtSicsDialect(ScaleDialect):
    """Polled with `SI` (immediate weight, stable or dynamic) so a read never blocks."""

    name = "mt-sics"
    weigh_command = b"SI\r\n"
    zero_command = b"Z\r\n"
    max_frame_len = 64
    pattern = _SICS_FRAME

    def parse(self, frame: bytes) -> Reading:
        return parse_mt_sics(frame)


# --- Toledo 8213 (on demand) -------------------------------------------------------------

TOLEDO_8213_COMMANDS = frozenset({"W", "Z", "H"})


def toledo_8213_command(command: str) -> bytes:
    """The single-character Toledo 8213 commands: `W` weigh, `Z` zero, `H` high resolution."""
    if command not in TOLEDO_8213_COMMANDS:
        raise ValueError(f"not a Toledo 8213 command: {command!r}")
    return command.encode("ascii")


_T8213_FRAME = re.compile(rb"\x02[^\x02\r]{1,10}\r")
_T8213_WEIGHT = re.compile(r"\s*(\d+(?:\.\d+)?)\s*")
_T8213_UNITS = frozenset({"lb", "kg", "oz", "g"})


def parse_toledo_8213(frame: bytes, unit: str = "lb") -> Reading:
    """`<STX>XXX.XX<CR>` (weight in the configured unit) or `<STX>?<status><CR>`."""
    raw = bytes(frame)
    data = strip_parity(raw)
    if len(data) < 3 or data[0] != 0x02 or data[-1] != 0x0D or b"\x02" in data[1:]:
        return Reading.error(raw, f"not a Toledo 8213 frame: {_show(raw)}")
    body = data[1:-1]
    if body[:1] == b"?":
        if len(body) != 2:
            return Reading.error(raw, f"Toledo 8213 status record needs 1 byte: {_show(raw)}")
        return _toledo_8213_status(raw, body[1])
    text = _ascii(body)
    m = _T8213_WEIGHT.fullmatch(text) if text is not None else None
    if m is None:
        return Reading.error(raw, f"Toledo 8213 weight not understood: {_show(raw)}")
    try:
        grams = to_grams(Fraction(m.group(1)), unit)
    except ValueError as exc:
        return Reading.error(raw, str(exc))
    return Reading(grams, True, ReadingStatus.OK, raw, unit)


def _toledo_8213_status(raw: bytes, status: int) -> Reading:
    if status & 0x60 != 0x60:
        return Reading.error(raw, f"Toledo 8213 status byte {status:#04x}: bits 5, 6 must be set")
    motion = bool(status & 0x01)
    stable = not motion
    if status & 0x04:
        return Reading(None, stable, ReadingStatus.UNDER_ZERO, raw, None, "under zero")
    if status & 0x02:
        return Reading(None, stable, ReadingStatus.OVERLOAD, raw, None, "over capacity")
    if motion:
        return Reading(None, False, ReadingStatus.MOTION, raw, None, "in motion")
    if status & 0x08:
        return Reading(
            None, True, ReadingStatus.NEEDS_ZERO, raw, None, "outside the zero capture range"
        )
    centre = "at centre of zero" if status & 0x10 else "no weight given"
    return Reading(None, True, ReadingStatus.OK, raw, None, centre)


class Toledo8213Dialect(ScaleDialect):
    weigh_command = b"W"
    zero_command = b"Z"
    strips_parity = True
    max_frame_len = 16
    pattern = _T8213_FRAME

    name = "toledo-8213"

    def __init__(self, unit: str = "lb") -> None:
        if unit not in _T8213_UNITS:
            raise ValueError(f"Toledo 8213 unit must be one of {sorted(_T8213_UNITS)}: {unit!r}")
        self.unit = unit

    def parse(self, frame: bytes) -> Reading:
        return parse_toledo_8213(frame, self.unit)

    def parse_zero(self, frame: bytes) -> Reading:
        reading = self.parse(frame)
        if reading.status is ReadingStatus.OK:
            return Reading(None, True, ReadingStatus.OK, reading.raw, None, "zeroed")
        return reading


# --- Toledo continuous output ------------------------------------------------------------

_SWA = rb"[\x20-\x3f]"  # bit 5 always 1, bit 6 always 0
_SWB = rb"[\x20-\x3f\x60-\x7f]"  # bit 5 always 1
_SWC = rb"[\x20-\x3f]"
_TOLEDO_CONT = re.compile(rb"\x02" + _SWA + _SWB + _SWC + rb"[0-9 ]{6}(?:[0-9 ]{6})?\r")
_TOLEDO_CONT_CHK = re.compile(
    rb"\x02" + _SWA + _SWB + _SWC + rb"[0-9 ]{6}(?:[0-9 ]{6})?\r[\x00-\x7f]"
)
_SWC_UNITS = {1: "g", 2: "t", 3: "oz"}


def toledo_checksum(data: bytes) -> int:
    """The checksum character for everything before it (STX through CR)."""
    return -sum(strip_parity(data)) & 0x7F


def parse_toledo_continuous(frame: bytes, checksum: bool = False) -> Reading:
    """`<STX><SWA><SWB><SWC>` + 6 weight digits [+ 6 tare digits] + `<CR>` [+ checksum]."""
    raw = bytes(frame)
    data = strip_parity(raw)
    pattern = _TOLEDO_CONT_CHK if checksum else _TOLEDO_CONT
    if pattern.fullmatch(data) is None:
        return Reading.error(raw, f"not a Toledo continuous frame: {_show(raw)}")
    if checksum and sum(data) & 0x7F != 0:
        expected = toledo_checksum(data[:-1])
        return Reading.error(
            raw, f"Toledo checksum mismatch: got {data[-1]:#04x}, expected {expected:#04x}"
        )
    swa, swb, swc = data[1], data[2], data[3]
    digits = data[4:10].decode("ascii").strip()
    if not digits or " " in digits:
        return Reading.error(raw, f"Toledo weight digits not understood: {data[4:10]!r}")

    unit_code = swc & 0x07
    if unit_code == 0:
        unit = "kg" if swb & 0x10 else "lb"
    elif unit_code in _SWC_UNITS:
        unit = _SWC_UNITS[unit_code]
    else:
        return Reading.error(raw, f"Toledo status word C has no known unit ({swc:#04x})")

    motion = bool(swb & 0x08)
    stable = not motion
    if swb & 0x04:
        if swb & 0x02:
            return Reading(None, stable, ReadingStatus.UNDER_ZERO, raw, unit, "under zero")
        return Reading(None, stable, ReadingStatus.OVERLOAD, raw, unit, "over capacity")

    value = Fraction(int(digits)) * Fraction(10) ** (2 - (swa & 0x07))
    if swb & 0x02:
        value = -value
    try:
        grams = to_grams(value, unit)
    except ValueError as exc:  # six digits of tonnes with dummy zeros: no scale weighs that
        return Reading.error(raw, str(exc))
    net = " (net)" if swb & 0x01 else ""
    if swb & 0x40:
        return Reading(
            grams, stable, ReadingStatus.NEEDS_ZERO, raw, unit, "not zeroed since power-up"
        )
    if motion:
        return Reading(grams, False, ReadingStatus.MOTION, raw, unit, "in motion" + net)
    return Reading(grams, True, ReadingStatus.OK, raw, unit, net.strip(" ()"))


def toledo_continuous_frame(
    weight: int,
    *,
    decimals: int = 0,
    unit: str = "lb",
    motion: bool = False,
    negative: bool = False,
    out_of_range: bool = False,
    net: bool = False,
    not_zeroed: bool = False,
    tare: int | None = 0,
    checksum: bool = False,
) -> bytes:
    """A Toledo continuous frame (for simulators and tests). `weight` is in display counts:
    `toledo_continuous_frame(12345, decimals=2, unit="kg")` shows 123.45 kg."""
    if not 0 <= weight <= 999_999 or not -2 <= decimals <= 5:
        raise ValueError("weight must be 0..999999 counts and decimals -2..5")
    swa = 0x20 | 0x08 | (decimals + 2)  # increment x1
    swb = 0x20 | (0x01 if net else 0) | (0x02 if negative else 0) | (0x04 if out_of_range else 0)
    swb |= (0x08 if motion else 0) | (0x40 if not_zeroed else 0)
    swc = 0x20
    if unit == "kg":
        swb |= 0x10
    elif unit in ("g", "t", "oz"):
        swc |= {v: k for k, v in _SWC_UNITS.items()}[unit]
    elif unit != "lb":
        raise ValueError(f"Toledo continuous output has no unit {unit!r}")
    body = bytes([0x02, swa, swb, swc]) + f"{weight:06d}".encode()
    if tare is not None:
        body += f"{tare:06d}".encode()
    body += b"\r"
    return body + (bytes([toledo_checksum(body)]) if checksum else b"")


class ToledoContinuousDialect(ScaleDialect):
    continuous = True
    weigh_command = b""
    zero_command = b"Z"  # accepted by indicators with a command input; no acknowledgement
    strips_parity = True
    max_frame_len = 40

    name = "toledo-continuous"

    def __init__(self, checksum: bool = False) -> None:
        self.checksum = checksum
        self.pattern = _TOLEDO_CONT_CHK if checksum else _TOLEDO_CONT

    def parse(self, frame: bytes) -> Reading:
        return parse_toledo_continuous(frame, self.checksum)


# --- USB HID point-of-sale scale ---------------------------------------------------------

HID_SCALE_DATA_REPORT = 0x03
HID_UNITS: dict[int, str] = {
    1: "mg",
    2: "g",
    3: "kg",
    4: "ct",
    5: "tael",
    6: "gr",
    7: "dwt",
    8: "t",
    9: "ton",
    10: "ozt",
    11: "oz",
    12: "lb",
}


def parse_hid_report(report: bytes) -> Reading:
    """A 6-byte HID POS scale data report (report id 3) as read from /dev/hidrawN."""
    raw = bytes(report)
    if len(raw) < 6:
        return Reading.error(raw, f"HID scale report too short ({len(raw)} of 6 bytes)")
    report_id, status, unit_code, exponent_byte, lsb, msb = raw[:6]
    if report_id != HID_SCALE_DATA_REPORT:
        return Reading.error(raw, f"not a HID scale data report (report id {report_id})")
    unit = HID_UNITS.get(unit_code)
    exponent = exponent_byte - 256 if exponent_byte > 127 else exponent_byte
    magnitude = lsb | msb << 8

    def weight() -> int | str:
        if unit is None:
            return f"HID scale reports unknown unit code {unit_code}"
        if normalise_unit(unit) is None:
            return f"HID scale unit {unit!r} is not convertible to grams"
        try:
            return to_grams(magnitude * Fraction(10) ** exponent, unit)
        except ValueError as exc:
            return str(exc)

    if status == 1:
        return Reading(None, False, ReadingStatus.ERROR, raw, unit, "scale reports a fault")
    if status == 6:
        return Reading(None, False, ReadingStatus.OVERLOAD, raw, unit, "over weight limit")
    if status == 7:
        return Reading(None, False, ReadingStatus.ERROR, raw, unit, "scale requires calibration")
    if status == 8:
        return Reading(
            None, False, ReadingStatus.NEEDS_ZERO, raw, unit, "scale requires re-zeroing"
        )
    if status not in (2, 3, 4, 5):
        return Reading(None, False, ReadingStatus.ERROR, raw, unit, f"unknown status {status}")
    grams = weight()
    if isinstance(grams, str):
        return Reading(None, False, ReadingStatus.ERROR, raw, unit, grams)
    if status == 2:
        return Reading(0, True, ReadingStatus.OK, raw, unit, "stable at zero")
    if status == 3:
        return Reading(grams, False, ReadingStatus.MOTION, raw, unit, "in motion")
    if status == 5:
        return Reading(-abs(grams), True, ReadingStatus.UNDER_ZERO, raw, unit, "under zero")
    return Reading(grams, True, ReadingStatus.OK, raw, unit)


def hid_report(
    status: int, unit_code: int, exponent: int, magnitude: int, report_id: int = 3
) -> bytes:
    """A HID scale data report (for simulators and tests)."""
    return bytes([report_id, status, unit_code, exponent & 0xFF, magnitude & 0xFF, magnitude >> 8])


# --- registry ----------------------------------------------------------------------------

PROTOCOLS = ("nci", "mt-sics", "toledo-8213", "toledo-continuous")


def dialect_for(name: str, *, unit: str = "lb", checksum: bool = False) -> ScaleDialect:
    """The dialect called `name` in a station config (`unit` for 8213, `checksum` for
    Toledo continuous). ValueError names the protocols there are."""
    key = name.strip().lower().replace("_", "-")
    if key in ("nci", "brecknell", "nci-3825"):
        return NciDialect()
    if key in ("mt-sics", "sics", "mettler"):
        return MtSicsDialect()
    if key in ("toledo-8213", "8213"):
        return Toledo8213Dialect(unit)
    if key in ("toledo-continuous", "toledo"):
        return ToledoContinuousDialect(checksum)
    raise ValueError(f"unknown scale protocol {name!r}: use one of {', '.join(PROTOCOLS)}")


# --- the stable-reading rule -------------------------------------------------------------


class StabilityFilter:
    """Accepts a weight only after `count` consecutive usable (stable, OK) readings whose
    weights all lie within `resolution_g` of each other. Anything else starts over."""

    def __init__(self, count: int = 3, resolution_g: int = 2) -> None:
        if count < 1:
            raise ValueError("count must be at least 1")
        if resolution_g < 0:
            raise ValueError("resolution_g cannot be negative")
        self.count = count
        self.resolution_g = resolution_g
        self._window: deque[int] = deque(maxlen=count)
        self._accepted: int | None = None

    def feed(self, reading: Reading) -> int | None:
        """The accepted weight once the rule holds, else None."""
        if not reading.usable or reading.weight_g is None:
            self.reset()
            return None
        self._window.append(reading.weight_g)
        while max(self._window) - min(self._window) > self.resolution_g:
            self._window.popleft()
        if len(self._window) == self.count:
            ordered = sorted(self._window)
            self._accepted = ordered[(len(ordered) - 1) // 2]
        else:
            self._accepted = None
        return self._accepted

    def reset(self) -> None:
        self._window.clear()
        self._accepted = None

    @property
    def accepted(self) -> int | None:
        return self._accepted
