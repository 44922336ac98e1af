"""GS1 keys we issue for B2B freight: SSCCs (logistic units: cartons and pallets), GSINs
(shipments: the bill of lading number) and the GLNs we check on the way in.

An SSCC-18 is: extension digit (0-9), GS1 company prefix (6-12 digits), serial reference
(as many digits as make 17 with the two before), check digit (GS1 mod 10). The serials come
from a configured range; the caller draws them from a counter row in the same transaction
as the carton or pallet that gets the number, so a number is never issued twice. Pure: no
database, no configuration files.
"""

from __future__ import annotations

from dataclasses import dataclass


def check_digit(digits: str) -> int:
    """The GS1 mod 10 check digit of ``digits`` (the key without its check digit).

    From the right, digits are weighted 3, 1, 3, 1, ...; the check digit brings the sum up
    to the next multiple of ten (GS1 General Specifications 7.9.1). The same algorithm
    serves GTIN-8/12/13/14, GLN, SSCC and GSIN."""
    if not digits or not digits.isascii() or not digits.isdigit():
        raise ValueError(f"a GS1 key is digits only, got {digits!r}")
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(digits)))
    return (10 - total % 10) % 10


def is_valid_key(value: str, length: int) -> bool:
    """``value`` has ``length`` digits and its last digit is the right check digit."""
    return (
        len(value) == length
        and value.isascii()
        and value.isdigit()
        and check_digit(value[:-1]) == int(value[-1])
    )


def is_valid_sscc(value: str) -> bool:
    return is_valid_key(value, 18)


def is_valid_gln(value: str) -> bool:
    return is_valid_key(value, 13)


def is_valid_gtin(value: str) -> bool:
    return len(value) in (8, 12, 13, 14) and is_valid_key(value, len(value))


def gtin14(value: str) -> str:
    """A GTIN-8/12/13/14 as the 14 digits AI 01 and 02 carry."""
    if not is_valid_gtin(value):
        raise ValueError(f"{value!r} is not a GTIN with a valid check digit")
    return value.zfill(14)


@dataclass(frozen=True)
class SsccRange:
    """Where our SSCCs come from: extension digit, company prefix and serial range."""

    company_prefix: str
    extension_digit: int
    serial_first: int
    serial_last: int

    def __post_init__(self) -> None:
        prefix = self.company_prefix
        if not (prefix.isascii() and prefix.isdigit() and 6 <= len(prefix) <= 12):
            raise ValueError(f"the GS1 company prefix must be 6 to 12 digits, got {prefix!r}")
        if not 0 <= self.extension_digit <= 9:
            raise ValueError(f"the extension digit must be 0-9, got {self.extension_digit}")
        if not 0 <= self.serial_first <= self.serial_last:
            raise ValueError(
                f"the serial range {self.serial_first}-{self.serial_last} is empty or negative"
            )
        if self.serial_last > self.max_serial:
            raise ValueError(
                f"serial_last {self.serial_last} needs more than the {self.serial_width} digits "
                f"a {len(prefix)}-digit company prefix leaves (at most {self.max_serial})"
            )

    @property
    def serial_width(self) -> int:
        return 16 - len(self.company_prefix)

    @property
    def max_serial(self) -> int:
        return int(10**self.serial_width - 1)

    @property
    def counter_name(self) -> str:
        """One counter per extension digit and prefix: a new prefix starts its own range."""
        return f"sscc:{self.extension_digit}{self.company_prefix}"

    def contains(self, serial: int) -> bool:
        return self.serial_first <= serial <= self.serial_last

    def sscc(self, serial: int) -> str:
        """The SSCC for ``serial``; ``ValueError`` outside the configured range."""
        if not self.contains(serial):
            raise ValueError(
                f"SSCC serial {serial} is outside the configured range "
                f"{self.serial_first}-{self.serial_last}: configure a new range"
            )
        return make_sscc(self.extension_digit, self.company_prefix, serial)


def make_sscc(extension_digit: int, company_prefix: str, serial: int) -> str:
    """The 18-digit SSCC: extension digit, company prefix, zero-padded serial, check digit."""
    width = 16 - len(company_prefix)
    if not (company_prefix.isascii() and company_prefix.isdigit()) or not 4 <= width <= 10:
        raise ValueError(f"the GS1 company prefix must be 6 to 12 digits, got {company_prefix!r}")
    if not 0 <= extension_digit <= 9:
        raise ValueError(f"the extension digit must be 0-9, got {extension_digit}")
    if not 0 <= serial < 10**width:
        raise ValueError(f"serial {serial} does not fit a {width}-digit serial reference")
    body = f"{extension_digit}{company_prefix}{serial:0{width}d}"
    return body + str(check_digit(body))


def make_gsin(company_prefix: str, serial: int) -> str:
    """A 17-digit Global Shipment Identification Number (AI 402): company prefix, shipper
    reference, check digit. Our bill of lading numbers are GSINs."""
    width = 16 - len(company_prefix)
    if not (company_prefix.isascii() and company_prefix.isdigit()) or not 4 <= width <= 10:
        raise ValueError(f"the GS1 company prefix must be 6 to 12 digits, got {company_prefix!r}")
    if not 0 <= serial < 10**width:
        raise ValueError(f"shipper reference {serial} does not fit {width} digits")
    body = f"{company_prefix}{serial:0{width}d}"
    return body + str(check_digit(body))


def sscc_hri(sscc: str, company_prefix_length: int | None = None) -> str:
    """``3 0614141 000000001 8``: the SSCC grouped for people (extension, prefix, serial,
    check), as printed under the barcode after ``(00)``."""
    if not is_valid_sscc(sscc):
        raise ValueError(f"{sscc!r} is not a valid SSCC")
    if company_prefix_length is None:
        return f"{sscc[0]} {sscc[1:17]} {sscc[17]}"
    end = 1 + company_prefix_length
    return f"{sscc[0]} {sscc[1:end]} {sscc[end:17]} {sscc[17]}"
