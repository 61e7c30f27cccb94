"""Bulk shipping as merchants do it: a CSV or XLSX of (order number, carrier, waybill
number), checked row by row first (a dry run that changes nothing), then shipped — the good
rows only, or nothing at all when any row is bad — as a background task with progress."""
from __future__ import annotations

from dataclasses import asdict, dataclass

from flask_babel import gettext as _

from app.blueprints.dispatch import carriers, services
from app.blueprints.orders import queries as orders_queries
from app.core.errors import DomainError
from app.extensions import db

MAX_ROWS = 5000
HEADERS = {
    "order": ("order number", "order", "order_number", "订单号", "订单编号"),
    "carrier": ("carrier", "carrier code", "快递公司", "承运商", "物流公司"),
    "waybill": ("waybill number", "waybill", "waybill_no", "tracking number", "运单号", "快递单号"),
}
SHIPPED = ("shipped", "delivered", "completed")


@dataclass
class Row:
    line: int                    # the row number in the file (the header is row 1)
    order_number: str
    carrier: str
    waybill_no: str
    error: str = ""              # why this row cannot ship (empty: it can)
    field: str = ""              # order_number, carrier or waybill_no

    @property
    def ok(self) -> bool:
        return not self.error


def read(data: bytes, filename: str) -> list[Row]:
    """The rows of an uploaded file; DomainError when the file cannot be read or lacks a column."""
    from app.blueprints.catalog.transfer import read_rows

    records = read_rows(data, filename or "")
    if not records:
        raise DomainError(_("The file has no rows."), field="file")
    if len(records) > MAX_ROWS:
        raise DomainError(_("At most %(n)d rows per file.", n=MAX_ROWS), field="file")
    columns = {}
    for key, names in HEADERS.items():
        found = next((h for h in records[0] if str(h).strip().lower() in names), None)
        if found is None:
            raise DomainError(_("The file needs the columns order number, carrier and waybill number "
                                "(订单号, 快递公司, 运单号)."), field="file")
        columns[key] = found
    return [Row(i, str(r.get(columns["order"]) or "").strip(), str(r.get(columns["carrier"]) or "").strip(),
                str(r.get(columns["waybill"]) or "").strip()) for i, r in enumerate(records, start=2)]


def check(rows: list[Row]) -> list[Row]:
    """The dry run: every row gets the reason it cannot ship (unknown order, already shipped,
    not paid, unknown carrier, malformed or repeated waybill). Changes nothing."""
    orders = orders_queries.ids_by_number(r.order_number for r in rows)
    left: dict[int, int] = {}
    seen: dict[tuple[str, str], int] = {}
    for row in rows:
        row.error = row.field = ""
        found = orders.get(row.order_number)
        if not row.order_number:
            row.error, row.field = _("No order number."), "order_number"
        elif found is None:
            row.error, row.field = _("Unknown order %(number)s.", number=row.order_number), "order_number"
        elif found[1] in SHIPPED:
            row.error, row.field = _("Order %(number)s has shipped already.", number=row.order_number), "order_number"
        elif found[1] not in ("paid", "allocated", "partially_shipped"):
            row.error, row.field = _("Order %(number)s is not paid or was closed.", number=row.order_number), \
                "order_number"
        if row.error:
            continue
        if not carriers.known(row.carrier.lower()):
            row.error, row.field = _("Unknown carrier “%(code)s”.", code=row.carrier), "carrier"
            continue
        row.carrier = row.carrier.lower()
        try:
            row.waybill_no = carriers.check(row.carrier, row.waybill_no)
        except DomainError as err:
            row.error, row.field = err.message, "waybill_no"
            continue
        first = seen.setdefault((row.carrier, row.waybill_no), row.line)
        if first != row.line:
            row.error, row.field = _("Waybill %(number)s is in row %(row)d already.", number=row.waybill_no,
                                     row=first), "waybill_no"
            continue
        order_id = found[0]
        if order_id not in left:
            notices = services.notices_of(order_id)
            left[order_id] = sum(1 for n in notices if n.status in services.UNSHIPPED) if notices else 1
        if left[order_id] <= 0:
            row.error, row.field = _("Order %(number)s has shipped already.", number=row.order_number), "order_number"
            continue
        left[order_id] -= 1
    return rows


def ship(actor, rows: list[Row], all_or_nothing: bool, progress=None) -> dict:
    """Ship the rows (checked again first). With `all_or_nothing` one bad row ships nothing.
    Each row ships in its own savepoint: a row refused meanwhile is reported, the others ship."""
    rows = check(rows)
    bad = [r for r in rows if not r.ok]
    if bad and all_or_nothing:
        return {"shipped": 0, "refused": len(bad), "errors": [asdict(r) for r in bad][:200]}
    good = [r for r in rows if r.ok]
    orders = orders_queries.ids_by_number(r.order_number for r in good)
    shipped = 0
    for index, row in enumerate(good, start=1):
        savepoint = db.session.begin_nested()
        try:
            services.ship_order(actor, orders[row.order_number][0], row.carrier, row.waybill_no)
            savepoint.commit()
            shipped += 1
        except DomainError as err:
            savepoint.rollback()
            row.error = err.message
            bad.append(row)
        if progress is not None and (index % 20 == 0 or index == len(good)):
            progress(index, len(good), _("%(n)d of %(total)d shipped", n=shipped, total=len(good)))
    return {"shipped": shipped, "refused": len(bad), "errors": [asdict(r) for r in bad][:200]}


def rows_from(raw: list[dict]) -> list[Row]:
    """Rows carried by a task's parameters back into Row objects."""
    return [Row(int(r["line"]), str(r["order_number"]), str(r["carrier"]), str(r["waybill_no"])) for r in raw][:MAX_ROWS]
