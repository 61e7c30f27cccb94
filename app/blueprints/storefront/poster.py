"""Product posters: one PNG a shopper saves and sends in a chat — the product's picture, its title
and price, and a QR code that opens the product (with the sharer's code). Drawn with Pillow; the QR
code comes from app.core.barcodes.

Chinese titles need a font with CJK glyphs: the POSTER_FONT setting names one (a .ttf/.ttc/.otf
file); otherwise the first of the usual system fonts that exists is used (Noto Sans CJK — Debian's
fonts-noto-cjk, which `make test-deps` installs and a server should install too —, WenQuanYi,
Droid fallback, PingFang, Microsoft YaHei), else DejaVu, else Pillow's own font (Latin only).
From a collection (.ttc) the Simplified Chinese face is taken (Noto's first face is the Japanese
one, whose forms of some characters differ)."""
from __future__ import annotations

import io
import os
from functools import lru_cache

from PIL import Image, ImageDraw, ImageFont, ImageOps, UnidentifiedImageError

from app.core.barcodes import qr_png

WIDTH, PICTURE = 750, 750
HEIGHT = 1180
INK, MUTED, BRAND, PANEL = (31, 36, 48), (75, 85, 99), (200, 16, 46), (238, 240, 243)
FONTS = ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", "/usr/share/fonts/truetype/noto/NotoSansCJK-Regular.ttc",
         "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
         "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf", "/System/Library/Fonts/PingFang.ttc",
         "C:/Windows/Fonts/msyh.ttc", "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")


@lru_cache(maxsize=1)
def _font_path(configured: str | None) -> str | None:
    for path in ((configured,) if configured else ()) + FONTS:
        if path and os.path.exists(path):
            return path
    return None


@lru_cache(maxsize=4)
def _face_index(path: str) -> int:
    """The Simplified Chinese face of a font collection (family name ending in " SC"), else 0."""
    if not path.lower().endswith((".ttc", ".otc")):
        return 0
    for index in range(32):
        try:
            family = ImageFont.truetype(path, 12, index=index).getname()[0] or ""
        except OSError:     # past the collection's last face
            break
        if family.endswith(" SC"):
            return index
    return 0


def _font(size: int, configured: str | None):
    path = _font_path(configured)
    return ImageFont.truetype(path, size, index=_face_index(path)) if path else ImageFont.load_default(size)


def font_name(configured: str | None = None) -> tuple[str, str]:
    """(family, style) of the font posters are drawn with."""
    return tuple(_font(12, configured).getname())


def _wrap(draw: ImageDraw.ImageDraw, text: str, font, width: int, lines: int) -> list[str]:
    """`text` cut into at most `lines` lines of `width` pixels (character by character, as
    Chinese wraps; the last line ends with … when the text goes on)."""
    out, line = [], ""
    for char in text:
        if draw.textlength(line + char, font=font) > width:
            out.append(line)
            line = char.lstrip()
            if len(out) == lines:
                last = out[-1]
                while last and draw.textlength(last + "…", font=font) > width:
                    last = last[:-1]
                out[-1] = last + "…"
                return out
        else:
            line += char
    return out + [line] if line else out


def _picture(path: str | None) -> Image.Image:
    """The product picture cropped to a square, or a plain panel when there is none (or it
    cannot be read)."""
    if path:
        try:
            with Image.open(path) as img:
                return ImageOps.fit(ImageOps.exif_transpose(img).convert("RGB"), (WIDTH, PICTURE))
        except (OSError, UnidentifiedImageError):
            pass
    return Image.new("RGB", (WIDTH, PICTURE), PANEL)


def product_poster(*, title: str, price: str, link: str, store_name: str, scan_text: str,
                   picture_path: str | None = None, font: str | None = None) -> bytes:
    """The poster as PNG bytes: picture on top, then title, price and the QR code of `link`."""
    poster = Image.new("RGB", (WIDTH, HEIGHT), (255, 255, 255))
    poster.paste(_picture(picture_path), (0, 0))
    draw = ImageDraw.Draw(poster)
    margin = 40
    y = PICTURE + 30
    title_font = _font(38, font)
    for line in _wrap(draw, title, title_font, WIDTH - 2 * margin, 2):
        draw.text((margin, y), line, font=title_font, fill=INK)
        y += 50
    draw.text((margin, y + 10), price, font=_font(56, font), fill=BRAND)

    with Image.open(io.BytesIO(qr_png(link, scale=6, border=2))) as qr:
        code = qr.convert("RGB").resize((210, 210), Image.NEAREST)
    poster.paste(code, (WIDTH - margin - 210, HEIGHT - margin - 210))
    small = _font(26, font)
    left = WIDTH - 2 * margin - 230
    bottom = HEIGHT - margin - 80
    for i, line in enumerate(_wrap(draw, store_name, small, left, 1) + _wrap(draw, scan_text, small, left, 2)):
        draw.text((margin, bottom + i * 36 - 36), line, font=small, fill=INK if i == 0 else MUTED)
    out = io.BytesIO()
    poster.save(out, format="PNG", optimize=True)
    return out.getvalue()
