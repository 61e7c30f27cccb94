"""Barcodes for labels, as inline SVG: Code 128 (python-barcode) for waybill and box numbers,
QR codes (segno) for links. Both libraries write SVG without Pillow, so a label page prints
crisp at any size and needs no image files.

    code128_svg("SF1234567890123")        -> "<svg ...>...</svg>"
    qr_svg("https://.../orders/X1")       -> "<svg ...>...</svg>"

The markup is safe to embed with `|safe`: the libraries escape the text they print.
"""
from __future__ import annotations

import io
import re

import barcode
import segno
from barcode.writer import SVGWriter

CODE128_CHARS = re.compile(r"^[\x20-\x7e]{1,80}$")    # printable ASCII: what Code 128 sets A/B carry


class BarcodeError(ValueError):
    """The value cannot be drawn as the asked symbology."""


def _inline(svg: bytes | str) -> str:
    """Drop the XML declaration and doctype so the SVG can sit inside an HTML page."""
    text = svg.decode("utf-8") if isinstance(svg, bytes) else svg
    start = text.find("<svg")
    return text[start:] if start >= 0 else text


def code128_svg(value: str, *, module_width: float = 0.33, module_height: float = 15.0, text: bool = True,
                font_size: int = 10) -> str:
    """A Code 128 barcode of `value` (mm units: module width and bar height), with the value printed
    under it unless `text` is False."""
    if not isinstance(value, str) or not CODE128_CHARS.match(value):
        raise BarcodeError("Code 128 carries 1 to 80 printable ASCII characters")
    out = io.BytesIO()
    symbol = barcode.get("code128", value, writer=SVGWriter())
    symbol.write(out, options={"module_width": module_width, "module_height": module_height,
                               "write_text": text, "font_size": font_size, "text_distance": 4,
                               "quiet_zone": 2.0, "compress": False})
    return _inline(out.getvalue())


def qr_svg(value: str, *, scale: int = 3, border: int = 2, error: str = "m") -> str:
    """A QR code of `value` (text or a link), `scale` pixels per module."""
    if not value:
        raise BarcodeError("a QR code needs something to carry")
    out = io.BytesIO()
    segno.make_qr(value, error=error).save(out, kind="svg", scale=scale, border=border, xmldecl=False,
                                           svgns=True, nl=False)
    return _inline(out.getvalue())


def qr_png(value: str, *, scale: int = 8, border: int = 2, error: str = "m") -> bytes:
    """A QR code of `value` as PNG bytes (for images put together with Pillow, such as posters)."""
    if not value:
        raise BarcodeError("a QR code needs something to carry")
    out = io.BytesIO()
    segno.make_qr(value, error=error).save(out, kind="png", scale=scale, border=border)
    return out.getvalue()
