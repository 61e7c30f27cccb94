"""Fakes of Alipay's and Stripe's servers for offline tests. They speak the documented
protocols: Alipay's gateway.do (RSA2-signed form requests, signed JSON answers, bill download
as a zip of GBK CSV files, and the sandbox cashier page a browser pays on) and Stripe's REST API (form-encoded bodies with bracket keys,
bearer secret keys, idempotency keys, JSON objects and lists). They keep what they were asked
so tests can look."""
from __future__ import annotations

import html
import io
import json
import secrets
import threading
from datetime import datetime, timedelta, timezone
import urllib.parse
import urllib.request
import zipfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from app.blueprints.payments.gateways.alipay import rsa2_sign, rsa2_verify, signing_string


def _beijing_now() -> str:
    return datetime.now(timezone(timedelta(hours=8))).strftime("%Y-%m-%d %H:%M:%S")


def new_rsa_keys() -> tuple[str, str]:
    """(private PEM, public PEM) for RSA 2048, as Alipay's key tool makes."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode()
    public = key.public_key().public_bytes(serialization.Encoding.PEM,
                                           serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    return private, public


class FakeAlipay:
    """Alipay's open platform gateway. Register an app (id + its public key); trades and bills
    are set by tests; refunds are recorded."""

    def __init__(self):
        self.private_key, self.public_key = new_rsa_keys()
        self.apps: dict[str, str] = {}               # app_id -> app public key
        self.trades: dict[str, dict] = {}            # out_trade_no -> trade
        self.refunds: list[dict] = []
        self.bills: dict[tuple[str, str], list[list[str]]] = {}  # (app_id, day) -> detail rows
        self.requests: list[dict] = []
        self.refuse_refund: str | None = None
        self.url = ""
        self.pending: dict[str, dict] = {}          # out_trade_no -> page-pay request waiting at the cashier
        self.notified: list[str] = []               # the shop's answers to the cashier's notifications

    def notification(self, app_id: str, **fields) -> dict:
        """An asynchronous notification as Alipay posts it, signed with Alipay's key."""
        now = _beijing_now()     # Alipay's clock
        form = {"notify_time": now, "notify_type": "trade_status_sync", "notify_id": secrets.token_hex(16),
                "app_id": app_id, "charset": "utf-8", "version": "1.0", "sign_type": "RSA2", "gmt_payment": now,
                **fields}
        form["sign"] = rsa2_sign(signing_string(form, ("sign", "sign_type")), self.private_key)
        return form

    def refund_notification(self, app_id: str, out_trade_no: str, out_biz_no: str, refund_fee: str, **fields) -> dict:
        """The trade notice Alipay posts after a refund: the refund request (out_biz_no), the
        refunded total and gmt_refund with milliseconds, as Alipay documents it."""
        now = datetime.now(timezone(timedelta(hours=8)))
        fields.setdefault("gmt_refund", now.strftime("%Y-%m-%d %H:%M:%S.") + f"{now.microsecond // 1000:03d}")
        return self.notification(app_id, out_trade_no=out_trade_no, out_biz_no=out_biz_no, refund_fee=refund_fee,
                                 trade_status="TRADE_SUCCESS", trade_no=f"T{out_trade_no}", **fields)

    def answer(self, method: str, body: dict) -> bytes:
        member = json.dumps(body, ensure_ascii=False, separators=(",", ":"))
        name = method.replace(".", "_") + "_response"
        return f'{{"{name}":{member},"sign":"{rsa2_sign(member, self.private_key)}"}}'.encode()

    def handle(self, params: dict) -> bytes:
        self.requests.append(params)
        method = params.get("method", "")
        key = self.apps.get(params.get("app_id", ""))
        if key is None or not rsa2_verify(signing_string(params), params.get("sign", ""), key):
            return self.answer(method, {"code": "40002", "msg": "Invalid Arguments", "sub_code": "isv.invalid-signature",
                                        "sub_msg": "验签出错"})
        biz = json.loads(params["biz_content"])
        if method == "alipay.trade.query":
            trade = self.trades.get(biz.get("out_trade_no"))
            if trade is None:
                return self.answer(method, {"code": "40004", "msg": "Business Failed", "sub_code": "ACQ.TRADE_NOT_EXIST",
                                            "sub_msg": "交易不存在"})
            return self.answer(method, {"code": "10000", "msg": "Success", **trade})
        if method == "alipay.trade.refund":
            if self.refuse_refund == "busy":
                return self.answer(method, {"code": "20000", "msg": "Service Currently Unavailable",
                                            "sub_code": "isp.unknow-error", "sub_msg": "系统繁忙"})
            if self.refuse_refund:
                return self.answer(method, {"code": "40004", "msg": "Business Failed", "sub_code": self.refuse_refund,
                                            "sub_msg": "退款失败"})
            done = next((r for r in self.refunds if r["out_request_no"] == biz["out_request_no"]), None)
            if done is None:
                done = dict(biz)
                self.refunds.append(done)
            trade = self.trades.get(biz["out_trade_no"], {})
            return self.answer(method, {"code": "10000", "msg": "Success", "trade_no": trade.get("trade_no", ""),
                                        "out_trade_no": biz["out_trade_no"], "refund_fee": biz["refund_amount"],
                                        "fund_change": "Y", "gmt_refund_pay": _beijing_now()})
        if method == "alipay.trade.fastpay.refund.query":
            done = next((r for r in self.refunds if r["out_request_no"] == biz["out_request_no"]), None)
            if done is None:                      # Alipay answers success with no refund data
                return self.answer(method, {"code": "10000", "msg": "Success", "out_trade_no": biz["out_trade_no"],
                                            "out_request_no": biz["out_request_no"]})
            return self.answer(method, {"code": "10000", "msg": "Success", "out_trade_no": biz["out_trade_no"],
                                        "out_request_no": biz["out_request_no"], "refund_amount": done["refund_amount"],
                                        "refund_status": "REFUND_SUCCESS"})
        if method == "alipay.data.dataservice.bill.downloadurl.query":
            if (params["app_id"], biz["bill_date"]) not in self.bills:
                return self.answer(method, {"code": "40004", "msg": "Business Failed", "sub_code": "isp.bill_not_exist",
                                            "sub_msg": "账单不存在"})
            return self.answer(method, {"code": "10000", "msg": "Success",
                                        "bill_download_url": f"{self.url.rsplit('/', 1)[0]}/bill/{params['app_id']}/{biz['bill_date']}.zip"})
        return self.answer(method, {"code": "40004", "msg": "Business Failed", "sub_code": "ACQ.UNKNOWN"})

    def cashier(self, params: dict) -> tuple[int, bytes]:
        """The sandbox cashier a shopper's browser lands on from alipay.trade.page.pay: the signed
        request checked, the amount shown, and one button that pays."""
        key = self.apps.get(params.get("app_id", ""))
        if key is None or params.get("method") != "alipay.trade.page.pay" \
                or not rsa2_verify(signing_string(params), params.get("sign", ""), key):
            return 400, "<!doctype html><p>验签出错 (invalid signature)</p>".encode()
        biz = json.loads(params["biz_content"])
        self.pending[biz["out_trade_no"]] = {"app_id": params["app_id"], "notify_url": params.get("notify_url", ""),
                                            "return_url": params.get("return_url", ""), **biz}
        page = (f'<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>支付宝 收银台</title></head><body>'
                f'<h1>支付宝沙箱</h1><p data-amount>¥{html.escape(biz["total_amount"])}</p>'
                f'<form method="post" action="/cashier/pay"><input type="hidden" name="out_trade_no" '
                f'value="{html.escape(biz["out_trade_no"])}"><button type="submit" id="alipay-pay">确认付款</button>'
                f'</form></body></html>')
        return 200, page.encode()

    def pay(self, out_trade_no: str) -> str:
        """The shopper paid at the cashier: the trade exists, the notification is posted to the shop
        (as Alipay does, from its server), and the browser goes back to the return URL."""
        trade = self.pending.pop(out_trade_no)
        trade_no = "2026" + secrets.token_hex(8)
        self.trades[out_trade_no] = {"out_trade_no": out_trade_no, "trade_no": trade_no, "trade_status": "TRADE_SUCCESS",
                                     "total_amount": trade["total_amount"]}
        form = self.notification(trade["app_id"], out_trade_no=out_trade_no, trade_no=trade_no,
                                 trade_status="TRADE_SUCCESS", total_amount=trade["total_amount"],
                                 receipt_amount=trade["total_amount"])
        request = urllib.request.Request(trade["notify_url"], data=urllib.parse.urlencode(form).encode(), method="POST")
        with urllib.request.urlopen(request, timeout=45) as answer:
            self.notified.append(answer.read().decode())
        return trade["return_url"]

    def bill_zip(self, app_id: str, day: str) -> bytes:
        header = ("支付宝交易号,商户订单号,业务类型,商品名称,创建时间,完成时间,门店编号,门店名称,操作员,终端号,对方账户,"
                  "订单金额（元）,商家实收（元）,支付宝红包（元）,集分宝（元）,支付宝优惠（元）,商家优惠（元）,券核销金额（元）,"
                  "券名称,商家红包消费金额（元）,卡消费金额（元）,退款批次号/请求号,服务费（元）,分润（元）,备注")
        lines = ["#支付宝业务明细查询", "#账号：[20880000000000000156]", f"#起始日期：[{day} 00:00:00]   终止日期：[{day} 23:59:59]",
                 "#-----------------------------------------业务明细列表----------------------------------------", header]
        lines += [",".join(row) for row in self.bills[(app_id, day)]]
        lines += ["#-----------------------------------------业务明细列表结束------------------------------------",
                  "#导出时间：[2026-11-25 09:00:00]"]
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w") as archive:
            archive.writestr(f"20880000000000000156_{day.replace('-', '')}_业务明细.csv", "\n".join(lines).encode("gbk"))
            archive.writestr(f"20880000000000000156_{day.replace('-', '')}_业务明细(汇总).csv", "#汇总\n".encode("gbk"))
        return out.getvalue()


