"""Bulk shipping from a file: the dry run names every bad row and changes nothing; then the
good rows ship, or nothing does, as a background task with progress."""
import html
import io
import re

from sqlalchemy import select

from app.blueprints.dispatch import services
from app.blueprints.orders.models import Order
from app.core.tasks import Task
from tests import factories as f
from tests.conftest import wait_for


def _status(store, order_id):
    return f.get(store, Order, order_id).status


def _orders(store):
    paid = [f.order(store, state="paid") for _ in range(3)]
    shipped = f.order(store, state="paid")
    with f.bound(store, request=True):
        services.ship_order(None, shipped.id, "shunfeng", "SF1234567890999")
    return paid, shipped


def _csv(paid, shipped) -> bytes:
    rows = ["订单号,快递公司,运单号",
            f"{paid[0].number},shunfeng,SF 1234 5678 90001",
            f"{paid[1].number},zhongtong,73100012345678",
            "999999999,shunfeng,SF1234567890002",
            f"{shipped.number},shunfeng,SF1234567890003",
            f"{paid[2].number},nobody,SF1234567890004",
            f"{paid[2].number},shunfeng,12"]
    return ("\n".join(rows) + "\n").encode("utf-8-sig")


def _dry_run(client, store, data, name="ship.csv"):
    response = client.post(f"/store/{store.slug}/dispatch/bulk-ship", data={
        "csrf_token": client.csrf_token(), "file": (io.BytesIO(data), name)}, content_type="multipart/form-data")
    assert response.status_code == 200, response.get_data(as_text=True)[:3000]
    page = response.get_data(as_text=True)
    rows = dict(re.findall(r'data-row="(\d+)" data-ok="(yes|no)"', page))
    payload = html.unescape(re.search(r'name="rows" value="([^"]*)"', page).group(1))
    return page, rows, payload


def _run(client, store, payload, mode):
    response = client.form(f"/store/{store.slug}/dispatch/bulk-ship/run", {"rows": payload, "mode": mode})
    assert response.status_code == 303
    task_id = int(response.headers["Location"].rstrip("/").rsplit("/", 1)[1])
    task = wait_for(lambda: (t := f.get(store, Task, task_id)).finished and t, timeout=120)
    assert task.state == "done", task.error
    page = client.get(f"/store/{store.slug}/dispatch/bulk-ship/{task_id}").get_data(as_text=True)
    return task, page


def test_the_dry_run_reports_every_kind_of_bad_row_and_ships_nothing(store, owner):
    paid, shipped = _orders(store)
    page, rows, payload = _dry_run(owner, store, _csv(paid, shipped))
    assert rows == {"2": "yes", "3": "yes", "4": "no", "5": "no", "6": "no", "7": "no"}
    for reason in ("Unknown order 999999999", f"Order {shipped.number} has shipped already", "Unknown carrier",
                   "is not a SF Express waybill number"):
        assert reason in html.unescape(page), reason
    assert [_status(store, o.id) for o in paid] == ["paid"] * 3


def test_all_or_nothing_ships_nothing_when_a_row_is_bad_and_good_rows_ship_when_chosen(store, owner):
    paid, shipped = _orders(store)
    _page, _rows, payload = _dry_run(owner, store, _csv(paid, shipped))
    task, page = _run(owner, store, payload, "all")
    assert task.result["shipped"] == 0 and task.result["refused"] == 4
    assert [_status(store, o.id) for o in paid] == ["paid"] * 3
    task, page = _run(owner, store, payload, "good")
    assert task.result["shipped"] == 2 and 'data-shipped="2"' in page
    assert [_status(store, o.id) for o in paid] == ["shipped", "shipped", "paid"]
    with f.bound(store):
        notice = services.notices_of(paid[0].id)[0]
        assert (notice.carrier_code, notice.waybill_no) == ("shunfeng", "SF123456789000" + "1")


def test_an_xlsx_file_is_read_like_a_csv(store, owner):
    from openpyxl import Workbook

    paid, shipped = _orders(store)
    book = Workbook()
    book.active.append(["Order number", "Carrier", "Waybill number"])
    book.active.append([paid[0].number, "shunfeng", "SF1234567890011"])
    book.active.append([shipped.number, "shunfeng", "SF1234567890012"])
    out = io.BytesIO()
    book.save(out)
    _page, rows, _payload = _dry_run(owner, store, out.getvalue(), "ship.xlsx")
    assert rows == {"2": "yes", "3": "no"}


def test_a_file_without_the_columns_is_refused_on_its_field(store, owner):
    response = owner.post(f"/store/{store.slug}/dispatch/bulk-ship", data={
        "csrf_token": owner.csrf_token(), "file": (io.BytesIO(b"a,b\n1,2\n"), "x.csv")},
        content_type="multipart/form-data")
    assert response.status_code == 422 and "needs the columns" in response.get_data(as_text=True)
