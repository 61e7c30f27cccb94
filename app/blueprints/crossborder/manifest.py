"""The customs export of a day's cross-border orders: the three documents (三单) of the China
customs cross-border e-commerce retail import system, each as one XML message holding every
order of the day.

Format followed: 海关总署《跨境电子商务进口统一版信息化系统企业对接报文规范》, import messages
CEB311 (电子订单 / order), CEB411 (支付凭证 / payment) and CEB511 (物流运单 / waybill), message
version 1.0, namespace http://www.chinaport.gov.cn/ceb. Fields in the order the standard lists
them; amounts N16,2 in yuan; currency 142 (RMB); times YYYYMMDDhhmmss in Beijing time; the
payer's identity type 1 (resident identity card); quantity unit 011 (件). CEB511 keeps the
standard's own spelling of the consignee element, `consingee`.

Only what the store holds is filled in; codes the store has not registered stay empty for
the declaring agent to complete. The export is a ZIP of the three files.
"""
from __future__ import annotations

import io
import uuid
import zipfile
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

NS = "http://www.chinaport.gov.cn/ceb"
VERSION = "1.0"
STANDARD = "跨境电子商务进口统一版信息化系统企业对接报文规范（CEB311/CEB411/CEB511 报文 1.0 版）"
BEIJING = ZoneInfo("Asia/Shanghai")
CURRENCY = "142"
UNIT = "011"
ET.register_namespace("ceb", NS)
_GUIDS = uuid.UUID("6b1e3c1e-8a53-4c47-9d0e-2f4b7f0c9a11")


def q(tag: str) -> str:
    return f"{{{NS}}}{tag}"


def yuan(fen: int) -> str:
    sign = "-" if fen < 0 else ""
    return f"{sign}{abs(fen) // 100}.{abs(fen) % 100:02d}"


def stamp(at: datetime | None) -> str:
    return at.astimezone(BEIJING).strftime("%Y%m%d%H%M%S") if at else ""


def guid(store_id: int, kind: str, number: str) -> str:
    """Stable per store, document and order: an export run again names the same messages."""
    return str(uuid.uuid5(_GUIDS, f"{store_id}:{kind}:{number}")).upper()


def _fill(parent, tag: str, rows: list[tuple[str, object]]):
    node = ET.SubElement(parent, q(tag))
    for name, value in rows:
        ET.SubElement(node, q(name)).text = "" if value is None else str(value)
    return node


@dataclass
class Export:
    day: date
    files: dict[str, bytes] = field(default_factory=dict)
    orders: int = 0
    payments: int = 0
    waybills: int = 0
    without_payment: list[str] = field(default_factory=list)
    without_waybill: list[str] = field(default_factory=list)

    def zip_bytes(self) -> bytes:
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for name, data in self.files.items():
                archive.writestr(name, data)
        return buffer.getvalue()


def day_window(day: date, tz: str) -> tuple[datetime, datetime]:
    """[start, end) of the day in the store's time zone."""
    zone = ZoneInfo(tz or "Asia/Shanghai")
    start = datetime.combine(day, time(), tzinfo=zone)
    return start, datetime.combine(day + timedelta(days=1), time(), tzinfo=zone)


def _message(kind: str, store_id: int, day: date):
    return ET.Element(q(f"{kind}Message"), {"guid": guid(store_id, kind, day.isoformat()), "version": VERSION})


def _base_transfer(root, settings) -> None:
    _fill(root, "BaseTransfer", [("copCode", settings.ebc_code), ("copName", settings.ebc_name), ("dxpMode", "DXP"),
                                 ("dxpId", settings.dxp_id), ("note", "")])


