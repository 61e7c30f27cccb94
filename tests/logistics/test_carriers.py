"""The carrier registry (Kuaidi100 company codes), waybill checks and label barcodes."""
import re
import xml.etree.ElementTree as ET

import pytest
from flask_babel import force_locale

from app.blueprints.logistics import queries, services
from app.core.barcodes import BarcodeError, code128_svg, qr_svg
from app.core.errors import DomainError

CODE128_START_B = "11010010000"
CODE128_STOP = "1100011101011"


def test_carriers_use_kuaidi100_codes_and_read_in_both_languages(app):
    with app.test_request_context():
        with force_locale("zh_Hans_CN"):
            names = dict(queries.carriers())
            assert names["shunfeng"] == "顺丰速运" and names["zhongtong"] == "中通快递"
            assert queries.carrier_name("jd") == "京东物流"
            assert queries.carrier_name("nosuch") == "其他快递（nosuch）"
        with force_locale("en"):
            assert queries.carrier_name("yuantong") == "YTO Express"
    assert {"shunfeng", "zhongtong", "yuantong", "shentong", "yunda", "jd", "ems"} <= set(names)


@pytest.mark.parametrize("carrier, typed, stored", [
    ("shunfeng", "sf 1234 5678 9012 3", "SF1234567890123"),
    ("zhongtong", "7310-0012-3456-78", "73100012345678"),
    ("yuantong", "yt6186594166532", "YT6186594166532"),
    ("jd", "JDVA12345678901", "JDVA12345678901"),
    ("ems", "ea123456789cn", "EA123456789CN"),
])
def test_a_waybill_number_is_stored_as_the_carrier_prints_it(app, carrier, typed, stored):
    with app.test_request_context():
        assert services.check_waybill(carrier, typed) == stored


@pytest.mark.parametrize("carrier, number, field", [
    ("dhl-nowhere", "SF1234567890123", "carrier"),
    ("", "SF1234567890123", "carrier"),
    ("shunfeng", "   ", "waybill_no"),
    ("shunfeng", "YT6186594166532", "waybill_no"),
    ("jd", "12345", "waybill_no"),
])
def test_a_wrong_carrier_or_waybill_names_its_field(app, carrier, number, field):
    with app.test_request_context():
        with pytest.raises(DomainError) as err:
            services.check_waybill(carrier, number)
    assert err.value.field == field and err.value.message


def _modules(svg: str) -> str:
    """The bars of a python-barcode SVG read back as modules (1 = black), by position."""
    root = ET.fromstring(svg)
    bars = [(float(r.get("x").removesuffix("mm")), float(r.get("width").removesuffix("mm")))
            for r in root.iter("{http://www.w3.org/2000/svg}rect") if r.get("x")]
    unit = min(w for _, w in bars)
    start = bars[0][0]
    out = []
    for x, w in bars:
        pos = round((x - start) / unit)
        out.extend("0" * (pos - len(out)))
        out.extend("1" * round(w / unit))
    return "".join(out)


def test_code128_svg_is_a_real_code128_symbol_carrying_the_number():
    svg = code128_svg("SF1234567890123")
    assert svg.startswith("<svg") and "SF1234567890123" in svg
    modules = _modules(svg)
    assert modules.endswith(CODE128_STOP)
    assert modules.startswith(CODE128_START_B) or modules.startswith("11010011100")  # start B or start C
    assert len(code128_svg("SF1234567890123999")) > len(code128_svg("SF12"))


def test_barcodes_refuse_what_they_cannot_carry():
    with pytest.raises(BarcodeError):
        code128_svg("顺丰")
    with pytest.raises(BarcodeError):
        qr_svg("")


def test_qr_svg_is_inline_svg():
    svg = qr_svg("https://shop.example/orders/2612010000001")
    assert svg.startswith("<svg") and "<?xml" not in svg
    ET.fromstring(svg)
    assert re.search(r'width="\d+"', svg)
