"""Barcode decoding (app.adapters.decoding) and the `dockhand decode` protocol (app.decode).

Symbols are rendered by the code paths we use ourselves (python-barcode's ImageWriter for
EAN/UPC/Code 128 labels, zxing-cpp's writer for QR / Data Matrix), then degraded with OpenCV
the way a pack-station webcam or a phone degrades them, and must decode to the exact text.
The shared photo set is used only as a smoke check.
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np
import pytest

barcode = pytest.importorskip("barcode")
zxingcpp = pytest.importorskip("zxingcpp")

from barcode.writer import ImageWriter  # noqa: E402

from app.adapters.decoding import (  # noqa: E402
    Decoded,
    ImageLoadError,
    decode_image,
    gs1_check_digit,
    gtin14,
    make_decoded,
    normalise_retail,
    upca_to_upce,
    upce_to_upca,
)

ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT.parent / "shared" / "bench" / "barcodes"
GS = "\x1d"

Image = np.ndarray


# ------------------------------------------------------------------------------ rendering


def _png_to_gray(data: bytes) -> Image:
    arr = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_GRAYSCALE)
    assert arr is not None
    return arr


def render_python_barcode(kind: str, code: str, module_mm: float = 0.33) -> Image:
    """A label as python-barcode's ImageWriter draws it (300 dpi, human-readable text on)."""
    bc = barcode.get_barcode_class(kind)(code, writer=ImageWriter())
    buf = io.BytesIO()
    bc.write(buf, options={"module_width": module_mm, "module_height": 12.0, "dpi": 300})
    return _png_to_gray(buf.getvalue())


def render_zxing(fmt: str, content: str, scale: int = 6, **opts: object) -> Image:
    """A symbol from zxing-cpp's writer: create_barcode (3.x) or write_barcode (2.x)."""
    symbology = getattr(zxingcpp.BarcodeFormat, fmt)
    if hasattr(zxingcpp, "create_barcode"):
        bc = zxingcpp.create_barcode(content, symbology, **opts)
        return np.ascontiguousarray(np.asarray(bc.to_image(scale=scale), dtype=np.uint8))
    if opts:
        pytest.skip(f"this zxing-cpp cannot write {fmt} with {opts}")
    img = np.asarray(zxingcpp.write_barcode(symbology, content), dtype=np.uint8)
    return cv2.resize(img, None, fx=scale, fy=scale, interpolation=cv2.INTER_NEAREST)


def on_canvas(img: Image, pad: int = 60, level: int = 235) -> Image:
    """The symbol on a lightly textured background, as if lying on a bench."""
    h, w = img.shape
    rng = np.random.default_rng(7)
    canvas = rng.normal(level, 6, (h + 2 * pad, w + 2 * pad)).clip(0, 255).astype(np.uint8)
    canvas[pad : pad + h, pad : pad + w] = img
    return canvas


# ------------------------------------------------------------------------------ degradations


def blur(img: Image) -> Image:
    return cv2.GaussianBlur(img, (0, 0), 1.6)


def rotate7(img: Image) -> Image:
    h, w = img.shape
    m = cv2.getRotationMatrix2D((w / 2, h / 2), 7, 1.0)
    cos, sin = abs(m[0, 0]), abs(m[0, 1])
    nw, nh = int(h * sin + w * cos), int(h * cos + w * sin)
    m[0, 2] += nw / 2 - w / 2
    m[1, 2] += nh / 2 - h / 2
    return cv2.warpAffine(img, m, (nw, nh), borderValue=235)


def perspective(img: Image) -> Image:
    h, w = img.shape
    src = np.array([[0, 0], [w, 0], [w, h], [0, h]], dtype=np.float32)
    dst = np.array(
        [[0.06 * w, 0.08 * h], [0.97 * w, 0], [w, h], [0.02 * w, 0.9 * h]], dtype=np.float32
    )
    m = cv2.getPerspectiveTransform(src, dst)
    return cv2.warpPerspective(img, m, (w, h), borderValue=235)


def jpeg30(img: Image) -> bytes:
    ok, enc = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, 30])
    assert ok
    return enc.tobytes()


