"""What an administrator may set for a station from the browser, checked field by field.

Each ``parse_*`` takes the JSON the set-up page sent and returns the normalised settings as
they are stored (and as config/stations.toml would write them), or raises
:class:`SetupInvalid` naming the field and saying what is wrong in a sentence a person can act
on. Nothing here knows about the database, sockets or the printer itself.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Collection, Mapping
from typing import Any

from app.domain.scale_protocols import PROTOCOLS, normalise_unit
from app.domain.text import msg

STATION_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,39}$")
PRINTER_KINDS = ("zpl", "pdf")
PRINTER_DPIS = (203, 300, 600)
SCALE_DRIVERS = ("serial", "hid", "simulated", "browser", "manual")
BAUDRATES = (1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200)
SCALE_UNITS = ("g", "kg", "lb", "oz")
_HOST_LABEL = re.compile(r"^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$")
_SERIAL_PORT = re.compile(r"^(/dev/[A-Za-z0-9_./+-]+|COM[0-9]{1,3}|/[A-Za-z0-9_./+-]+)$")


class SetupInvalid(ValueError):
    """A set-up value that cannot be saved; ``field`` says which (``printer.host``...)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def _object(value: Any, field: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise SetupInvalid(field, msg("%(field)s must be an object of settings.", field=field))
    return value


def _text(data: Mapping[str, Any], key: str, field: str, max_len: int, required: bool) -> str:
    value = data.get(key)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise SetupInvalid(field, msg("%(field)s is required.", field=field))
        return ""
    if not isinstance(value, str):
        raise SetupInvalid(field, msg("%(field)s must be text.", field=field))
    value = value.strip()
    if len(value) > max_len:
        raise SetupInvalid(
            field, msg("%(field)s is longer than %(n)s characters.", field=field, n=max_len)
        )
    return value


def _whole(
    data: Mapping[str, Any], key: str, field: str, low: int, high: int, default: int | None
) -> int | None:
    value = data.get(key)
    if value is None or value == "":
        return default
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int):
        raise SetupInvalid(field, msg("%(field)s must be a whole number.", field=field))
    if not low <= value <= high:
        raise SetupInvalid(
            field,
            msg(
                "%(field)s must be between %(low)s and %(high)s, not %(value)s.",
                field=field,
                low=low,
                high=high,
                value=value,
            ),
        )
    return value


def _number(data: Mapping[str, Any], key: str, field: str, low: float, high: float) -> float | None:
    value = data.get(key)
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise SetupInvalid(field, msg("%(field)s must be a number.", field=field))
    if not low <= value <= high:
        raise SetupInvalid(
            field,
            msg(
                "%(field)s must be between %(low)s and %(high)s, not %(value)s.",
                field=field,
                low=f"{low:g}",
                high=f"{high:g}",
                value=f"{value:g}",
            ),
        )
    return float(value)


def _unknown(data: Mapping[str, Any], allowed: Collection[str], field: str) -> None:
    extra = sorted(set(data) - set(allowed))
    if extra:
        raise SetupInvalid(
            f"{field}.{extra[0]}",
            msg(
                "%(field)s has no setting '%(name)s' (known: %(known)s).",
                field=field,
                name=extra[0],
                known=", ".join(sorted(allowed)),
            ),
        )


def parse_station_id(value: Any) -> str:
    if not isinstance(value, str) or not STATION_ID.match(value.strip()):
        raise SetupInvalid(
            "station",
            msg(
                "A station id is 1 to 40 letters, digits, dots, dashes or underscores, "
                "starting with a letter or digit (for example WEIGH-3)."
            ),
        )
    return value.strip()


def parse_station_name(value: Any) -> str | None:
    if value is None:
        return None
    name = _text({"name": value}, "name", "name", 80, required=False)
    return name or None