def bill_row(trade_no, out_trade_no, kind, amount, refund_request="", fee="") -> list[str]:
    """A detail row; `fee` is 服务费（元） as Alipay writes it (negative on a trade, positive on a refund)."""
    row = [""] * 25
    row[0], row[1], row[2], row[11], row[21], row[22] = trade_no, out_trade_no, kind, amount, refund_request, fee
    return row


class FakeStripe:
    """Stripe's API for PaymentIntents, Refunds and Balance transactions."""

    def __init__(self):
        self.keys: set[str] = set()
        self.intents: dict[str, dict] = {}
        self.refunds: dict[str, dict] = {}
        self.balance: list[dict] = []
        self.idempotent: dict[str, dict] = {}
        self.requests: list[tuple[str, str, dict]] = []

    @staticmethod
    def _nested(pairs) -> dict:
        """Stripe's form encoding: metadata[k]=v, expand[]=x, created[gte]=1."""
        out: dict = {}
        for key, value in pairs:
            parts = key.replace("]", "").split("[")
            target = out
            for part in parts[:-1]:
                target = target.setdefault(part, {})
            if parts[-1] == "":
                target_list = out.setdefault(parts[0], []) if len(parts) == 2 else target
                target_list.append(value)
            else:
                target[parts[-1]] = value
        return out

    def handle(self, method: str, path: str, auth: str, idem: str | None, pairs) -> tuple[int, dict]:
        params = self._nested(pairs)
        self.requests.append((method, path, params))
        if auth.removeprefix("Bearer ") not in self.keys:
            return 401, {"error": {"type": "invalid_request_error", "message": "Invalid API Key provided"}}
        if idem and idem in self.idempotent:
            return 200, self.idempotent[idem]
        status, body = self._route(method, path, params)
        if idem and status == 200:
            self.idempotent[idem] = body
        return status, body

    def _route(self, method, path, params):
        if method == "POST" and path == "/v1/payment_intents":
            pid = "pi_" + secrets.token_hex(12)
            intent = {"id": pid, "object": "payment_intent", "amount": int(params["amount"]),
                      "amount_received": 0, "currency": params["currency"], "status": "requires_payment_method",
                      "client_secret": f"{pid}_secret_{secrets.token_hex(8)}", "metadata": params.get("metadata", {}),
                      "livemode": False}
            self.intents[pid] = intent
            return 200, intent
        if method == "GET" and path.startswith("/v1/payment_intents/"):
            intent = self.intents.get(path.rsplit("/", 1)[1])
            if intent is None:
                return 404, {"error": {"type": "invalid_request_error", "code": "resource_missing",
                                       "message": "No such payment_intent"}}
            return 200, intent
        if method == "POST" and path == "/v1/refunds":
            intent = self.intents.get(params.get("payment_intent"))
            if intent is None or intent["status"] != "succeeded":
                return 400, {"error": {"type": "invalid_request_error", "message": "This PaymentIntent has not succeeded."}}
            rid = "re_" + secrets.token_hex(12)
            refund = {"id": rid, "object": "refund", "amount": int(params["amount"]), "currency": intent["currency"],
                      "created": int(datetime.now(timezone.utc).timestamp()),
                      "payment_intent": intent["id"], "status": "pending", "metadata": params.get("metadata", {})}
            self.refunds[rid] = refund
            return 200, refund
        if method == "GET" and path.startswith("/v1/refunds/"):
            refund = self.refunds.get(path.rsplit("/", 1)[1])
            if refund is None:
                return 404, {"error": {"type": "invalid_request_error", "code": "resource_missing",
                                       "message": "No such refund"}}
            return 200, refund
        if method == "GET" and path == "/v1/balance_transactions":
            gte, lt = int(params["created"]["gte"]), int(params["created"]["lt"])
            rows = [t for t in self.balance if gte <= t["created"] < lt]
            return 200, {"object": "list", "url": "/v1/balance_transactions", "has_more": False, "data": rows}
        return 404, {"error": {"type": "invalid_request_error", "message": f"Unrecognized request URL ({method}: {path})"}}

    def succeed(self, intent_id: str) -> dict:
        intent = self.intents[intent_id]
        intent.update(status="succeeded", amount_received=intent["amount"])
        return intent