def low_contrast(img: Image) -> Image:
    """Dim, flat lighting: the whole symbol spans 40 grey levels, brighter on one side."""
    w = img.shape[1]
    ramp = np.linspace(0, 30, w, dtype=np.float32)[None, :]
    return (img.astype(np.float32) * (40 / 255) + 90 + ramp).clip(0, 255).astype(np.uint8)


def small(img: Image) -> Image:
    return cv2.resize(img, None, fx=0.45, fy=0.45, interpolation=cv2.INTER_AREA)


DEGRADATIONS: dict[str, Callable[[Image], Image | bytes]] = {
    "clean": lambda im: im,
    "blur": blur,
    "rotate7": rotate7,
    "perspective": perspective,
    "jpeg30": jpeg30,
    "low_contrast": low_contrast,
    "small": small,
}

SYMBOLS: dict[str, tuple[Callable[[], Image], str, str]] = {
    # name: (renderer, expected text, expected format)
    "ean13": (lambda: render_python_barcode("ean13", "590123412345"), "5901234123457", "ean13"),
    "code128": (
        lambda: render_python_barcode("code128", "DH-ORD-004211", module_mm=0.3),
        "DH-ORD-004211",
        "code128",
    ),
    "qrcode": (
        lambda: render_zxing("QRCode", "https://dockhand.example/t/PK-1187?s=3", scale=5),
        "https://dockhand.example/t/PK-1187?s=3",
        "qrcode",
    ),
    "datamatrix": (
        lambda: render_zxing("DataMatrix", "LOC-A12-03-B", scale=7),
        "LOC-A12-03-B",
        "datamatrix",
    ),
}


@pytest.mark.parametrize("degradation", list(DEGRADATIONS))
@pytest.mark.parametrize("symbol", list(SYMBOLS))
def test_degraded_render_decodes_to_the_exact_text(symbol: str, degradation: str) -> None:
    render, text, fmt = SYMBOLS[symbol]
    image = DEGRADATIONS[degradation](on_canvas(render()))
    found = decode_image(image)
    assert [(d.text, d.format) for d in found] == [(text, fmt)], found


@pytest.mark.parametrize("symbol", list(SYMBOLS))
def test_light_on_dark_symbols_decode(symbol: str) -> None:
    render, text, fmt = SYMBOLS[symbol]
    found = decode_image(255 - on_canvas(render()))
    assert [(d.text, d.format) for d in found] == [(text, fmt)]


def test_blur_and_low_contrast_together_still_decode() -> None:
    render, text, _ = SYMBOLS["ean13"]
    found = decode_image(small(low_contrast(blur(on_canvas(render())))))
    assert [d.text for d in found] == [text]


def rotate(img: Image, degrees: float) -> Image:
    h, w = img.shape
    m = cv2.getRotationMatrix2D((w / 2, h / 2), degrees, 1.0)
    cos, sin = abs(m[0, 0]), abs(m[0, 1])
    nw, nh = int(h * sin + w * cos), int(h * cos + w * sin)
    m[0, 2] += nw / 2 - w / 2
    m[1, 2] += nh / 2 - h / 2
    return cv2.warpAffine(img, m, (nw, nh), borderValue=235)


def test_the_cascade_rescues_what_a_plain_zxing_read_misses() -> None:
    """A small, dim Code 128 label: zxing-cpp alone reads nothing, the cascade reads it."""
    render, text, fmt = SYMBOLS["code128"]
    image = small(low_contrast(on_canvas(render())))
    if zxingcpp.read_barcodes(image):
        pytest.skip("this zxing-cpp reads the image on its own; nothing to escalate")
    found = decode_image(image)
    assert [(d.text, d.format) for d in found] == [(text, fmt)]
    assert found[0].stage != "zxing:gray"


@pytest.mark.parametrize("code", ["590123412345", "532979232073", "400638133393"])
def test_tilted_ean13_yields_only_its_own_number(code: str) -> None:
    """On tilted bars zxing-cpp sometimes also returns a second, wrong number with a valid
    check digit (a UPC-E "inside" the EAN-13, or two compensating digit errors)."""
    label = on_canvas(render_python_barcode("ean13", code))
    want = code + str(gs1_check_digit(code))
    for degrees in range(-24, 25, 4):
        for scale in (1.0, 0.6):
            image = cv2.resize(rotate(label, degrees), None, fx=scale, fy=scale)
            texts = [d.text for d in decode_image(image)]
            assert texts in ([want], []), (degrees, scale, texts)
            if abs(degrees) <= 12:
                assert texts == [want], (degrees, scale)


