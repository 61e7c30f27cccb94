"""Imports refuse bad files clearly: an .xlsx that is no workbook or is cut short, a zip bomb,
too many rows, 'inf' and numbers too big for their column, each answered 422 with a message
and nothing written."""
from __future__ import annotations

import io
import time
import zipfile

import pytest
from openpyxl import Workbook

from app.blueprints.catalog import transfer
from app.blueprints.catalog.models import Product
from tests.catalog.test_transfer import GOOD, HEADER, _get, _setup, _upload, db_count


def _xlsx(rows: list[list]) -> bytes:
    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _flashed(response) -> str:
    return response.get_data(as_text=True)


def test_an_xlsx_that_is_not_a_workbook_is_refused_with_a_message(app, owner, store):
    good = _xlsx([HEADER.split(","), ["new-1", "杯", "", "服装", "", "", "", "", "", "C-1", "", "", "", "10"]])
    for data in (b"this is plain text, not a zip archive", good[: len(good) // 2], good[:-30],
                 b"PK\x03\x04" + b"\x00" * 200):
        response = _upload(owner, store, data, name="products.xlsx")
        assert response.status_code == 422
        assert "damaged or is not an Excel workbook" in _flashed(response)
    assert _get(app, store, lambda: db_count(Product)) == 0


def test_a_csv_that_is_not_utf8_or_has_a_nul_is_refused_with_a_message(app, owner, store):
    response = _upload(owner, store, HEADER.encode() + "\nnew-1,杯".encode("gb18030") + b"\xff\xfe", name="p.csv")
    assert response.status_code == 422 and "not UTF-8" in _flashed(response)
    response = _upload(owner, store, (HEADER + "\nnew-1,\x00杯,,服装,,,,,,C-1,,,,10,,,1").encode(), name="p.csv")
    assert response.status_code in (400, 422)


def test_a_zip_bomb_is_refused_before_it_is_parsed(app, owner, store, monkeypatch):
    data = _xlsx([HEADER.split(",")])
    bomb = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as out:
        for info in source.infolist():
            out.writestr(info, source.read(info.filename))
        out.writestr("xl/media/padding.bin", b"\x00" * (transfer.MAX_UNPACKED + 1))
    assert len(bomb.getvalue()) < 1_000_000          # small on the wire, > 100 MB unpacked
    started = time.monotonic()
    response = _upload(owner, store, bomb.getvalue(), name="bomb.xlsx")
    assert time.monotonic() - started < 5
    assert response.status_code == 422
    assert "unpacks to more than 100 MB" in _flashed(response)


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_the_row_limit_stops_reading_early(app, owner, store, monkeypatch, kind):
    monkeypatch.setattr(transfer, "MAX_ROWS", 5)
    rows = [f"new-{i},杯,,服装,,,,,,C-{i},,,,10,,,1" for i in range(200)]
    rows[100] = rows[100].replace("杯", "长" * 200_000)   # past the csv module's field limit: never reached
    if kind == "csv":
        response = _upload(owner, store, "\n".join([HEADER, *rows]))
    else:
        response = _upload(owner, store, _xlsx([HEADER.split(","), *[r.split(",") for r in rows]]), name="p.xlsx")
    assert response.status_code == 422
    assert "At most 5 rows per file." in _flashed(response)


def test_inf_and_numbers_too_big_for_their_column_are_caught_in_the_dry_run(app, owner, store):
    _setup(app, store)
    bad = "\n".join([HEADER,
                     "new-1,衣,,服装/T恤,,,inf,,,B-1,,,,10,,,1",
                     "new-2,衣,,服装/T恤,,,1e309,,,B-2,,,,10,,,1",
                     "new-3,衣,,服装/T恤,,,,99999999999,,B-3,,,,10,,,1",
                     "new-4,衣,,服装/T恤,,,,,,B-4,,,,10,,2147483648,1",
                     "new-5,衣,,服装/T恤,,,,,,B-5,,,inf,10,,,1",
                     "new-6,衣,,服装/T恤,,,,,,B-6,,,,1e309,,,1",
                     "new-7,衣,,服装/T恤,,,nan,,,B-7,,,,10,,,1",
                     "new-8," + "长" * 201 + ",,服装/T恤,,,,,,B-8,,,,10,,,1"])
    response = _upload(owner, store, bad)
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and 'data-errors="8"' in html
    for row, column in ((2, "weight_grams"), (3, "weight_grams"), (4, "volume_cm3"), (5, "sku_weight_grams"),
                        (6, "list_price"), (7, "sale_price"), (8, "weight_grams"), (9, "title")):
        assert f"<td>{row}</td><td><code>{column}</code>" in html
    assert _get(app, store, lambda: db_count(Product)) == 0
    assert _upload(owner, store, GOOD).status_code == 200     # the good file still passes
