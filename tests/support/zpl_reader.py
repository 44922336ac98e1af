"""Reads our ZPL back the way a printer interprets it, for the structural proofs in the tests:
the text of every field (``^FH`` hex escapes undone) and the content of every Code 128
(``^BC`` mode N invocation codes applied, FNC1 kept as "\\xf1").

Written from the ZPL II manual's tables, independently of labels/zpl.py's encoder.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

FNC1 = "\xf1"


@dataclass(frozen=True)
class ZplBarcode:
    x: int
    y: int
    module: int
    height: int
    content: str  # FNC1 as "\xf1"

    @property
    def is_gs1(self) -> bool:
        return self.content.startswith(FNC1)

    def scanned(self) -> str:
        """What a scanner reports: GS1-128 as ']C1' + data with FNC1 separators as GS."""
        if self.is_gs1:
            return "]C1" + self.content[1:].replace(FNC1, "\x1d")
        return self.content


@dataclass(frozen=True)
class ZplText:
    x: int
    y: int
    text: str
    reverse: bool


def commands(zpl: str) -> list[str]:
    """The command stream split at every ^ or ~ (each item starts with its prefix)."""
    return [m.group(0) for m in re.finditer(r"[\^~][^\^~]*", zpl)]


def unhex(data: str, escape: str = "_") -> str:
    out = bytearray()
    i = 0
    while i < len(data):
        if (
            data[i] == escape
            and i + 2 < len(data) + 0
            and re.fullmatch(r"[0-9A-Fa-f]{2}", data[i + 1 : i + 3])
        ):
            out.append(int(data[i + 1 : i + 3], 16))
            i += 3
        else:
            out.extend(data[i].encode("utf-8"))
            i += 1
    return out.decode("utf-8")


_B_SPECIAL = {">0": ">", "><": "^", ">=": "~", ">8": FNC1}


def decode_bc(field: str) -> str:
    """^BC mode N field data to its content."""
    subset = "B"
    i = 0
    if field.startswith(">;"):
        subset, i = "C", 2
    elif field.startswith(">:"):
        subset, i = "B", 2
    elif field.startswith(">9"):
        raise ValueError("subset A is not used by our labels")
    out: list[str] = []
    while i < len(field):
        pair = field[i : i + 2]
        if subset == "C":
            if pair == ">8":
                out.append(FNC1)
            elif pair == ">6":
                subset = "B"
            elif pair == ">7":
                raise ValueError("subset A is not used by our labels")
            elif re.fullmatch(r"\d\d", pair):
                out.append(pair)
            else:
                raise ValueError(f"not a digit pair in subset C: {pair!r} in {field!r}")
            i += 2
            continue
        if pair == ">5":
            subset = "C"
            i += 2
        elif pair in _B_SPECIAL:
            out.append(_B_SPECIAL[pair])
            i += 2
        elif field[i] == ">":
            raise ValueError(f"unknown invocation code {pair!r} in {field!r}")
        else:
            out.append(field[i])
            i += 1
    return "".join(out)


def read(zpl: bytes) -> tuple[list[ZplText], list[ZplBarcode]]:
    text = zpl.decode("utf-8")
    texts: list[ZplText] = []
    barcodes: list[ZplBarcode] = []
    x = y = 0
    module = 2
    hexed = reverse = False
    pending_bc: int | None = None
    for cmd in commands(text):
        name, args = cmd[:3], cmd[3:]
        if name == "^FO":
            x, y = (int(v) for v in args.split(",")[:2])
            hexed = reverse = False
            pending_bc = None
        elif name == "^BY":
            module = int(args.split(",")[0])
        elif name == "^BC":
            pending_bc = int(args.split(",")[1])
        elif name == "^FH":
            hexed = True
        elif name == "^FR":
            reverse = True
        elif name == "^FD":
            if pending_bc is not None:
                barcodes.append(ZplBarcode(x, y, module, pending_bc, decode_bc(args)))
            else:
                texts.append(ZplText(x, y, unhex(args) if hexed else args, reverse))
        elif name == "^FS":
            hexed = reverse = False
            pending_bc = None
    return texts, barcodes