def _xml(root) -> bytes:
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def build(store_id: int, store_slug: str, day: date, settings, orders, declarations, payments, waybills,
          id_numbers, now: datetime) -> Export:
    """The three messages of `day` for these orders (orders.queries.CustomsOrder, paid that day)
    that have a live declaration. `id_numbers`: declaration id -> the payer's identity number."""
    export = Export(day)
    ceb311, ceb411, ceb511 = (_message(k, store_id, day) for k in ("CEB311", "CEB411", "CEB511"))
    app_time = stamp(now)
    for order in orders:
        decl = declarations.get(order.id)
        if decl is None:
            continue
        payment = payments.get(order.id)
        parcels = waybills.get(order.id) or []
        address = order.address
        consignee_address = "".join(str(address.get(k) or "") for k in ("province", "city", "district", "street"))
        id_number = id_numbers[decl.id]
        trade_no = payment["trade_no"] if payment else ""
        export.orders += 1
        node = ET.SubElement(ceb311, q("Order"))
        _fill(node, "OrderHead", [
            ("guid", guid(store_id, "CEB311", order.number)), ("appType", 1), ("appTime", app_time), ("appStatus", 2),
            ("orderType", "I"), ("orderNo", order.number), ("ebpCode", settings.ebp_code),
            ("ebpName", settings.ebp_name), ("ebcCode", settings.ebc_code), ("ebcName", settings.ebc_name),
            ("goodsValue", yuan(order.goods_total)), ("freight", yuan(order.shipping_fee)),
            ("discount", yuan(order.discount_total)), ("taxTotal", yuan(order.tax_total)),
            ("acturalPaid", yuan(order.payable)), ("currency", CURRENCY),
            ("buyerRegNo", order.shopper_id or order.shopper.get("email") or order.number),
            ("buyerName", decl.payer_name), ("buyerTelephone", decl.payer_phone or order.shopper.get("phone", "")),
            ("buyerIdType", 1), ("buyerIdNumber", id_number), ("payCode", settings.pay_code),
            ("payName", settings.pay_name), ("payTransactionId", trade_no), ("batchNumbers", ""),
            ("consignee", address.get("name", "")), ("consigneeTelephone", address.get("phone", "")),
            ("consigneeAddress", consignee_address), ("consigneeDitrict", address.get("region_code", "")),
            ("note", "")])
        customs = {line["sku_id"]: line for line in decl.lines}
        for gnum, line in enumerate(order.lines, start=1):
            c = customs.get(line.sku_id, {})
            declared = c.get("declared_value")
            note = (f"促销价，申报价值 {yuan(declared)} 元" if declared is not None and line.unit_price < declared else "")
            _fill(node, "OrderList", [
                ("gnum", gnum), ("itemNo", line.sku_code), ("itemName", line.title),
                ("gmodel", " / ".join(str(v) for v in line.options.values())), ("itemDescribe", ""),
                ("barCode", c.get("barcode", "")), ("unit", UNIT), ("qty", line.quantity),
                ("price", yuan(line.unit_price)), ("totalPrice", yuan(line.unit_price * line.quantity)),
                ("currency", CURRENCY), ("country", c.get("origin_country", "")), ("note", note)])
        if payment is None:
            export.without_payment.append(order.number)
        else:
            export.payments += 1
            _fill(ET.SubElement(ceb411, q("Payment")), "PaymentHead", [
                ("guid", guid(store_id, "CEB411", order.number)), ("appType", 1), ("appTime", app_time),
                ("appStatus", 2), ("payCode", settings.pay_code), ("payName", settings.pay_name),
                ("payTransactionId", trade_no), ("orderNo", order.number), ("ebpCode", settings.ebp_code),
                ("ebpName", settings.ebp_name), ("payerIdType", 1), ("payerIdNumber", id_number),
                ("payerName", decl.payer_name), ("telephone", decl.payer_phone or order.shopper.get("phone", "")),
                ("amountPaid", yuan(payment["amount"])), ("currency", CURRENCY),
                ("payTime", stamp(payment["paid_at"] or order.paid_at)), ("note", "")])
        if not parcels:
            export.without_waybill.append(order.number)
        goods_info = "；".join(f"{line.title}×{line.quantity}" for line in order.lines)[:200]
        for i, parcel in enumerate(parcels):
            export.waybills += 1
            grams = parcel.get("weight_grams") or 0
            _fill(ET.SubElement(ceb511, q("Logistics")), "LogisticsHead", [
                ("guid", guid(store_id, "CEB511", f"{order.number}:{parcel['waybill_no']}")), ("appType", 1),
                ("appTime", app_time), ("appStatus", 2), ("logisticsCode", settings.logistics_code),
                ("logisticsName", settings.logistics_name or parcel["carrier_name"]),
                ("logisticsNo", parcel["waybill_no"]), ("billNo", ""),
                ("freight", yuan(order.shipping_fee if i == 0 else 0)), ("insuredFee", "0.00"),
                ("currency", CURRENCY), ("weight", f"{grams / 1000:.3f}"), ("packNo", 1), ("goodsInfo", goods_info),
                ("consingee", address.get("name", "")), ("consigneeAddress", consignee_address),
                ("consigneeTelephone", address.get("phone", "")), ("note", order.number)])
    for root in (ceb311, ceb411, ceb511):
        _base_transfer(root, settings)
    tag = day.strftime("%Y%m%d")
    export.files = {f"CEB311_{store_slug}_{tag}.xml": _xml(ceb311), f"CEB411_{store_slug}_{tag}.xml": _xml(ceb411),
                    f"CEB511_{store_slug}_{tag}.xml": _xml(ceb511)}
    return export
