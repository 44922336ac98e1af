"""The Zebra DataWedge profile Dockhand expects on an Android handheld, as data.

Dockhand's pages read a scanner as a keyboard (static/js/station.js): the code's characters,
then ENTER, with nothing focused. GS1's group separator arrives as Ctrl+] (or a printable
stand-in named with ``wedge.gs``). No prefix and no suffix: a prefix would also be typed into
the PIN and "type a code" fields, where nothing strips it. So the profile is:

- associated with Chrome (``com.android.chrome``, every activity);
- barcode input on, with Code 128 (plain and GS1-128), EAN-13, EAN-8, UPC-A, UPC-E,
  DataMatrix (GS1 DataMatrix included) and QR enabled, the rarely wanted symbologies that
  DataWedge enables by default switched off, and no symbology identifier sent;
- keystroke output on, no inter-character delay, control characters sent as key events;
- basic data formatting: the data, then ENTER; intent output off (keystrokes and an intent
  both on is the classic double delivery).

:func:`set_config` is the DataWedge ``SET_CONFIG`` bundle (as JSON-like data) for the
``com.symbol.datawedge.api.ACTION`` intent; :data:`PROFILE_STEPS` is the same profile as the
DataWedge app's own screens show it, for setting up a device by hand. The parameter names
follow Zebra's SET_CONFIG reference (techdocs.zebra.com/datawedge/latest/guide/api/setconfig).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

PROFILE_NAME = "Dockhand"
CHROME = "com.android.chrome"
GS = "\x1d"

ENABLED_DECODERS = (
    "decoder_code128",
    "decoder_ean13",
    "decoder_ean8",
    "decoder_upca",
    "decoder_upce0",
    "decoder_datamatrix",
    "decoder_gs1_datamatrix",
    "decoder_qrcode",
)
# On by default in DataWedge, not used on a Dockhand floor: off, so a stray symbol on a
# carton is not typed into the page.
DISABLED_DECODERS = (
    "decoder_code39",
    "decoder_codabar",
    "decoder_i2of5",
    "decoder_d2of5",
    "decoder_msi",
    "decoder_code93",
    "decoder_pdf417",
    "decoder_aztec",
    "decoder_maxicode",
    "decoder_micropdf",
)


def _flags(names: tuple[str, ...], on: bool) -> dict[str, str]:
    return {name: "true" if on else "false" for name in names}


def set_config(profile_name: str = PROFILE_NAME) -> dict[str, Any]:
    """The SET_CONFIG main bundle: create the profile if missing and set every plug-in."""
    barcode = {
        "scanner_selection": "auto",
        "scanner_input_enabled": "true",
        **_flags(ENABLED_DECODERS, True),
        "decoder_code128_enable_plain": "true",
        "decoder_code128_enable_ean128": "true",
        "decoder_upca_report_check_digit": "true",
        **_flags(DISABLED_DECODERS, False),
        "code_id_type": "0",  # no ]C1 / ]d2 in front of the data: badges must stay U0001
    }
    keystroke = {
        "keystroke_output_enabled": "true",
        "keystroke_action_char": "0",
        "keystroke_character_delay": "0",
        "keystroke_delay_control_chars": "0",
        "keystroke_send_control_chars_as_events": "true",
    }
    bdf = {
        "bdf_enabled": "true",
        "bdf_prefix": "",
        "bdf_suffix": "",
        "bdf_send_data": "true",
        "bdf_send_hex": "false",
        "bdf_send_tab": "false",
        "bdf_send_enter": "true",
    }
    return {
        "PROFILE_NAME": profile_name,
        "PROFILE_ENABLED": "true",
        "CONFIG_MODE": "CREATE_IF_NOT_EXIST",
        "APP_LIST": [{"PACKAGE_NAME": CHROME, "ACTIVITY_LIST": ["*"]}],
        "PLUGIN_CONFIG": [
            {"PLUGIN_NAME": "BARCODE", "RESET_CONFIG": "true", "PARAM_LIST": barcode},
            {"PLUGIN_NAME": "KEYSTROKE", "RESET_CONFIG": "true", "PARAM_LIST": keystroke},
            {
                "PLUGIN_NAME": "INTENT",
                "RESET_CONFIG": "true",
                "PARAM_LIST": {"intent_output_enabled": "false"},
            },
            {
                "PLUGIN_NAME": "BDF",
                "RESET_CONFIG": "true",
                "OUTPUT_PLUGIN_NAME": "KEYSTROKE",
                "PARAM_LIST": bdf,
            },
        ],
    }


# (where in the DataWedge app, what to set) in the order a person walks through the screens.
PROFILE_STEPS: tuple[tuple[str, str], ...] = (
    ("DataWedge > menu > New profile", f"Name it {PROFILE_NAME}"),
    ("Associated apps > menu > New app/activity", f"{CHROME}, then * (every activity)"),
    ("Profile enabled", "On"),
    ("Barcode input > Enabled", "On; scanner selection Auto"),
    (
        "Barcode input > Decoders",
        "On: Code 128, EAN-13, EAN-8, UPC-A, UPC-E, Data Matrix, GS1 DataMatrix, QR Code. "
        "Off: Code 39, Codabar, Interleaved 2 of 5, Discrete 2 of 5, MSI, Code 93, PDF417, "
        "Aztec, MaxiCode, MicroPDF",
    ),
    ("Barcode input > Decoders > Code 128", "Enable plain Code 128 and GS1-128 (EAN-128)"),
    ("Barcode input > Reader params / Code ID type", "None (no symbology identifier)"),
    ("Keystroke output > Enabled", "On"),
    ("Keystroke output > Inter character delay", "0 ms"),
    ("Keystroke output > Send control characters as events", "On (GS reaches Chrome as Ctrl+])"),
    (
        "Keystroke output > Basic data formatting",
        "Enabled; prefix and suffix empty; send data; send ENTER key",
    ),
    ("Intent output > Enabled", "Off"),
)


@dataclass(frozen=True)
class ScanSample:
    """A barcode on the sheet for the scanner test: what it encodes and what Dockhand's page
    must receive from a correctly set-up scanner (GS1 separators as GS)."""

    key: str
    symbology: str
    human: str  # printed under the symbol
    expect: str

    @property
    def gs1(self) -> bool:
        return self.human.startswith("(")


TEST_CODES: tuple[ScanSample, ...] = (
    ScanSample("code128", "Code 128", "DOCKHAND-TEST", "DOCKHAND-TEST"),
    ScanSample("ean13", "EAN-13", "4006381333931", "4006381333931"),
    ScanSample("upca", "UPC-A", "036000291452", "036000291452"),
    ScanSample(
        "gs1_128",
        "GS1-128",
        "(01)09501101530003(10)LOT7(21)SN1",
        "010950110153000310LOT7" + GS + "21SN1",
    ),
    ScanSample(
        "gs1_datamatrix",
        "GS1 DataMatrix",
        "(01)09501101530003(17)271231(10)LOT7(21)SN1",
        "01095011015300031727123110LOT7" + GS + "21SN1",
    ),
    ScanSample("qr", "QR Code", "DOCKHAND-QR-TEST", "DOCKHAND-QR-TEST"),
)