def check_host(host: str, field: str = "printer.host") -> str:
    """A printer address: an IPv4 or IPv6 address or a DNS host name, nothing else."""
    if "://" in host or "/" in host:
        raise SetupInvalid(
            field,
            msg("%(host)s is a URL: give only the printer's address, e.g. 10.0.40.21.", host=host),
        )
    if host.count(":") == 1:
        raise SetupInvalid(
            field, msg("Put the port in the port field, not in the address (%(host)s).", host=host)
        )
    try:
        ipaddress.ip_address(host.strip("[]"))
        return host.strip("[]")
    except ValueError:
        pass
    name = host.rstrip(".")
    labels = name.split(".")
    if len(name) > 253 or not all(_HOST_LABEL.match(label) for label in labels):
        raise SetupInvalid(field, msg("'%(host)s' is not an IP address or a host name.", host=host))
    if labels[-1].isdigit():
        raise SetupInvalid(field, msg("%(host)s is not a valid IP address.", host=host))
    return name


def parse_printer(value: Any) -> dict[str, Any]:
    """``{"kind": "zpl", "host", "port", "dpi", "timeout_s"?, "name"?}`` or ``{"kind": "pdf"}``."""
    data = _object(value, "printer")
    _unknown(data, ("kind", "host", "port", "dpi", "timeout_s", "name"), "printer")
    kind = _text(data, "kind", "printer.kind", 40, required=True).lower()
    if kind not in PRINTER_KINDS:
        raise SetupInvalid(
            "printer.kind",
            msg("printer.kind must be zpl (a network label printer) or pdf (the browser)."),
        )
    name = _text(data, "name", "printer.name", 60, required=False)
    if kind == "pdf":
        return {"kind": "pdf", **({"name": name} if name else {})}
    host = check_host(_text(data, "host", "printer.host", 253, required=True))
    port = _whole(data, "port", "printer.port", 1, 65535, 9100)
    dpi = _whole(data, "dpi", "printer.dpi", 0, 10_000, 203)
    if dpi not in PRINTER_DPIS:
        raise SetupInvalid(
            "printer.dpi", msg("printer.dpi must be 203, 300 or 600, not %(dpi)s.", dpi=dpi)
        )
    out: dict[str, Any] = {"kind": "zpl", "host": host, "port": port, "dpi": dpi}
    timeout = _number(data, "timeout_s", "printer.timeout_s", 0.5, 30.0)
    if timeout is not None:
        out["timeout_s"] = timeout
    if name:
        out["name"] = name
    return out


_SCALE_TUNING = ("stable_count", "resolution_g", "poll_s")


def _tuning(data: Mapping[str, Any], out: dict[str, Any]) -> None:
    count = _whole(data, "stable_count", "scale.stable_count", 1, 50, None)
    resolution = _whole(data, "resolution_g", "scale.resolution_g", 0, 1000, None)
    poll = _number(data, "poll_s", "scale.poll_s", 0.05, 10.0)
    if count is not None:
        out["stable_count"] = count
    if resolution is not None:
        out["resolution_g"] = resolution
    if poll is not None:
        out["poll_s"] = poll


def _protocol(data: Mapping[str, Any], out: dict[str, Any]) -> None:
    protocol = _text(data, "protocol", "scale.protocol", 40, required=True).lower()
    if protocol not in PROTOCOLS:
        raise SetupInvalid(
            "scale.protocol",
            msg(
                "scale.protocol must be one of %(known)s, not %(protocol)s.",
                known=", ".join(PROTOCOLS),
                protocol=protocol,
            ),
        )
    baud = _whole(data, "baudrate", "scale.baudrate", 0, 10_000_000, 9600)
    if baud not in BAUDRATES:
        raise SetupInvalid(
            "scale.baudrate",
            msg("scale.baudrate must be one of %(known)s.", known=", ".join(map(str, BAUDRATES))),
        )
    out.update(protocol=protocol, baudrate=baud)
    unit = _text(data, "unit", "scale.unit", 40, required=False).lower()
    if unit:
        if normalise_unit(unit) is None or unit not in SCALE_UNITS:
            raise SetupInvalid(
                "scale.unit",
                msg("scale.unit must be one of %(known)s.", known=", ".join(SCALE_UNITS)),
            )
        out["unit"] = unit