@pytest.mark.parametrize("degrees", [-26, -20, -12, 12, 20, 26, 70, 90, 110])
def test_tilted_itf14_is_never_reported_cut_short(degrees: int) -> None:
    """A scan line leaving tilted ITF bars early can end in a valid-looking stop pattern; the
    14 digits then come out as 6, 8 or 10. Those partial numbers must not be reported."""
    label = on_canvas(render_zxing("ITF", "10012345678902", scale=3))
    texts = [d.text for d in decode_image(rotate(label, degrees))]
    assert texts in (["10012345678902"], []), texts


# ------------------------------------------------------------------------------ EAN / UPC


def test_upca_reports_twelve_digits_and_the_same_gtin_as_its_ean13_form() -> None:
    upca = decode_image(on_canvas(render_python_barcode("upca", "03600029145")))
    ean = decode_image(on_canvas(render_python_barcode("ean13", "003600029145")))
    assert [(d.text, d.format) for d in upca] == [("036000291452", "upca")]
    # an EAN-13 with a leading 0 is the same symbol as the UPC-A: same bars, same answer
    assert [(d.text, d.format) for d in ean] == [("036000291452", "upca")]
    assert upca[0].gtin14 == ean[0].gtin14 == "00036000291452"


def test_upce_reports_eight_digits_with_the_expanded_gtin() -> None:
    found = decode_image(on_canvas(render_zxing("UPCE", "01234565", scale=4)))
    assert found == [Decoded("01234565", "upce", "00012345000065")]
    assert found[0].gtin14 == gtin14("012345000065", "upca")


def test_ean13_gtin14_is_zero_padded() -> None:
    (d,) = decode_image(on_canvas(render_python_barcode("ean13", "590123412345")))
    assert d.gtin14 == "05901234123457"


def test_ean8() -> None:
    (d,) = decode_image(on_canvas(render_python_barcode("ean8", "9638507")))
    assert (d.text, d.format, d.gtin14) == ("96385074", "ean8", "00000096385074")


@pytest.mark.parametrize(
    ("upce", "upca"),
    [
        ("01234565", "012345000065"),  # last digit 5-9
        ("04252614", "042100005264"),  # 0-2
        ("01234133", "012300000413"),  # 3
        ("05096893", "050968000093"),  # 5-9 (the README's example, EAN-13 0050968000093)
        ("01264904", "012000006494"),
    ],
)
def test_upce_upca_round_trip(upce: str, upca: str) -> None:
    assert upce_to_upca(upce) == upca
    assert upca_to_upce(upca) == upce


def test_retail_reads_need_a_valid_check_digit() -> None:
    assert normalise_retail("5901234123457", "ean13") == (
        "5901234123457",
        "ean13",
        "05901234123457",
    )
    assert normalise_retail("5901234123458", "ean13") is None
    assert normalise_retail("0036000291452", "upca") == ("036000291452", "upca", "00036000291452")
    assert normalise_retail("036000291453", "upca") is None
    assert normalise_retail("0012345000065", "upce") == ("01234565", "upce", "00012345000065")
    assert normalise_retail("01234566", "upce") is None


def test_short_garbage_reads_are_dropped() -> None:
    assert make_decoded("T", "code39") is None
    assert make_decoded("9019", "itf") is None
    assert make_decoded("90198", "itf") is None  # ITF encodes digit pairs
    assert make_decoded("901985", "itf") == Decoded("901985", "itf")
    assert make_decoded("]C1010950110153000310LOT7", "code128") == Decoded(
        "010950110153000310LOT7", "code128"
    )


# ------------------------------------------------------------------------------ GS1


