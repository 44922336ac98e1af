"""Server-side barcode decoding for pack/ship stations and phone-camera frames.

    decode_image(image) -> list[Decoded]

`image` is a numpy array (grey, BGR or BGRA), the encoded bytes of an image file, or a path.
The answer lists the barcodes found, most prominent first, and is empty when there is none.

The work is a cascade, cheapest first, that stops at the first confident answer:

1. zxing-cpp on the grey image as it is (all orientations, its own downscaling). On most
   frames this is the only step, so the median cost is one zxing-cpp call (about 1.5 ms for a
   640×480 frame). Its reads are taken when they are strong: a matrix symbol (Reed-Solomon
   corrected), or a linear one read across 5 or more scan lines. Wrong linear reads, EAN/UPC
   numbers with a valid check digit included, come from 1-4 lines. Two different numbers read
   from the same bars (it happens on tilted EAN-13s) go to zbar as referee. ITF, UPC-E and
   EAN-8 reads on tilted bars are re-read with the bars made upright: a scan line leaving the
   bars early can end an ITF short, or find a UPC-E inside an EAN-13, with nothing looking
   wrong.
2. Only when step 1 has nothing confident, OpenCV variants of the image (CLAHE local contrast,
   2× cubic upscaling of small images, background flattening, unsharp masking, inversion for
   light-on-dark symbols) go to zxing-cpp (two binarizers) and zbar (pyzbar), in a fixed
   order. Every read is a vote for its text and a text is reported once the votes settle it:
   zxing-cpp and zbar agree; or zxing-cpp read it strongly on two different variants; or one
   zxing-cpp read of a matrix symbol; or zbar alone on an EAN/UPC read over 20+ scan lines of
   an image whose bar widths were left alone (not sharpened nor flattened: zbar then misreads
   EAN/UPC consistently).
   `budget_ms` caps this step.

Texts are reported in the symbology's natural form: UPC-A as 12 digits, UPC-E as 8, EAN-13 as
13 (an EAN-13 that starts with 0 is a UPC-A symbol and is reported as one). Every EAN/UPC also
carries `gtin14` (zero-padded GTIN-14, UPC-E expanded), the form to compare and look up. GS1
content keeps its GS (0x1d) separators; AIM symbology identifiers (]C1, ]d2, …) are stripped.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeAlias

import cv2
import numpy as np
import zxingcpp
from numpy.typing import NDArray

try:  # pyzbar needs the libzbar0 shared library; without it we decode with zxing-cpp alone
    from pyzbar import pyzbar as _pyzbar
except ImportError:  # pragma: no cover - depends on the host
    _pyzbar = None

Gray: TypeAlias = NDArray[np.uint8]
ImageInput: TypeAlias = NDArray[Any] | bytes | bytearray | memoryview | str | os.PathLike[str]
Quad: TypeAlias = tuple[tuple[float, float], ...]

RETAIL_FORMATS = frozenset({"ean13", "ean8", "upca", "upce"})
# Symbologies with Reed-Solomon error correction: a misread there is vanishingly rare.
_ECC_FORMATS = frozenset({"qrcode", "microqr", "rmqr", "datamatrix", "aztec", "pdf417", "maxicode"})
# Linear symbologies whose data carry a mandatory check character.
_CHECKED_FORMATS = RETAIL_FORMATS | {"code128", "databar", "databar-expanded", "databar-limited"}
# Shorter reads of these are mostly noise (a single Code 39 "T" on a textured background).
_MIN_LENGTH = {"itf": 6, "code39": 3, "code93": 3, "code128": 2, "codabar": 4}

_ZX_FORMATS = (
    "EAN13,EAN8,UPCA,UPCE,Code128,ITF,Code39,Code93,QRCode,MicroQRCode,DataMatrix,"
    "PDF417,Aztec,DataBar,DataBarExp,DataBarLtd"
)
_ZX_NAMES = {
    "ean13": "ean13",
    "ean8": "ean8",
    "upca": "upca",
    "upce": "upce",
    "code128": "code128",
    "itf": "itf",
    "itf14": "itf",
    "code39": "code39",
    "code39std": "code39",
    "code39ext": "code39",
    "code93": "code93",
    "codabar": "codabar",
    "qrcode": "qrcode",
    "qrcodemodel1": "qrcode",
    "qrcodemodel2": "qrcode",
    "microqrcode": "microqr",
    "rmqrcode": "rmqr",
    "datamatrix": "datamatrix",
    "pdf417": "pdf417",
    "compactpdf417": "pdf417",
    "micropdf417": "pdf417",
    "aztec": "aztec",
    "azteccode": "aztec",
    "maxicode": "maxicode",
    "databar": "databar",
    "databaromni": "databar",
    "databarstk": "databar",
    "databarstkomni": "databar",
    "databarexp": "databar-expanded",
    "databarexpanded": "databar-expanded",
    "databarexpstk": "databar-expanded",
    "databarltd": "databar-limited",
    "databarlimited": "databar-limited",
}
_ZBAR_NAMES = {
    "EAN13": "ean13",
    "EAN8": "ean8",
    "UPCA": "upca",
    "UPCE": "upce",
    "I25": "itf",
    "CODE39": "code39",
    "CODE93": "code93",
    "CODE128": "code128",
    "QRCODE": "qrcode",
}  # not zbar's DataBar: its decoder trips internal assertions on photos (zxing-cpp reads it)
# AIM symbology identifiers that announce GS1 / AIM content (]C1 GS1-128, ]e0 DataBar,
# ]d2 GS1 DataMatrix, ]Q3 GS1 QR, ]J1 GS1 DotCode): never part of the data.
_AIM_PREFIX = re.compile(r"^\](?:C1|e0|d2|Q3|J1)")


class ImageLoadError(ValueError):
    """The input is not an image we can read."""


@dataclass(frozen=True)
class Decoded:
    """One barcode found in an image.

    `text` is the payload in the symbology's natural form, `format` a normalised symbology
    name (ean13 ean8 upca upce code128 itf code39 code93 qrcode datamatrix pdf417 aztec …),
    `gtin14` the 14-digit GTIN of an EAN/UPC (None for other symbologies). `stage` names the
    cascade step that produced the answer; it is diagnostic and not part of equality.
    """

    text: str
    format: str
    gtin14: str | None = None
    stage: str = field(default="", compare=False)


# --------------------------------------------------------------------------------------------
# GS1 helpers


def gs1_check_digit(body: str) -> int:
    """The GS1 mod-10 check digit for `body` (all digits but the check digit)."""
    total = 0
    for i, ch in enumerate(reversed(body)):
        total += int(ch) * (3 if i % 2 == 0 else 1)
    return (10 - total % 10) % 10


def gs1_valid(code: str) -> bool:
    return code.isdigit() and len(code) >= 2 and gs1_check_digit(code[:-1]) == int(code[-1])


def upce_to_upca(upce: str) -> str | None:
    """Expand an 8-digit UPC-E (number system, 6 digits, check) to its 12-digit UPC-A."""
    if len(upce) != 8 or not upce.isdigit() or upce[0] not in "01":
        return None
    ns, d, check = upce[0], upce[1:7], upce[7]
    last = d[5]
    if last in "012":
        body = d[0:2] + last + "0000" + d[2:5]
    elif last == "3":
        body = d[0:3] + "00000" + d[3:5]
    elif last == "4":
        body = d[0:4] + "00000" + d[4]
    else:
        body = d[0:5] + "0000" + last
    return ns + body + check


def upca_to_upce(upca: str) -> str | None:
    """Compress a 12-digit UPC-A to its 8-digit UPC-E, or None when it has no UPC-E form."""
    if len(upca) != 12 or not upca.isdigit() or upca[0] not in "01":
        return None
    ns, m, p, check = upca[0], upca[1:6], upca[6:11], upca[11]
    if m[2] in "012" and m[3:5] == "00" and p[0:2] == "00":
        d = m[0:2] + p[2:5] + m[2]
    elif m[3:5] == "00" and p[0:3] == "000":
        d = m[0:3] + p[3:5] + "3"
    elif m[4] == "0" and p[0:4] == "0000":
        d = m[0:4] + p[4] + "4"
    elif p[0:4] == "0000" and p[4] in "56789":
        d = m + p[4]
    else:
        return None
    upce = ns + d + check
    return upce if upce_to_upca(upce) == upca else None


def gtin14(text: str, fmt: str) -> str | None:
    """The zero-padded GTIN-14 of an EAN/UPC text (UPC-E expanded), None if it is not one."""
    if not text.isdigit():
        return None
    if fmt == "upce" and len(text) == 8:
        upca = upce_to_upca(text)
        if upca is None:
            return None
        text = upca
    if len(text) not in (8, 12, 13, 14):
        return None
    return text.zfill(14)


def normalise_retail(text: str, fmt: str) -> tuple[str, str, str] | None:
    """(natural text, format, gtin14) of an EAN/UPC read, None if it is not a valid one.

    Accepts what the decoders return: zxing-cpp 3.x gives UPC-A and UPC-E as 13 digits, zbar
    gives 12 / 8 digits when UPC-A / UPC-E are enabled, and 13 digits otherwise.
    """
    if not text.isdigit():
        return None
    if fmt == "upce":
        if len(text) == 8:
            upca = upce_to_upca(text)
        elif len(text) == 13 and text[0] == "0":
            upca = text[1:]
        elif len(text) == 12:
            upca = text
        else:
            return None
        if upca is None or not gs1_valid(upca):
            return None
        upce = upca_to_upce(upca)
        if upce is None:  # not a UPC-E number after all: report what it is
            return upca, "upca", upca.zfill(14)
        return upce, "upce", upca.zfill(14)
    if fmt in ("upca", "ean13"):
        if len(text) == 13 and text[0] == "0":
            text, fmt = text[1:], "upca"
        if (fmt == "upca" and len(text) != 12) or (fmt == "ean13" and len(text) != 13):
            return None
    elif fmt == "ean8":
        if len(text) != 8:
            return None
    else:
        return None
    if not gs1_valid(text):
        return None
    return text, fmt, text.zfill(14)


def make_decoded(text: str, fmt: str, stage: str = "") -> Decoded | None:
    """A Decoded for a raw decoder read, or None when the read fails the sanity checks."""
    if fmt in RETAIL_FORMATS:
        norm = normalise_retail(text, fmt)
        if norm is None:
            return None
        return Decoded(norm[0], norm[1], norm[2], stage)
    text = _AIM_PREFIX.sub("", text, count=1)
    if len(text) < _MIN_LENGTH.get(fmt, 1):
        return None
    if fmt == "itf" and (not text.isdigit() or len(text) % 2):
        return None
    return Decoded(text, fmt, None, stage)


# --------------------------------------------------------------------------------------------
# Image input


def load_gray(image: ImageInput) -> Gray:
    """`image` (array, encoded bytes, or a file path) as an 8-bit single-channel array.

    Never modifies its input; a grey uint8 array comes back as it is (made contiguous)."""
    if isinstance(image, np.ndarray):
        return _array_to_gray(image)
    if isinstance(image, (bytes, bytearray, memoryview)):
        return _bytes_to_gray(bytes(image), "image bytes")
    if isinstance(image, (str, os.PathLike)):
        path = os.fspath(image)
        try:
            with open(path, "rb") as fh:
                data = fh.read()
        except OSError as exc:
            raise ImageLoadError(f"cannot read {path}: {exc.strerror or exc}") from exc
        return _bytes_to_gray(data, path)
    raise TypeError(f"expected an array, bytes or a path, not {type(image).__name__}")


def _array_to_gray(arr: NDArray[Any]) -> Gray:
    if arr.size == 0:
        raise ImageLoadError("empty image")
    if arr.dtype != np.uint8:
        if arr.dtype == np.bool_:
            arr = arr.astype(np.uint8) * 255
        elif arr.dtype == np.uint16:
            arr = (arr >> 8).astype(np.uint8)
        else:
            f = arr.astype(np.float64)
            lo, hi = float(f.min()), float(f.max())
            if hi <= 1.0 and lo >= 0.0:
                f = f * 255.0
            elif hi > 255.0 or lo < 0.0:
                f = (f - lo) * (255.0 / max(hi - lo, 1e-9))
            arr = np.clip(f + 0.5, 0, 255).astype(np.uint8)
    if arr.ndim == 3 and arr.shape[2] == 1:
        arr = arr[:, :, 0]
    if arr.ndim == 2:
        return np.ascontiguousarray(arr)
    if arr.ndim == 3 and arr.shape[2] == 3:
        return np.asarray(cv2.cvtColor(arr, cv2.COLOR_BGR2GRAY), dtype=np.uint8)
    if arr.ndim == 3 and arr.shape[2] == 4:
        return np.asarray(cv2.cvtColor(arr, cv2.COLOR_BGRA2GRAY), dtype=np.uint8)
    raise ImageLoadError(f"unsupported image shape {arr.shape}")


def _bytes_to_gray(data: bytes, what: str) -> Gray:
    if not data:
        raise ImageLoadError(f"{what}: empty file")
    buf = np.frombuffer(data, dtype=np.uint8)
    img = cv2.imdecode(buf, cv2.IMREAD_GRAYSCALE)
    if img is not None and img.size:
        return np.asarray(img, dtype=np.uint8)
    try:  # formats OpenCV was built without (GIF, some TIFF/WebP variants, …)
        import io

        from PIL import Image, ImageOps

        with Image.open(io.BytesIO(data)) as pil:
            pil.load()
            return np.asarray(ImageOps.exif_transpose(pil).convert("L"), dtype=np.uint8)
    except Exception as exc:
        raise ImageLoadError(f"{what}: not a readable image ({type(exc).__name__})") from exc


# --------------------------------------------------------------------------------------------
# Decoders


@dataclass(frozen=True)
class _Read:
    decoded: Decoded
    engine: str  # "zxing" | "zbar"
    variant: str
    quad: Quad | None  # corners in the original image's pixel coordinates
    # How many scan lines agreed on the text: zxing-cpp, the height of a linear symbol's
    # box in the variant's pixels; zbar, its quality count per working-image row.
    lines: float = 0.0


_ZX_FORMAT_SET = zxingcpp.barcode_formats_from_str(_ZX_FORMATS)
_LINEAR_FORMAT_SET = zxingcpp.barcode_formats_from_str(
    "EAN13,EAN8,UPCA,UPCE,Code128,ITF,Code39,Code93,DataBar,DataBarExp,DataBarLtd"
)


def _zx_name(fmt: Any) -> str:
    name = str(getattr(fmt, "name", fmt)).replace("-", "").replace(" ", "").lower()
    return _ZX_NAMES.get(name, name)


def _zxing(
    img: Gray,
    variant: str,
    scale: float = 1.0,
    *,
    binarizer: Any = None,
    try_invert: bool = False,
    try_downscale: bool = True,
) -> list[_Read]:
    kwargs: dict[str, Any] = {
        "formats": _ZX_FORMAT_SET,
        "text_mode": zxingcpp.TextMode.Plain,
        "try_rotate": True,
        "try_invert": try_invert,
        "try_downscale": try_downscale,
    }
    if binarizer is not None:
        kwargs["binarizer"] = binarizer
    out = []
    for b in zxingcpp.read_barcodes(img, **kwargs):
        if not b.valid:
            continue
        dec = make_decoded(b.text, _zx_name(b.format), variant)
        if dec is None:
            continue
        p = b.position
        corners = [
            (float(pt.x), float(pt.y))
            for pt in (p.top_left, p.top_right, p.bottom_right, p.bottom_left)
        ]
        quad = tuple((x / scale, y / scale) for x, y in corners)
        if dec.format in _ECC_FORMATS:
            lines = float("inf")
        elif dec.format in RETAIL_FORMATS and _edge_to_edge(corners, img.shape[:2]):
            lines = 0.0  # no room for the quiet zones an EAN/UPC needs: a texture, say
        else:
            lines = _height(tuple(corners)) + 1.0
        out.append(_Read(dec, "zxing", variant, quad, lines))
    return out


def _edge_to_edge(corners: list[tuple[float, float]], shape: tuple[int, ...]) -> bool:
    """Does a read span the whole image, border to border? A fine regular grating (a grille,
    corrugated board) can decode as an EAN/UPC that way; a real one has quiet zones."""
    xs, ys = [x for x, _ in corners], [y for _, y in corners]
    rows, cols = shape[0], shape[1]
    return (min(xs) <= 1 and max(xs) >= cols - 2) or (min(ys) <= 1 and max(ys) >= rows - 2)


_ZBAR_SYMBOLS = (
    [getattr(_pyzbar.ZBarSymbol, n) for n in _ZBAR_NAMES if hasattr(_pyzbar.ZBarSymbol, n)]
    if _pyzbar is not None
    else []
)


def _zbar(img: Gray, variant: str, upscale: float = 1.0) -> list[_Read]:
    if _pyzbar is None:
        return []
    out = []
    for sym in _pyzbar.decode(img, symbols=_ZBAR_SYMBOLS):
        fmt = _ZBAR_NAMES.get(sym.type)
        if fmt is None:
            continue
        try:
            text = sym.data.decode("utf-8")
        except UnicodeDecodeError:
            continue  # zbar's charset guess failed; a guess of ours would be no better
        dec = make_decoded(text, fmt, variant)
        if dec is not None:
            out.append(_Read(dec, "zbar", variant, None, sym.quality / upscale))
    return out


# --------------------------------------------------------------------------------------------
# Preprocessing


def _clahe(img: Gray) -> Gray:
    return np.asarray(cv2.createCLAHE(clipLimit=2.0, tileGridSize=(8, 8)).apply(img), np.uint8)


def _unsharp(img: Gray, sigma: float = 3.0, amount: float = 2.0) -> Gray:
    blur = cv2.GaussianBlur(img, (0, 0), sigma)
    return np.asarray(cv2.addWeighted(img, 1.0 + amount, blur, -amount, 0), np.uint8)


def _flatten(img: Gray) -> Gray:
    """Divide out uneven illumination (shadows, glare gradients) estimated by a closing."""
    k = max(15, (min(img.shape[:2]) // 16) | 1)
    background = cv2.morphologyEx(img, cv2.MORPH_CLOSE, cv2.getStructuringElement(0, (k, k)))
    return np.asarray(cv2.divide(img, background, scale=255), np.uint8)


def _rotate(img: Gray, degrees: float) -> Gray:
    """`img` turned counter-clockwise by `degrees` on a canvas that holds all of it."""
    h, w = img.shape[:2]
    m = cv2.getRotationMatrix2D((w / 2.0, h / 2.0), degrees, 1.0)
    cos, sin = abs(m[0, 0]), abs(m[0, 1])
    nw, nh = int(h * sin + w * cos + 0.5), int(h * cos + w * sin + 0.5)
    m[0, 2] += nw / 2.0 - w / 2.0
    m[1, 2] += nh / 2.0 - h / 2.0
    border = int(np.median(img))
    return np.asarray(cv2.warpAffine(img, m, (nw, nh), borderValue=border), np.uint8)


def _bar_tilt(gray: Gray, quad: Quad) -> float:
    """The angle (degrees, for _rotate) that makes the bars under `quad` upright: the mean
    gradient orientation (structure tensor) over the box, widened across the bars' length
    because a cut-short read covers only part of the symbol."""
    q = np.asarray(quad, dtype=np.float64)
    (x0, y0), (x1, y1) = q.min(axis=0), q.max(axis=0)
    w, h = x1 - x0, y1 - y0
    if w < h:  # a vertical scan: the symbol lies on its side; measure in that frame
        x0, x1 = x0 - w, x1 + w
    else:
        y0, y1 = y0 - max(h, 8.0), y1 + max(h, 8.0)
    rows, cols = gray.shape[:2]
    crop = gray[max(0, int(y0)) : min(rows, int(y1) + 1), max(0, int(x0)) : min(cols, int(x1) + 1)]
    if crop.size < 16:
        return 0.0
    f = crop.astype(np.float32)
    gx = cv2.Sobel(f, cv2.CV_32F, 1, 0, ksize=3)
    gy = cv2.Sobel(f, cv2.CV_32F, 0, 1, ksize=3)
    jxx, jyy, jxy = float((gx * gx).sum()), float((gy * gy).sum()), float((gx * gy).sum())
    return 0.5 * float(np.degrees(np.arctan2(2.0 * jxy, jxx - jyy)))


def _resize(img: Gray, f: float) -> Gray:
    if f == 1.0:
        return img
    interp = cv2.INTER_CUBIC if f > 1.0 else cv2.INTER_AREA
    return np.asarray(cv2.resize(img, None, fx=f, fy=f, interpolation=interp), np.uint8)


# The cascade works on images no larger than this (longer side), area-downscaled: a phone
# photo's barcode is large enough at that size and zxing-cpp is 15× faster there. A larger
# image gets one zxing-cpp pass at full resolution before the escalation. Smaller images are
# also tried at twice the size: bars of 2-pixel modules resolve better after a cubic upscale.
_MAX_WORK_SIDE = 1600
_UPSCALE_BELOW = 1000

# --------------------------------------------------------------------------------------------
# The cascade

_LA = zxingcpp.Binarizer.LocalAverage
_GH = zxingcpp.Binarizer.GlobalHistogram

# (variant, decoder): the escalation steps, cheapest and most productive first. Each variant
# image is built once, on first use. zbar does not run on sharpened images: unsharp masking
# moves bar edges, and zbar then misreads EAN/UPC with a valid check digit, consistently.
_STEPS: tuple[tuple[str, str], ...] = (
    ("gray", "zbar"),
    ("clahe", "zxing"),
    ("clahe", "zxing-gh"),
    ("clahe", "zbar"),
    ("inv", "zxing"),
    ("inv", "zbar"),
    ("up-clahe", "zxing"),
    ("up-clahe", "zxing-gh"),
    ("up-clahe", "zbar"),
    ("flat", "zxing"),
    ("flat", "zbar"),
    ("sharp", "zxing"),
    ("up-sharp", "zxing"),
)
# Variants that keep bar widths: zbar may decide alone there (see _zbar_alone_ok).
_GENTLE = frozenset({"gray", "clahe", "up-clahe", "inv"})
_ZBAR_MIN_LINES = 20.0  # zbar deciding alone
_ZBAR_STRONG_LINES = 3.0  # zbar confirming zxing-cpp
_ZX_MIN_LINES = 5.0
_MAX_TILT = 5.0  # degrees of bar tilt beyond which a partial-prone read is re-read upright
# Short or variable-length linear symbols that a scan line can "find" in part of another.
_PARTIAL_PRONE = frozenset({"itf", "upce", "ean8"})


@dataclass(frozen=True)
class _Variant:
    image: Gray
    scale: float  # variant pixels per original pixel
    upscale: float  # variant pixels per working-image pixel (for zbar's line count)


class _Cascade:
    def __init__(self, gray: Gray, budget_ms: float | None) -> None:
        self.gray = gray
        self.t0 = time.perf_counter()
        self.budget_ms = budget_ms
        side = max(gray.shape[:2])
        self.work_scale = min(1.0, _MAX_WORK_SIDE / side)
        self.up_f = 2.0 if side * self.work_scale < _UPSCALE_BELOW else 1.0
        self._variants: dict[str, _Variant | None] = {}
        self._zbar_reads: dict[str, list[_Read]] = {}
        self._upright_reads: dict[int, dict[str, tuple[str, str]]] = {}
        self.votes: dict[str, list[_Read]] = {}

    def variant(self, name: str) -> _Variant | None:
        if name not in self._variants:
            self._variants[name] = self._make(name)
        return self._variants[name]

    def _make(self, name: str) -> _Variant | None:
        ws, f = self.work_scale, self.up_f
        if name.startswith("up-"):
            if f == 1.0:
                return None  # large enough already: the native-size variant covered it
            up = self.variant("up")
            assert up is not None
            img, op = up.image, name[3:]
            if op == "clahe":
                return _Variant(_clahe(img), ws * f, f)
            if op == "sharp":
                return _Variant(_unsharp(img, 4.0, 2.5), ws * f, f)
            raise KeyError(name)
        if name == "gray":
            return _Variant(_resize(self.gray, ws), ws, 1.0)
        work = self.variant("gray")
        assert work is not None
        if name == "up":
            return _Variant(_resize(work.image, f), ws * f, f)
        if name == "clahe":
            return _Variant(_clahe(work.image), ws, 1.0)
        if name == "sharp":
            return _Variant(_unsharp(work.image), ws, 1.0)
        if name == "flat":
            return _Variant(_flatten(work.image), ws, 1.0)
        if name == "inv":  # light bars on a dark ground
            return _Variant(np.asarray(255 - work.image, np.uint8), ws, 1.0)
        raise KeyError(name)

    def over_budget(self) -> bool:
        if self.budget_ms is None:
            return False
        return (time.perf_counter() - self.t0) * 1000.0 > self.budget_ms

    def run(self) -> list[Decoded]:
        work = self.variant("gray")
        assert work is not None
        first = _zxing(work.image, "gray", work.scale)
        kept = self.settle([r for r in first if _strong(r)])
        if not kept and work.scale < 1.0:  # a large image: now at full resolution
            first += _zxing(self.gray, "full", try_downscale=False)
            kept = self.settle([r for r in first if _strong(r)])
        if kept:
            return _finalise([_Read(r.decoded, r.engine, "zxing:gray", r.quad) for r in kept])
        self.add(first)  # thin or disputed reads: votes that the steps below may confirm
        for name, decoder in _STEPS:
            if self.over_budget():
                break
            v = self.variant(name)
            if v is None:
                continue
            if decoder == "zbar":
                reads = self.zbar(name)
            else:
                gh = decoder == "zxing-gh"
                reads = _zxing(
                    v.image,
                    name + ("+gh" if gh else ""),
                    v.scale,
                    binarizer=_GH if gh else _LA,
                    try_downscale=v.upscale == 1.0,
                )
            accepted = self.settle(self.add(reads))
            if accepted:
                return _finalise(accepted)
        return []

    def settle(self, reads: list[_Read]) -> list[_Read]:
        """The reads that survive the checks for wrong linear reads."""
        return self.check_tilted(self.resolve(reads))

    def zbar(self, name: str) -> list[_Read]:
        if name not in self._zbar_reads:
            v = self.variant(name)
            self._zbar_reads[name] = [] if v is None else _zbar(v.image, name, v.upscale)
        return self._zbar_reads[name]

    def resolve(self, reads: list[_Read]) -> list[_Read]:
        """Settle EAN/UPC reads that disagree about the same bars. zxing-cpp does return, now
        and then, a second number with a valid check digit for one symbol: a scan line that
        runs off skewed bars, a UPC-E inside an EAN-13. zbar's read of the image is the
        referee; without it only a read from clearly more scan lines (1.5× as tall) stands,
        and if none does, the cascade carries on as if nothing had been read."""
        for group in _conflicts(reads):
            zb = {_vote_key(r.decoded) for r in self.zbar("gray")}
            keep = [r for r in group if _vote_key(r.decoded) in zb]
            if not keep:
                ranked = sorted(group, key=lambda r: -_height(r.quad))
                rivals = [r for r in ranked if _vote_key(r.decoded) != _vote_key(ranked[0].decoded)]
                if _height(ranked[0].quad) >= 1.5 * _height(rivals[0].quad):
                    keep = [
                        r for r in group if _vote_key(r.decoded) == _vote_key(ranked[0].decoded)
                    ]
            reads = [r for r in reads if r not in group or r in keep]
        return _drop_partial_itf(reads)

    def check_tilted(self, reads: list[_Read]) -> list[_Read]:
        """Re-read linear symbols prone to partial reads when their bars are tilted. A scan
        line crossing tilted bars leaves the symbol early and may still end in a valid-looking
        pattern: a 14-digit ITF comes out as 6, 8 or 10 digits (zbar cuts it the same way),
        and a UPC-E or EAN-8 "appears" inside part of an EAN-13, check digit and all. Such a
        read stands if a re-read with the bars made upright finds it (or, for UPC-E / EAN-8,
        zbar reads it too); an ITF is replaced by the longer code it is part of; otherwise it
        is dropped."""
        out: list[_Read] = []
        for r in reads:
            if r.decoded.format not in _PARTIAL_PRONE or r.quad is None:
                out.append(r)
                continue
            angle = _bar_tilt(self.gray, r.quad)
            off_axis = (angle + 45.0) % 90.0 - 45.0  # tilt against the row or column scanned
            if abs(off_axis) < _MAX_TILT:
                out.append(r)
                continue
            upright = self._upright(round(angle))
            key = _vote_key(r.decoded)
            if key in upright:
                out.append(r)
            elif r.decoded.format == "itf":
                longer = [t for t in upright.values() if t[1] == "itf" and key in t[0]]
                if longer:
                    text = max((t[0] for t in longer), key=len)
                    out.append(_Read(Decoded(text, "itf", None), r.engine, r.variant, None))
            elif key in {_vote_key(z.decoded) for z in self.zbar("gray")}:
                out.append(r)
        return _drop_partial_itf(out)

    def _upright(self, angle: int) -> dict[str, tuple[str, str]]:
        """Linear reads (vote key -> text, format) of the image turned by `angle`."""
        if angle not in self._upright_reads:
            work = self.variant("gray")
            assert work is not None
            found = zxingcpp.read_barcodes(
                _rotate(work.image, float(angle)),
                formats=_LINEAR_FORMAT_SET,
                text_mode=zxingcpp.TextMode.Plain,
                try_rotate=False,
                try_invert=False,
            )
            reads = {}
            for b in found:
                d = make_decoded(b.text, _zx_name(b.format)) if b.valid else None
                if d is not None:
                    reads[_vote_key(d)] = (d.text, d.format)
            self._upright_reads[angle] = reads
        return self._upright_reads[angle]

    def add(self, reads: Iterable[_Read]) -> list[_Read]:
        """Record the votes of one step; the texts confirmed so far."""
        for r in reads:
            self.votes.setdefault(_vote_key(r.decoded), []).append(r)
        accepted = []
        for rs in self.votes.values():
            if _confirmed(rs):
                zx = [r for r in rs if r.engine == "zxing"]
                best = max(zx, key=lambda r: r.lines) if zx else rs[0]
                accepted.append(_Read(best.decoded, best.engine, _stage(rs), best.quad))
        return accepted


def _drop_partial_itf(reads: list[_Read]) -> list[_Read]:
    """ITF has no fixed length and a plain stop pattern, so a scan line that leaves tilted
    bars early can end in a valid-looking stop: drop an ITF text that another ITF read in the
    same image contains."""
    itf = [r.decoded.text for r in reads if r.decoded.format == "itf"]
    return [
        r
        for r in reads
        if r.decoded.format != "itf"
        or not any(r.decoded.text in t and r.decoded.text != t for t in itf)
    ]


def _strong(r: _Read) -> bool:
    """A read that stands without a second opinion: zxing-cpp on an error-corrected matrix
    symbol, or on a linear one across enough scan lines. Wrong linear reads (EAN/UPC with a
    valid check digit, ITF cut short by a scan line leaving tilted bars) come from 1-4 lines."""
    if r.engine == "zxing":
        return r.lines >= _ZX_MIN_LINES
    return r.lines >= _ZBAR_STRONG_LINES


def _confirmed(rs: Sequence[_Read]) -> bool:
    """Do the votes for one text settle it? zxing-cpp and zbar agree (on a symbology with a
    check digit, or one of them over several scan lines); or zxing-cpp read it, strongly, on
    two different image variants; or a single zxing-cpp read of an error-corrected symbol; or
    zbar alone, see _zbar_alone_ok."""
    zx = [r for r in rs if r.engine == "zxing"]
    zb = [r for r in rs if r.engine == "zbar"]
    if any(r.decoded.format in _ECC_FORMATS for r in zx):
        return True
    if zx and zb and (zx[0].decoded.format in _CHECKED_FORMATS or any(map(_strong, (*zx, *zb)))):
        return True
    if len({r.variant.split("+")[0] for r in zx if _strong(r)}) >= 2:
        return True
    return any(_zbar_alone_ok(r) for r in zb)


def _zbar_alone_ok(r: _Read) -> bool:
    """zbar decides alone only for an EAN/UPC (check digit) read on an image whose bar widths
    we did not touch, and only when many scan lines agreed on it. Misreads seen on photos come
    from few lines, or from sharpened / flattened images, where overshoot moves bar edges."""
    return (
        r.decoded.format in RETAIL_FORMATS and r.variant in _GENTLE and r.lines >= _ZBAR_MIN_LINES
    )


def _stage(rs: Sequence[_Read]) -> str:
    names = []
    for r in rs:
        tag = f"{r.engine}:{r.variant}"
        if tag not in names:
            names.append(tag)
    return ",".join(names)


def _vote_key(d: Decoded) -> str:
    return d.gtin14 if d.gtin14 is not None else d.text


def _finalise(reads: list[_Read]) -> list[Decoded]:
    """Merge duplicates, strongest (tallest read) first."""
    by_key: dict[str, _Read] = {}
    for r in reads:
        by_key.setdefault(_vote_key(r.decoded), r)
    kept = sorted(by_key.values(), key=lambda r: -_height(r.quad))
    return [Decoded(r.decoded.text, r.decoded.format, r.decoded.gtin14, r.variant) for r in kept]


def _height(quad: Quad | None) -> float:
    """Extent of a symbol across its scan direction (linear codes: how many lines agreed)."""
    if quad is None:
        return 0.0
    (x0, y0), (x1, y1), (x2, y2), (x3, y3) = quad
    return float(np.hypot(x3 - x0, y3 - y0) + np.hypot(x2 - x1, y2 - y1)) / 2.0


def _same_place(a: _Read, b: _Read) -> bool:
    """Could two EAN/UPC reads come from the same bars? True when, in the frame of the taller
    one, the other lies along the same stretch of scan line (half its length or more) and
    not further off it than a tilted symbol could reach: zxing-cpp reports linear symbols
    along its (horizontal or vertical) scan lines, so on bars tilted by up to ~25° a line
    well above the reported box still crosses the same bars."""
    if a.quad is None or b.quad is None:
        return False
    tall, other = (a, b) if _height(a.quad) >= _height(b.quad) else (b, a)
    assert tall.quad is not None and other.quad is not None
    o = np.asarray(tall.quad, dtype=np.float64)
    u = o[1] - o[0]
    u = u / (float(np.hypot(u[0], u[1])) or 1.0)
    v = np.array([-u[1], u[0]])
    pts = np.asarray(other.quad, dtype=np.float64) - o[0]
    ru, rv = pts @ u, pts @ v
    ou, ov = (o - o[0]) @ u, (o - o[0]) @ v
    overlap = min(ru.max(), ou.max()) - max(ru.min(), ou.min())
    if overlap < 0.5 * max(float(ru.max() - ru.min()), 1.0):
        return False
    gap = max(float(rv.min() - ov.max()), float(ov.min() - rv.max()), 0.0)
    return gap <= max(_height(tall.quad), 0.5 * float(ou.max() - ou.min()), 1.0)


def _conflicts(reads: Sequence[_Read]) -> list[list[_Read]]:
    """Groups of EAN/UPC reads with different numbers from the same bars."""
    retail = [r for r in reads if r.decoded.format in RETAIL_FORMATS and r.quad is not None]
    groups: list[list[_Read]] = []
    for r in retail:
        joined = [g for g in groups if any(_same_place(r, m) for m in g)]
        merged = [r]
        for g in joined:
            merged.extend(g)
            groups.remove(g)
        groups.append(merged)
    return [g for g in groups if len({_vote_key(m.decoded) for m in g}) > 1]


def decode_image(image: ImageInput, *, budget_ms: float | None = None) -> list[Decoded]:
    """All barcodes found in `image`, most prominent first; [] when there is none.

    `budget_ms` bounds the escalation (wall clock): once it is spent no further variant is
    tried and only what is already confirmed is reported. Raises ImageLoadError for input
    that is not an image.
    """
    return _Cascade(load_gray(image), budget_ms).run()
