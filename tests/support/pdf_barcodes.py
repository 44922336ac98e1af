"""Read a PDF back as a printer and a scanner would: rasterise every page with poppler's
pdftoppm, decode its Code 128 symbols with zbar (pyzbar) and ZXing (zxing-cpp), and find
where pdftotext places each word."""

from __future__ import annotations

import re
import subprocess
import tempfile
from pathlib import Path

import zxingcpp
from PIL import Image
from pyzbar import pyzbar

_WORD = re.compile(
    r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>'
)


def write(pdf: bytes, folder: Path, stem: str) -> Path:
    path = folder / f"{stem}.pdf"
    path.write_bytes(pdf)
    return path


def rasterise(pdf: bytes, folder: Path, stem: str = "sheet", dpi: int = 200) -> list[Path]:
    # A folder of its own per call: pages of an earlier, longer PDF must not be read again.
    folder = Path(tempfile.mkdtemp(prefix=f"{stem}-", dir=folder))
    path = write(pdf, folder, stem)
    prefix = folder / f"{stem}-{dpi}"
    subprocess.run(
        ["pdftoppm", "-r", str(dpi), "-gray", "-png", str(path), str(prefix)],
        check=True,
        capture_output=True,
    )
    pages = sorted(folder.glob(f"{prefix.name}-*.png"))
    assert pages, "pdftoppm produced no pages"
    return pages


def code128_by_page(
    pdf: bytes, folder: Path, stem: str = "sheet", dpi: int = 200
) -> list[tuple[list[str], list[str]]]:
    """For each page: (what zbar reads, what ZXing reads), each sorted."""
    out = []
    for png in rasterise(pdf, folder, stem, dpi):
        with Image.open(png) as image:
            zbar = sorted(
                s.data.decode("ascii") for s in pyzbar.decode(image) if s.type == "CODE128"
            )
            zxing = sorted(
                b.text
                for b in zxingcpp.read_barcodes(image)
                if b.format == zxingcpp.BarcodeFormat.Code128
            )
        out.append((zbar, zxing))
    return out


def pages(pdf: bytes, folder: Path) -> int:
    path = write(pdf, folder, "info")
    info = subprocess.run(["pdfinfo", str(path)], check=True, capture_output=True, text=True)
    for line in info.stdout.splitlines():
        if line.startswith("Pages:"):
            return int(line.split(":")[1])
    raise AssertionError("pdfinfo reported no page count")


def page_size_pt(pdf: bytes, folder: Path) -> tuple[float, float]:
    path = write(pdf, folder, "size")
    info = subprocess.run(["pdfinfo", str(path)], check=True, capture_output=True, text=True)
    m = re.search(r"Page size:\s+([\d.]+) x ([\d.]+) pts", info.stdout)
    assert m, info.stdout
    return float(m.group(1)), float(m.group(2))


def text(pdf: bytes, folder: Path) -> str:
    path = write(pdf, folder, "text")
    out = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(path), "-"], check=True, capture_output=True
    )
    return out.stdout.decode("utf-8")


def word_heights(pdf: bytes, folder: Path) -> dict[str, float]:
    """Each word's tallest box height in points (about its font size)."""
    path = write(pdf, folder, "bbox")
    out = subprocess.run(
        ["pdftotext", "-bbox", "-enc", "UTF-8", str(path), "-"], check=True, capture_output=True
    )
    heights: dict[str, float] = {}
    for _x0, y0, _x1, y1, word in _WORD.findall(out.stdout.decode("utf-8")):
        heights[word] = max(heights.get(word, 0.0), float(y1) - float(y0))
    return heights