def test_gs1_datamatrix_keeps_gs_separators_and_no_symbology_identifier() -> None:
    img = render_zxing(
        "DataMatrix", "(01)09501101530003(10)LOT7A(21)SN0042(17)271231", scale=6, gs1=True
    )
    (d,) = decode_image(rotate7(on_canvas(img)))
    assert d.format == "datamatrix"
    assert d.text == f"010950110153000310LOT7A{GS}21SN0042{GS}17271231"
    assert not d.text.startswith(("]", GS))


def test_gs1_128_keeps_gs_separators() -> None:
    img = render_zxing("Code128", "(01)09501101530003(10)LOT7(21)SER9", scale=3, gs1=True)
    (d,) = decode_image(on_canvas(img))
    assert (d.text, d.format) == (f"010950110153000310LOT7{GS}21SER9", "code128")


# ------------------------------------------------------------------------------ nothing there


@pytest.mark.parametrize(
    "image",
    [
        np.full((480, 640), 255, np.uint8),
        np.zeros((480, 640), np.uint8),
        np.random.default_rng(1).integers(0, 256, (480, 640), dtype=np.uint8),
        cv2.GaussianBlur(
            np.random.default_rng(2).integers(0, 256, (480, 640), np.uint8), (0, 0), 3
        ),
    ],
    ids=["white", "black", "noise", "blurred-noise"],
)
def test_an_image_without_a_barcode_yields_nothing(image: Image) -> None:
    assert decode_image(image) == []


def test_a_large_photo_is_decoded_in_reasonable_time() -> None:
    """A 12-megapixel frame: the cascade works on a ≤1600 px copy, full size only if needed."""
    photo = cv2.GaussianBlur(
        np.random.default_rng(4).normal(140, 25, (3000, 4000)).clip(0, 255).astype(np.uint8),
        (0, 0),
        4,
    )
    label = cv2.resize(on_canvas(render_python_barcode("ean13", "590123412345")), None, fx=2, fy=2)
    photo[900 : 900 + label.shape[0], 1400 : 1400 + label.shape[1]] = label
    t0 = time.perf_counter()
    found = decode_image(photo)
    assert [d.text for d in found] == ["5901234123457"]
    assert time.perf_counter() - t0 < 2.0


def test_a_fine_grating_is_not_an_upc() -> None:
    """A regular grating (a grille, corrugated board) that zxing-cpp 3.1 reads, edge to edge,
    as UPC-A 221112121111 with a valid check digit; an EAN/UPC needs quiet zones."""
    x = np.arange(480)
    y = np.arange(360)[:, None]
    f, a, phase = 0.5156081421013162, 0.7470022696009917, 5.698890369721447
    stripes = np.sign(np.sin(f * (x * np.cos(a) + y * np.sin(a)) + phase))
    image = cv2.GaussianBlur((127 + 100 * stripes).astype(np.uint8), (0, 0), 0.9229980756270961)
    assert decode_image(image) == []


def test_budget_bounds_the_escalation() -> None:
    noise = np.random.default_rng(3).integers(0, 256, (960, 1280), dtype=np.uint8)
    assert decode_image(noise, budget_ms=0) == []


# ------------------------------------------------------------------------------ inputs


def test_accepts_arrays_bytes_and_paths(tmp_path: Path) -> None:
    gray = on_canvas(render_python_barcode("ean13", "590123412345"))
    bgr = cv2.cvtColor(gray, cv2.COLOR_GRAY2BGR)
    bgra = cv2.cvtColor(gray, cv2.COLOR_GRAY2BGRA)
    ok, png = cv2.imencode(".png", gray)
    assert ok
    path = tmp_path / "label.png"
    path.write_bytes(png.tobytes())
    want = [Decoded("5901234123457", "ean13", "05901234123457")]
    for image in (gray, bgr, bgra, png.tobytes(), str(path), path):
        assert decode_image(image) == want


def test_unreadable_input_raises_image_load_error(tmp_path: Path) -> None:
    with pytest.raises(ImageLoadError):
        decode_image(b"definitely not an image")
    with pytest.raises(ImageLoadError):
        decode_image(tmp_path / "missing.png")
    with pytest.raises(ImageLoadError):
        decode_image(np.zeros((0, 0), np.uint8))


# ------------------------------------------------------------------------------ CLI protocol


