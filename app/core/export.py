"""Every exported cell (CSV and XLSX) goes through here, so a value a shopper or supplier
typed, such as ``=cmd|' /C calc'!A0``, reaches a spreadsheet as text, never as a formula
(OWASP's CSV-injection advice: a cell starting with = + - @ tab or carriage return gets a
leading single quote). Numbers stay numbers: ``-12.50`` or ``-¥12.50`` is a refund, not a formula."""
from __future__ import annotations

import csv
import re
from datetime import date, datetime
from decimal import Decimal

TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
# a number, or an amount as format_money writes it ("-¥1,234.50", "-HK$3.00", "-GBP 2.00")
_NUMBER = re.compile(r"-?(?:\d+(?:\.\d+)?|(?:[¥$€£]|HK\$|[A-Z]{3} )?\d{1,3}(?:,\d{3})*(?:\.\d+)?)")


def cell(value):
    """The value as it should be written: numbers as they are, text made inert."""
    if value is None:
        return ""
    if isinstance(value, (bool, int, float, Decimal)):
        return value
    text = value.isoformat() if hasattr(value, "isoformat") else str(value)
    if text.startswith(TRIGGERS) and not _NUMBER.fullmatch(text):
        return "'" + text
    return text


def row(values) -> list:
    return [cell(v) for v in values]


def unescape(text: str) -> str:
    """Undo `cell` when a file we exported is imported again."""
    if len(text) > 1 and text[0] == "'" and text[1:].startswith(TRIGGERS):
        return text[1:]
    return text


class CsvWriter:
    """csv.writer whose rows go through `cell`."""

    def __init__(self, fh, **kwargs):
        self._writer = csv.writer(fh, **kwargs)

    def writerow(self, values):
        return self._writer.writerow(row(values))

    def writerows(self, rows):
        for values in rows:
            self.writerow(values)


def xlsx_append(sheet, values) -> None:
    """Append a row to an openpyxl sheet; text is always stored as text (never a formula)."""
    sheet.append(row(values))
    for c in sheet[sheet.max_row]:
        if isinstance(c.value, str):
            c.data_type = "s"


def xlsx_write_row(sheet, values) -> None:
    """Append a row to a write-only openpyxl sheet; text is always stored as text, dates and
    times as date cells."""
    from openpyxl.cell import WriteOnlyCell

    cells = []
    for value in values:
        c = WriteOnlyCell(sheet, value=value if isinstance(value, (date, datetime)) else cell(value))
        if isinstance(c.value, str):
            c.data_type = "s"
        cells.append(c)
    sheet.append(cells)


XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def table_response(header: list, rows, fmt: str, filename: str, sheet_title: str = ""):
    """A small table already in memory (a report, a reference list) as a CSV or XLSX download:
    the header row, then `rows`; every cell goes through `cell`. CSV starts with a BOM so that
    spreadsheet programs read Chinese correctly. Lists too large for memory use
    `listview.export_response`, which streams."""
    import io

    from flask import Response

    disposition = {"Content-Disposition": f'attachment; filename="{filename}.{fmt}"'}
    if fmt == "xlsx":
        from openpyxl import Workbook

        book = Workbook(write_only=True)
        sheet = book.create_sheet(str(sheet_title)[:31] or "export")
        xlsx_write_row(sheet, header)
        for values in rows:
            xlsx_write_row(sheet, values)
        out = io.BytesIO()
        book.save(out)
        return Response(out.getvalue(), mimetype=XLSX_MIMETYPE, headers=disposition)
    if fmt != "csv":
        raise ValueError(f"unknown export format {fmt!r}")
    buf = io.StringIO()
    buf.write("\ufeff")
    writer = CsvWriter(buf)
    writer.writerow(header)
    writer.writerows(rows)
    return Response(buf.getvalue(), mimetype="text/csv", headers=disposition)
