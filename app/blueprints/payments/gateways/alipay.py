"""Alipay (支付宝) open platform, RSA2: computer-website page pay, asynchronous notifications,
trade query, refund and the daily trade bill, following the public protocol.

Requests carry the common parameters and are signed with the merchant's RSA private key
(SHA256withRSA over the sorted `k=v` pairs, empty values and `sign` left out). Notifications
are verified with Alipay's public key over the sorted pairs without `sign` and `sign_type`.
Responses are verified over the exact JSON text of the `<method>_response` member.
"""
from __future__ import annotations

import base64
import csv
import io
import json
import urllib.error
import urllib.parse
import urllib.request
import zipfile
from datetime import date, datetime, timedelta, timezone

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding
from flask import current_app
from flask_babel import gettext as _, lazy_gettext as _l

from app.blueprints.payments.gateways import (BadNotification, Checkout, Field, Gateway, GatewayError, Notice,
                                              StatementRow)
from app.core.errors import DomainError
from app.core.money import to_decimal_text, to_minor

PRODUCTION = "https://openapi.alipay.com/gateway.do"
SANDBOX = "https://openapi-sandbox.dl.alipaydev.com/gateway.do"
BEIJING = timezone(timedelta(hours=8))
UNCERTAIN = {"ACQ.SYSTEM_ERROR", "ACQ.REFUND_FEE_ERROR", "ACQ.CONTEXT_INCONSISTENT", "isp.unknow-error"}
TRADE_STATUS = {"TRADE_SUCCESS": "succeeded", "TRADE_FINISHED": "succeeded", "TRADE_CLOSED": "closed",
                "WAIT_BUYER_PAY": "pending"}


def _pem(text: str, kind: str) -> bytes:
    """Accept a PEM or the bare base64 body Alipay's key tool prints."""
    text = text.strip()
    if "-----BEGIN" in text:
        return text.encode()
    label = "PRIVATE KEY" if kind == "private" else "PUBLIC KEY"
    body = "\n".join(text[i:i + 64] for i in range(0, len(text), 64))
    return f"-----BEGIN {label}-----\n{body}\n-----END {label}-----\n".encode()


def signing_string(params: dict, exclude=("sign",)) -> str:
    return "&".join(f"{k}={params[k]}" for k in sorted(params) if k not in exclude and params[k] not in (None, ""))


def rsa2_sign(content: str, private_key: str) -> str:
    key = serialization.load_pem_private_key(_pem(private_key, "private"), password=None)
    return base64.b64encode(key.sign(content.encode(), padding.PKCS1v15(), hashes.SHA256())).decode()


def rsa2_verify(content: str, signature: str, public_key: str) -> bool:
    try:
        key = serialization.load_pem_public_key(_pem(public_key, "public"))
        key.verify(base64.b64decode(signature), content.encode(), padding.PKCS1v15(), hashes.SHA256())
        return True
    except (InvalidSignature, ValueError, TypeError):
        return False


def _beijing(text: str | None) -> datetime | None:
    """Alipay's 'yyyy-MM-dd HH:mm:ss', or 'yyyy-MM-dd HH:mm:ss.SSS' as gmt_refund comes (Beijing
    time), as an aware datetime; None if absent or odd."""
    if not text:
        return None
    for pattern in ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M:%S.%f"):
        try:
            return datetime.strptime(text.strip(), pattern).replace(tzinfo=BEIJING)
        except ValueError:
            continue
    return None


def response_member(text: str, name: str) -> tuple[dict, str]:
    """The `<name>` object of a response and its exact source text (what Alipay signed)."""
    marker = f'"{name}"'
    at = text.find(marker)
    if at < 0:
        raise GatewayError(f"Alipay answered without {name}")
    start = text.index(":", at + len(marker)) + 1
    while text[start].isspace():
        start += 1
    value, end = json.JSONDecoder().raw_decode(text, start)
    return value, text[start:end]