def parse_scale(value: Any) -> dict[str, Any]:
    """The scale table a weigh station reads, as stations.toml would write it."""
    data = _object(value, "scale")
    driver = _text(data, "driver", "scale.driver", 40, required=True).lower()
    if driver not in SCALE_DRIVERS:
        raise SetupInvalid(
            "scale.driver",
            msg(
                "Unknown scale driver '%(driver)s': use one of %(known)s.",
                driver=driver,
                known=", ".join(SCALE_DRIVERS),
            ),
        )
    out: dict[str, Any] = {"driver": driver}
    if driver == "serial":
        _unknown(
            data,
            ("driver", "port", "protocol", "baudrate", "unit", "timeout_s", *_SCALE_TUNING),
            "scale",
        )
        port = _text(data, "port", "scale.port", 200, required=True)
        if not _SERIAL_PORT.match(port):
            raise SetupInvalid(
                "scale.port",
                msg("'%(port)s' is not a serial port (e.g. /dev/ttyUSB0 or COM3).", port=port),
            )
        out["port"] = port
        _protocol(data, out)
        timeout = _number(data, "timeout_s", "scale.timeout_s", 0.05, 10.0)
        if timeout is not None:
            out["timeout_s"] = timeout
        _tuning(data, out)
    elif driver == "hid":
        _unknown(data, ("driver", "path", *_SCALE_TUNING), "scale")
        path = _text(data, "path", "scale.path", 200, required=True)
        if not (path.startswith("/dev/hidraw") or path.startswith("hid:")):
            raise SetupInvalid("scale.path", msg("scale.path is /dev/hidrawN or hid:VVVV:PPPP."))
        out["path"] = path
        _tuning(data, out)
    elif driver == "browser":
        _unknown(
            data, ("driver", "transport", "protocol", "baudrate", "unit", *_SCALE_TUNING), "scale"
        )
        transport = _text(data, "transport", "scale.transport", 40, required=True).lower()
        if transport not in ("hid", "serial"):
            raise SetupInvalid("scale.transport", msg("scale.transport must be hid or serial."))
        out["transport"] = transport
        if transport == "serial":
            _protocol(data, out)
        _tuning(data, out)
    elif driver == "simulated":
        _unknown(data, ("driver", "noise_g", *_SCALE_TUNING), "scale")
        noise = _whole(data, "noise_g", "scale.noise_g", 0, 100, None)
        if noise is not None:
            out["noise_g"] = noise
        _tuning(data, out)
    else:
        _unknown(data, ("driver",), "scale")
    return out


def parse_camera(value: Any) -> dict[str, Any]:
    """The camera the browser offered (its label and device id), as chosen on the page."""
    data = _object(value, "camera")
    _unknown(data, ("label", "device_id"), "camera")
    label = _text(data, "label", "camera.label", 120, required=False)
    device_id = _text(data, "device_id", "camera.device_id", 200, required=False)
    if not label and not device_id:
        raise SetupInvalid("camera", msg("Choose a camera (or clear the setting)."))
    return {"label": label or "Camera", "device_id": device_id}


def parse_carrier_account(value: Any, known: Collection[str]) -> str:
    if not isinstance(value, str) or not value.strip():
        raise SetupInvalid("carrier_account", msg("carrier_account must be an account code."))
    code = value.strip()
    if code not in known:
        listed = ", ".join(sorted(known)) or msg("none in config/carriers.toml")
        raise SetupInvalid(
            "carrier_account",
            msg(
                "Unknown carrier account '%(code)s': use one of %(known)s.", code=code, known=listed
            ),
        )
    return code