def _write(tmp_path: Path, name: str, img: Image) -> Path:
    path = tmp_path / name
    ok, enc = cv2.imencode(path.suffix, img)
    assert ok
    path.write_bytes(enc.tobytes())
    return path.resolve()


def _run(args: list[str], stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "app.decode", *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
        check=False,
    )


def test_cli_decodes_one_path(tmp_path: Path) -> None:
    path = _write(tmp_path, "ean.png", on_canvas(render_python_barcode("ean13", "590123412345")))
    proc = _run([str(path)])
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert len(lines) == 1
    reply = json.loads(lines[0])
    assert reply["results"] == [{"text": "5901234123457", "format": "ean13"}]
    assert isinstance(reply["elapsed_ms"], float) and reply["elapsed_ms"] >= 0


def test_cli_stdin_answers_one_line_per_path_and_survives_errors(tmp_path: Path) -> None:
    gs1 = render_zxing("DataMatrix", "(01)09501101530003(10)LOT7A(17)271231", scale=6, gs1=True)
    first = _write(tmp_path, "dm.png", on_canvas(gs1))
    second = _write(tmp_path, "qr.jpg", on_canvas(SYMBOLS["qrcode"][0]()))
    blank = _write(tmp_path, "blank.png", np.full((120, 160), 255, np.uint8))
    missing = tmp_path / "missing.png"
    proc = _run(["--stdin"], stdin=f"{first}\n{missing}\n{second}\n{blank}\n")
    assert proc.returncode == 0, proc.stderr
    replies = [json.loads(line) for line in proc.stdout.splitlines()]
    assert len(replies) == 4
    assert replies[0]["results"] == [
        {"text": f"010950110153000310LOT7A{GS}17271231", "format": "datamatrix"}
    ]
    assert replies[1]["results"] == [] and "missing.png" in replies[1]["error"]
    assert replies[2]["results"] == [{"text": SYMBOLS["qrcode"][1], "format": "qrcode"}]
    assert replies[3] == {"results": [], "elapsed_ms": replies[3]["elapsed_ms"]}


def test_cli_stdin_is_long_lived_and_flushes_each_answer(tmp_path: Path) -> None:
    path = _write(tmp_path, "ean.png", on_canvas(render_python_barcode("ean13", "590123412345")))
    proc = subprocess.Popen(
        [sys.executable, "-m", "app.decode", "--stdin"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    assert proc.stdin is not None and proc.stdout is not None
    try:
        for _ in range(2):  # an answer arrives before the next path is sent
            proc.stdin.write(f"{path}\n")
            proc.stdin.flush()
            reply = json.loads(proc.stdout.readline())
            assert reply["results"] == [{"text": "5901234123457", "format": "ean13"}]
    finally:
        proc.stdin.close()
        assert proc.wait(timeout=30) == 0


def test_cli_single_path_error_is_json_and_nonzero(tmp_path: Path) -> None:
    proc = _run([str(tmp_path / "nope.png")])
    assert proc.returncode == 1
    reply = json.loads(proc.stdout)
    assert reply["results"] == [] and "error" in reply


# ------------------------------------------------------------------------------ photo set smoke


def _gtin(text: str, fmt: str) -> str:
    return (gtin14(text, fmt) or text).lstrip("0")


def test_smoke_on_the_shared_photo_set() -> None:
    """Not a benchmark (tests/bench/decode.py is): guards against a broken cascade."""
    manifest = SHARED / "manifest.json"
    if not manifest.is_file():
        pytest.skip(f"shared barcode photo set not found at {SHARED}")
    entries = json.loads(manifest.read_text(encoding="utf-8"))
    negatives = SHARED / "negatives.json"
    negs = json.loads(negatives.read_text(encoding="utf-8")) if negatives.is_file() else []
    hits = 0
    for e in entries:
        want = {e["expected"], _gtin(e["expected"], e["format"])}
        found = decode_image(SHARED / e["file"])
        hits += any(d.text in want or _gtin(d.text, d.format) in want for d in found)
    assert hits / len(entries) >= 0.85
    assert all(decode_image(SHARED / e["file"]) == [] for e in negs)