def serve(alipay: FakeAlipay, stripe_fake: FakeStripe, port: int = 0) -> ThreadingHTTPServer:
    """One local server for both fakes: /gateway.do and /bill/* are Alipay, /v1/* is Stripe."""

    class Handler(BaseHTTPRequestHandler):
        def _reply(self, status: int, body: bytes, kind="application/json;charset=utf-8"):
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Request-Id", "req_" + secrets.token_hex(6))
            self.end_headers()
            self.wfile.write(body)

        def _stripe(self, method: str):
            url = urllib.parse.urlsplit(self.path)
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
            pairs = urllib.parse.parse_qsl(url.query or body, keep_blank_values=True)
            status, answer = stripe_fake.handle(method, url.path, self.headers.get("Authorization", ""),
                                                self.headers.get("Idempotency-Key"), pairs)
            self._reply(status, json.dumps(answer).encode())

        def do_GET(self):
            if self.path.startswith("/gateway.do?"):
                status, page = alipay.cashier(dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(self.path).query)))
                return self._reply(status, page, "text/html;charset=utf-8")
            if self.path.startswith("/bill/"):
                app_id, day = self.path.split("/")[2:4]
                return self._reply(200, alipay.bill_zip(app_id, day.removesuffix(".zip")), "application/zip")
            return self._stripe("GET")

        def do_POST(self):
            if self.path == "/cashier/pay":
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode("utf-8")
                target = alipay.pay(dict(urllib.parse.parse_qsl(body))["out_trade_no"])
                self.send_response(303)
                self.send_header("Location", target)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return None
            if self.path.startswith("/gateway.do"):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode("utf-8")
                params = dict(urllib.parse.parse_qsl(body, keep_blank_values=True))
                return self._reply(200, alipay.handle(params))
            return self._stripe("POST")

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    alipay.url = f"http://127.0.0.1:{server.server_address[1]}/gateway.do"
    return server