class Alipay(Gateway):
    name = "alipay"
    label = _l("Alipay")
    fields = [Field("app_id", _l("App ID")),
              Field("environment", _l("Environment"), help=_l("production or sandbox")),
              Field("app_private_key", _l("App private key (RSA2)"), secret=True),
              Field("alipay_public_key", _l("Alipay public key"), secret=True)]
    currencies = ("CNY",)

    @classmethod
    def check_settings(cls, settings: dict, secrets: dict) -> None:
        if settings.get("environment") not in ("production", "sandbox"):
            raise DomainError(_("Choose production or sandbox."), field="environment")
        for name, kind in (("app_private_key", "private"), ("alipay_public_key", "public")):
            if not secrets.get(name):
                continue
            try:
                if kind == "private":
                    serialization.load_pem_private_key(_pem(secrets[name], kind), password=None)
                else:
                    serialization.load_pem_public_key(_pem(secrets[name], kind))
            except (ValueError, TypeError):
                raise DomainError(_("This is not an RSA key in PKCS#8 / PEM form (Alipay's key tool makes one)."),
                                  field=name) from None

    @property
    def url(self) -> str:
        override = current_app.config.get("ALIPAY_GATEWAY_URL")
        if override:
            return override
        return SANDBOX if self.settings.get("environment") == "sandbox" else PRODUCTION

    def _params(self, method: str, biz: dict, **extra) -> dict:
        params = {"app_id": self.settings.get("app_id", ""), "method": method, "format": "JSON", "charset": "utf-8",
                  "sign_type": "RSA2", "timestamp": datetime.now(BEIJING).strftime("%Y-%m-%d %H:%M:%S"),
                  "version": "1.0", "biz_content": json.dumps(biz, ensure_ascii=False, separators=(",", ":")), **extra}
        params["sign"] = rsa2_sign(signing_string(params), self.secrets.get("app_private_key", ""))
        return params

    def _call(self, method: str, biz: dict) -> dict:
        data = urllib.parse.urlencode(self._params(method, biz)).encode()
        request = urllib.request.Request(self.url + "?charset=utf-8", data=data, method="POST",
                                         headers={"Content-Type": "application/x-www-form-urlencoded;charset=utf-8"})
        try:
            with urllib.request.urlopen(request, timeout=15) as answer:
                text = answer.read().decode("utf-8")
        except (urllib.error.URLError, TimeoutError) as err:
            raise GatewayError(f"Alipay could not be reached: {err}") from err
        member = method.replace(".", "_") + "_response"
        value, raw = response_member(text, member)
        signature = json.loads(text).get("sign")
        if not signature or not rsa2_verify(raw, signature, self.secrets.get("alipay_public_key", "")):
            raise GatewayError("Alipay's answer failed signature verification")
        return value

    def checkout(self, payment, order, return_url, notify_url) -> Checkout:
        biz = {"out_trade_no": payment.number, "total_amount": to_decimal_text(payment.amount, payment.currency),
               "subject": f"{order.number}", "product_code": "FAST_INSTANT_TRADE_PAY"}
        params = self._params("alipay.trade.page.pay", biz, notify_url=notify_url, return_url=return_url)
        return Checkout(redirect_url=f"{self.url}?{urllib.parse.urlencode(params)}")

    def parse_notification(self, body, form, headers) -> list[Notice]:
        signature = form.get("sign", "")
        if not signature or not rsa2_verify(signing_string(form, ("sign", "sign_type")), signature,
                                            self.secrets.get("alipay_public_key", "")):
            raise BadNotification("bad signature")
        if form.get("app_id") != self.settings.get("app_id"):
            raise BadNotification("notification for another app")
        try:
            if form.get("out_biz_no") and form.get("refund_fee"):
                # A refund shows up as a trade notice carrying the refund request and the refunded total.
                return [Notice("refund", form["out_biz_no"], "succeeded", None, "CNY", form.get("trade_no"),
                               form.get("trade_status", ""), _beijing(form.get("gmt_refund")))]
            return [Notice("payment", form["out_trade_no"], TRADE_STATUS.get(form.get("trade_status"), "unknown"),
                           to_minor(form["total_amount"], "CNY"), "CNY", form.get("trade_no"),
                           form.get("trade_status", ""), _beijing(form.get("gmt_payment")))]
        except (KeyError, ValueError) as err:
            raise BadNotification(f"missing or bad field: {err}") from err

    def query(self, payment) -> Notice | None:
        answer = self._call("alipay.trade.query", {"out_trade_no": payment.number})
        if answer.get("code") != "10000":
            if answer.get("sub_code") == "ACQ.TRADE_NOT_EXIST":
                return None
            raise GatewayError(f"{answer.get('sub_code') or answer.get('code')}: {answer.get('sub_msg') or answer.get('msg')}")
        return Notice("payment", answer["out_trade_no"], TRADE_STATUS.get(answer.get("trade_status"), "unknown"),
                      to_minor(answer["total_amount"], "CNY"), "CNY", answer.get("trade_no"), answer.get("trade_status", ""),
                      _beijing(answer.get("send_pay_date")))

    def refund(self, payment, refund) -> Notice:
        answer = self._call("alipay.trade.refund", {
            "out_trade_no": payment.number, "refund_amount": to_decimal_text(refund.amount, payment.currency),
            "out_request_no": refund.request_id, "refund_reason": refund.reason[:256]})
        why = f"{answer.get('sub_code') or answer.get('code')}: {answer.get('sub_msg') or answer.get('msg')}"
        if answer.get("code") == "10000":
            # Alipay has no refund number of its own: refunds are known by our out_request_no
            return Notice("refund", refund.request_id, "succeeded", refund.amount, payment.currency,
                          None, answer.get("fund_change", ""), _beijing(answer.get("gmt_refund_pay")))
        if answer.get("code") == "40004" and answer.get("sub_code") not in UNCERTAIN:
            return Notice("refund", refund.request_id, "failed", refund.amount, payment.currency, raw_status=why)
        # 20000 (service busy), system errors: the outcome is unknown, so ask again with the same request
        raise GatewayError(f"Alipay: {why}")

    def refund_query(self, payment, refund) -> Notice | None:
        """`alipay.trade.fastpay.refund.query`: data back (refund_status empty or REFUND_SUCCESS) means
        refunded; no data means Alipay did not refund it."""
        answer = self._call("alipay.trade.fastpay.refund.query",
                            {"out_trade_no": payment.number, "out_request_no": refund.request_id})
        if answer.get("code") != "10000":
            raise GatewayError(f"Alipay: {answer.get('sub_code') or answer.get('code')}: {answer.get('sub_msg') or answer.get('msg')}")
        if not answer.get("refund_amount"):
            return None
        if answer.get("refund_status") not in (None, "", "REFUND_SUCCESS"):
            return Notice("refund", refund.request_id, "pending", raw_status=answer.get("refund_status", ""))
        return Notice("refund", refund.request_id, "succeeded", to_minor(answer["refund_amount"], "CNY"), "CNY",
                      None, answer.get("refund_status") or "REFUND_SUCCESS", _beijing(answer.get("gmt_refund_pay")))

    def statement(self, day: date) -> list[StatementRow]:
        """The trade bill (业务明细) of a day: a zip of GBK CSV files; the detail file lists trades and refunds."""
        answer = self._call("alipay.data.dataservice.bill.downloadurl.query",
                            {"bill_type": "trade", "bill_date": day.isoformat()})
        if answer.get("code") != "10000":
            if answer.get("sub_code") == "isp.bill_not_exist":
                raise GatewayError("Alipay: the bill for this day is not ready (or there were no trades)")
            raise GatewayError(f"{answer.get('sub_code') or answer.get('code')}: {answer.get('sub_msg') or answer.get('msg')}")
        try:
            with urllib.request.urlopen(answer["bill_download_url"], timeout=60) as got:
                archive = zipfile.ZipFile(io.BytesIO(got.read()))
        except (urllib.error.URLError, zipfile.BadZipFile, KeyError) as err:
            raise GatewayError(f"The bill could not be downloaded: {err}") from err
        # file names inside are GBK without the UTF-8 flag, so they cannot be trusted to pick the
        # detail file: every CSV is read and only detail rows (交易 / 退款) are kept
        rows = []
        for name in archive.namelist():
            if name.lower().endswith(".csv"):
                rows += parse_bill(archive.read(name).decode("gbk", "replace"))
        return rows


def parse_bill(text: str) -> list[StatementRow]:
    """Rows of the detail file: 支付宝交易号, 商户订单号, 业务类型 (交易/退款), ..., 订单金额（元） in
    column 12, 退款批次号/请求号 in column 22, 服务费（元） in column 23 (negative on a trade: the
    fee Alipay kept; positive on a refund: the share of it given back). Comment lines start with '#'."""
    rows = []
    for cells in csv.reader(line for line in text.splitlines() if line and not line.startswith("#")):
        cells = [c.strip() for c in cells]
        if len(cells) < 22 or cells[2] not in ("交易", "退款"):
            continue
        amount = abs(to_minor(cells[11], "CNY"))
        fee = abs(to_minor(cells[22], "CNY")) if len(cells) > 22 and cells[22] else 0
        if cells[2] == "交易":
            rows.append(StatementRow("payment", cells[1], cells[0], amount, "CNY", fee))
        else:
            rows.append(StatementRow("refund", cells[21], cells[0], amount, "CNY", fee))
    return rows
