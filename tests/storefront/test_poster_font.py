"""Product posters draw Chinese titles in a CJK font (Debian's fonts-noto-cjk, installed by
`make test-deps`, or the POSTER_FONT setting): the name area carries real glyphs, not tofu boxes
or nothing. A font without Chinese glyphs draws every character as the same box, so two
different titles of the same length would leave the same pixels: that is what is checked."""
import io
import os

import pytest
from PIL import Image, ImageChops

from app.blueprints.storefront import poster as posters

DEJAVU = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"      # Latin, Greek, Cyrillic: no Chinese


def _name_area(title: str, font: str | None = None) -> Image.Image:
    png = posters.product_poster(title=title, price="¥199.00", link="https://shop.example.cn/p/1", store_name="小店",
                                 scan_text="扫码查看商品", font=font)
    img = Image.open(io.BytesIO(png)).convert("L")
    return img.crop((40, posters.PICTURE + 30, posters.WIDTH - 40, posters.PICTURE + 130))   # two title lines


def _inked(area: Image.Image) -> bool:
    return area.point(lambda v: 255 if v < 128 else 0).getbbox() is not None


def _same(a: Image.Image, b: Image.Image) -> bool:
    return ImageChops.difference(a, b).getbbox() is None


def test_chinese_product_names_are_drawn_in_a_cjk_font_not_tofu():
    family, _style = posters.font_name()
    if "CJK" not in family:
        pytest.fail(f"posters fall back to {family!r}, which has no Chinese glyphs: install fonts-noto-cjk "
                    "(make test-deps) or set POSTER_FONT")
    assert family == "Noto Sans CJK SC"          # the Simplified Chinese face of the collection
    dress, shirt = _name_area("碎花连衣裙夏季新款"), _name_area("真丝衬衫男士长袖款")
    assert _inked(dress) and _inked(shirt)
    assert not _same(dress, shirt)               # each character its own glyph


@pytest.mark.skipif(not os.path.exists(DEJAVU), reason="DejaVu is not installed")
def test_the_check_sees_tofu_in_a_font_without_chinese_glyphs():
    """The same check on a Latin font: both titles come out as the same row of boxes."""
    assert posters.font_name(DEJAVU)[0] == "DejaVu Sans"
    assert _same(_name_area("碎花连衣裙夏季新款", DEJAVU), _name_area("真丝衬衫男士长袖款", DEJAVU))


def test_the_poster_font_setting_is_read_from_the_environment(monkeypatch):
    from app.config import Config

    monkeypatch.setenv("POSTER_FONT", DEJAVU)
    assert Config().POSTER_FONT == DEJAVU
    monkeypatch.delenv("POSTER_FONT")
    assert Config().POSTER_FONT == ""
