"""The daily customs export: the three documents (CEB311 order, CEB411 payment, CEB511 waybill)
of the cross-border orders paid on a day of the store's time zone, read back field by field."""
import io
import re
import zipfile
import xml.etree.ElementTree as ET
from datetime import date, datetime, timezone

import time_machine

from app.blueprints.crossborder import manifest, services
from app.core.tasks import Task
from tests import factories as f
from tests.conftest import wait_for
from tests.crossborder.conftest import PAYER, REGISTRATION, customs_sku, sell_cross_border
from tests.logistics.conftest import ship_parcel

NS = {"ceb": "http://www.chinaport.gov.cn/ceb"}
LATE_ON_THE_1ST = datetime(2026, 12, 1, 15, 30, tzinfo=timezone.utc)      # 23:30 in Shanghai
EARLY_ON_THE_2ND = datetime(2026, 12, 1, 16, 30, tzinfo=timezone.utc)     # 00:30 in Shanghai, still the 1st in UTC


def _paid_order(store, when, lines):
    with time_machine.travel(when, tick=False):
        order = f.order(store, lines=lines, payer=PAYER)
        f.payment(store, order)
    return order


def _files(data: bytes) -> dict[str, ET.Element]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name.split("_")[0]: ET.fromstring(archive.read(name)) for name in archive.namelist()}


def _text(node, path):
    return node.find(path, NS).text or ""


def test_the_export_of_a_day_holds_the_three_documents_of_its_orders_in_the_customs_format(store):
    sell_cross_border(store)
    cream = customs_sku(store, 10000, consumption_bp=1500, declared_value=12900, origin="116")
    milk = customs_sku(store, 30000, hs_code="19011010", origin="601")
    first = _paid_order(store, LATE_ON_THE_1ST, [(cream, 1), (milk, 2)])
    second = _paid_order(store, EARLY_ON_THE_2ND, [(milk, 1)])
    ship_parcel(store, first, carrier="zhongtong", waybill="73100012345678")

    with f.bound(store, request=True):
        export = services.export_day(date(2026, 12, 1), now=EARLY_ON_THE_2ND)
        next_day = services.export_day(date(2026, 12, 2))
    assert (export.orders, export.payments, export.waybills) == (1, 1, 1)
    assert (next_day.orders, next_day.without_waybill) == (1, [second.number])
    docs = _files(export.zip_bytes())
    assert sorted(docs) == ["CEB311", "CEB411", "CEB511"]
    for kind, root in docs.items():
        assert root.tag == f"{{{NS['ceb']}}}{kind}Message" and root.get("version") == "1.0"
        assert re.fullmatch(r"[0-9A-F-]{36}", root.get("guid"))
        assert _text(root, "ceb:BaseTransfer/ceb:copCode") == REGISTRATION["ebc_code"]

    orders = docs["CEB311"].findall("ceb:Order", NS)
    assert len(orders) == 1
    head = orders[0].find("ceb:OrderHead", NS)
    # goods 700.00, freight 0, tax: cream 12.35 + 10.71, milk 600 × 9.1 % = 54.60 → 77.66
    assert {tag: _text(head, f"ceb:{tag}") for tag in (
        "orderType", "orderNo", "ebpCode", "ebcName", "goodsValue", "freight", "discount", "taxTotal", "acturalPaid",
        "currency", "buyerName", "buyerIdType", "buyerIdNumber", "payCode", "consignee", "consigneeDitrict",
        "appTime")} == {
        "orderType": "I", "orderNo": first.number, "ebpCode": "3301964J31", "ebcName": REGISTRATION["ebc_name"],
        "goodsValue": "700.00", "freight": "0.00", "discount": "0.00", "taxTotal": "77.66", "acturalPaid": "777.66",
        "currency": "142", "buyerName": "李四", "buyerIdType": "1", "buyerIdNumber": PAYER["id_number"],
        "payCode": REGISTRATION["pay_code"], "consignee": f.ADDRESS["name"], "consigneeDitrict": "310115",
        "appTime": "20261202003000"}
    items = [{tag: _text(item, f"ceb:{tag}") for tag in ("gnum", "itemNo", "qty", "price", "totalPrice", "country",
                                                          "unit", "note")}
             for item in orders[0].findall("ceb:OrderList", NS)]
    assert items == [
        {"gnum": "1", "itemNo": cream.code, "qty": "1", "price": "100.00", "totalPrice": "100.00", "country": "116",
         "unit": "011", "note": "促销价，申报价值 129.00 元"},
        {"gnum": "2", "itemNo": milk.code, "qty": "2", "price": "300.00", "totalPrice": "600.00", "country": "601",
         "unit": "011", "note": ""}]

    pay = docs["CEB411"].find("ceb:Payment/ceb:PaymentHead", NS)
    assert _text(pay, "ceb:orderNo") == first.number and _text(pay, "ceb:amountPaid") == "777.66"
    assert _text(pay, "ceb:payerIdNumber") == PAYER["id_number"] and _text(pay, "ceb:payerName") == "李四"
    assert _text(pay, "ceb:payTransactionId") == _text(head, "ceb:payTransactionId") != ""
    assert _text(pay, "ceb:payTime") == "20261201233000"

    parcel = docs["CEB511"].find("ceb:Logistics/ceb:LogisticsHead", NS)
    assert _text(parcel, "ceb:logisticsNo") == "73100012345678" and _text(parcel, "ceb:consingee") == f.ADDRESS["name"]
    assert _text(parcel, "ceb:logisticsCode") == REGISTRATION["logistics_code"] and _text(parcel, "ceb:weight") == "1.200"
    assert _text(parcel, "ceb:consigneeAddress") == "上海市上海市浦东新区世纪大道 1 号"


def test_the_export_page_writes_the_zip_in_the_background_and_refuses_a_bad_day(store, owner):
    sell_cross_border(store)
    cream = customs_sku(store, 10000, consumption_bp=1500)
    order = f.order(store, lines=[(cream, 1)], payer=PAYER)
    f.payment(store, order)
    page = owner.get(f"/store/{store.slug}/crossborder/export").get_data(as_text=True)
    assert manifest.STANDARD in page
    bad = owner.form(f"/store/{store.slug}/crossborder/export", {"day": "tomorrow"})
    future = owner.form(f"/store/{store.slug}/crossborder/export", {"day": "2999-01-01"})
    assert bad.status_code == 422 and future.status_code == 422 and f.count(store, Task) == 0
    with f.bound(store):
        today = services.today()
    response = owner.form(f"/store/{store.slug}/crossborder/export", {"day": today.isoformat()})
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    task_id = int(response.headers["Location"].rstrip("/").rsplit("/", 1)[1])
    task = wait_for(lambda: (t := f.get(store, Task, task_id)).finished and t, timeout=120)
    assert task.state == "done", task.error
    assert task.result["orders"] == 1 and task.result["without_waybill"] == 1
    download = owner.get(f"/store/{store.slug}/jobs/{task_id}/file")
    assert download.status_code == 200
    docs = _files(download.data)
    assert _text(docs["CEB311"], "ceb:Order/ceb:OrderHead/ceb:orderNo") == order.number
    assert docs["CEB511"].findall("ceb:Logistics", NS) == []


def test_the_command_line_writes_the_same_export(app, store, tmp_path):
    sell_cross_border(store)
    cream = customs_sku(store, 10000)
    order = _paid_order(store, LATE_ON_THE_1ST, [(cream, 2)])
    out = tmp_path / "customs.zip"
    result = app.test_cli_runner().invoke(args=["crossborder", "export", store.slug, "2026-12-01", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "1 orders, 1 payments, 0 waybills" in result.output
    assert _text(_files(out.read_bytes())["CEB411"], "ceb:Payment/ceb:PaymentHead/ceb:amountPaid") == "218.20"
    bad = app.test_cli_runner().invoke(args=["crossborder", "export", store.slug, "yesterday"])
    assert bad.exit_code != 0 and "2026-12-01" in bad.output
    assert order.number
