"""A fake of WeChat Pay's API v3 server (and WeChat's OAuth for the openid step) for offline
tests. It speaks the documented protocol: every request must carry a valid
WECHATPAY2-SHA256-RSA2048 Authorization signed with the merchant key registered here (else 401
SIGN_ERROR); every answer is signed with the current platform certificate's key (Wechatpay-*
headers); /v3/certificates lists the platform certificates encrypted with the merchant's APIv3
key (AES-256-GCM); notifications are built and signed the same way; the trade bill is a CSV of
backquoted values whose SHA1 comes with the download link. Certificates can be rotated.
"""
from __future__ import annotations

import hashlib
import json
import secrets
import threading
import time
import urllib.parse
import urllib.request
import uuid
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from app.blueprints.payments.gateways.wechat import (aes_gcm_encrypt, answer_message, parse_authorization,
                                                     request_message, rsa_sign, rsa_verify, serial_of)

BEIJING = timezone(timedelta(hours=8))
BILL_HEADER = ("交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态,付款银行,"
               "货币种类,应结订单金额,代金券金额,微信退款单号,商户退款单号,退款金额,充值券退款金额,退款类型,退款状态,商品名称,"
               "商户数据包,手续费,费率,订单金额,申请退款金额,费率备注")


def new_key() -> tuple[rsa.RSAPrivateKey, str]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key, key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                  serialization.NoEncryption()).decode()


def certificate(key: rsa.RSAPrivateKey, common_name: str, days: int = 365, start: datetime | None = None,
                serial: int | None = None) -> x509.Certificate:
    start = start or datetime.now(timezone.utc) - timedelta(days=1)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    return (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(serial or x509.random_serial_number()).not_valid_before(start)
            .not_valid_after(start + timedelta(days=days)).sign(key, hashes.SHA256()))


class Merchant:
    """What a test needs to configure a store: mchid, appid, serial, private key, APIv3 key."""

    def __init__(self, mchid: str, appid: str = "wx8888888888888888"):
        key, self.private_key = new_key()
        self.cert = certificate(key, f"{mchid} merchant")
        self.serial = serial_of(self.cert)
        self.mchid, self.appid = mchid, appid
        self.apiv3_key = secrets.token_hex(16)      # 32 characters
        self.app_secret = secrets.token_hex(16)

    def settings(self) -> dict:
        return {"mchid": self.mchid, "appid": self.appid, "merchant_serial": self.serial,
                "merchant_private_key": self.private_key, "apiv3_key": self.apiv3_key, "app_secret": self.app_secret}


class FakeWeChatPay:
    def __init__(self):
        self.platform: list[tuple[rsa.RSAPrivateKey, x509.Certificate]] = []
        self.rotate()
        self.merchants: dict[str, Merchant] = {}
        self.trades: dict[tuple[str, str], dict] = {}       # (mchid, out_trade_no) -> transaction
        self.refunds: dict[tuple[str, str], dict] = {}      # (mchid, out_refund_no) -> refund
        self.bills: dict[tuple[str, str], list[list[str]]] = {}
        self.files: dict[str, bytes] = {}
        self.requests: list[tuple[str, str, dict]] = []
        self.codes: dict[str, str] = {}                     # OAuth code -> openid
        self.refund_status = "PROCESSING"
        self.url = ""

    # --- set-up -----------------------------------------------------------------------------

    def merchant(self, mchid: str) -> Merchant:
        self.merchants[mchid] = Merchant(mchid)
        return self.merchants[mchid]

    def rotate(self, keep_old: bool = True, days: int = 365, start: datetime | None = None) -> str:
        """A new platform certificate signs from now on; the old one stays listed unless not kept."""
        key, _pem = new_key()
        cert = certificate(key, "Tenpay.com Root CA", days=days, start=start)
        self.platform = ([*self.platform] if keep_old else []) + [(key, cert)]
        return serial_of(cert)

    @property
    def current(self) -> tuple[rsa.RSAPrivateKey, x509.Certificate]:
        """The newest certificate valid now: WeChat signs with it."""
        now = datetime.now(timezone.utc)
        return next(p for p in reversed(self.platform) if p[1].not_valid_before_utc <= now <= p[1].not_valid_after_utc)

    def signed_headers(self, body: str, key=None, cert=None, timestamp: int | None = None) -> dict:
        key, cert = key or self.current[0], cert or self.current[1]
        stamp, nonce = str(timestamp or int(time.time())), secrets.token_hex(16)
        pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode()
        return {"Wechatpay-Serial": serial_of(cert), "Wechatpay-Timestamp": stamp, "Wechatpay-Nonce": nonce,
                "Wechatpay-Signature": rsa_sign(answer_message(stamp, nonce, body), pem),
                "Wechatpay-Signature-Type": "WECHATPAY2-SHA256-RSA2048", "Request-ID": uuid.uuid4().hex}

    # --- notifications ----------------------------------------------------------------------

    def notification(self, mchid: str, event_type: str, resource: dict, **sign) -> tuple[bytes, dict]:
        """(body, headers) of a notification as WeChat Pay posts it."""
        merchant = self.merchants[mchid]
        nonce = secrets.token_hex(6)                # 12 characters, as WeChat sends
        original = "refund" if event_type.startswith("REFUND.") else "transaction"
        plain = json.dumps({"mchid": mchid, **resource}, ensure_ascii=False).encode()
        body = json.dumps({
            "id": str(uuid.uuid4()), "create_time": datetime.now(BEIJING).isoformat(timespec="seconds"),
            "resource_type": "encrypt-resource", "event_type": event_type,
            "summary": "支付成功" if original == "transaction" else "退款成功",
            "resource": {"original_type": original, "algorithm": "AEAD_AES_256_GCM",
                         "ciphertext": aes_gcm_encrypt(merchant.apiv3_key, nonce, plain, original),
                         "associated_data": original, "nonce": nonce}}, ensure_ascii=False)
        return body.encode(), {"Content-Type": "application/json", **self.signed_headers(body, **sign)}

    def pay(self, mchid: str, out_trade_no: str, openid: str = "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o") -> tuple[bytes, dict]:
        """The payer paid: the trade succeeds here and the notification to send is returned."""
        trade = self.trades[(mchid, out_trade_no)]
        trade.update(trade_state="SUCCESS", trade_state_desc="支付成功", payer={"openid": openid},
                     transaction_id=trade.get("transaction_id") or f"4200{secrets.randbelow(10**24):024d}",
                     success_time=datetime.now(BEIJING).isoformat(timespec="seconds"))
        trade["amount"].update(payer_total=trade["amount"]["total"], payer_currency="CNY")
        return self.notification(mchid, "TRANSACTION.SUCCESS", {k: v for k, v in trade.items() if k != "mchid"})

    def refund_done(self, mchid: str, out_refund_no: str, status: str = "SUCCESS") -> tuple[bytes, dict]:
        refund = self.refunds[(mchid, out_refund_no)]
        refund.update(status=status, success_time=datetime.now(BEIJING).isoformat(timespec="seconds"))
        resource = {"out_trade_no": refund["out_trade_no"], "transaction_id": refund["transaction_id"],
                    "out_refund_no": out_refund_no, "refund_id": refund["refund_id"], "refund_status": status,
                    "success_time": refund["success_time"], "user_received_account": "支付用户零钱",
                    "amount": {"total": refund["amount"]["total"], "refund": refund["amount"]["refund"],
                               "payer_total": refund["amount"]["total"], "payer_refund": refund["amount"]["refund"]}}
        return self.notification(mchid, f"REFUND.{status}", resource)

    # --- the API ----------------------------------------------------------------------------

    def _certificates(self, mchid: str) -> dict:
        merchant = self.merchants[mchid]
        data = []
        for _key, cert in self.platform:
            nonce = secrets.token_hex(6)
            pem = cert.public_bytes(serialization.Encoding.PEM)
            data.append({"serial_no": serial_of(cert), "effective_time": cert.not_valid_before_utc.isoformat(),
                         "expire_time": cert.not_valid_after_utc.isoformat(),
                         "encrypt_certificate": {"algorithm": "AEAD_AES_256_GCM", "nonce": nonce,
                                                 "associated_data": "certificate",
                                                 "ciphertext": aes_gcm_encrypt(merchant.apiv3_key, nonce, pem,
                                                                               "certificate")}})
        return {"data": data}

    def handle(self, method: str, target: str, headers: dict, body: str) -> tuple[int, str, str]:
        """(status, body, content type) for one request."""
        auth = parse_authorization(headers.get("Authorization", ""))
        merchant = self.merchants.get(auth.get("mchid", ""))
        self.requests.append((method, target, json.loads(body) if body else {}))
        if merchant is None or auth.get("serial_no") != merchant.serial or not rsa_verify(
                request_message(method, target, auth.get("timestamp", ""), auth.get("nonce_str", ""), body),
                auth.get("signature", ""), merchant.cert.public_key()) or \
                abs(time.time() - int(auth.get("timestamp") or 0)) > 300:
            return 401, json.dumps({"code": "SIGN_ERROR", "message": "签名错误"}), "application/json"
        url = urllib.parse.urlsplit(target)
        query = dict(urllib.parse.parse_qsl(url.query))
        status, answer = self._route(method, url.path, query, json.loads(body) if body else {}, merchant)
        if isinstance(answer, bytes):
            return status, answer, "text/plain;charset=utf-8"
        return status, "" if answer is None else json.dumps(answer, ensure_ascii=False), "application/json"

    def _route(self, method, path, query, data, merchant):
        mchid = merchant.mchid
        if method == "GET" and path == "/v3/certificates":
            return 200, self._certificates(mchid)
        if method == "POST" and path.startswith("/v3/pay/transactions/") and path.count("/") == 4:
            mode = path.rsplit("/", 1)[1]
            if data.get("mchid") != mchid or data.get("appid") != merchant.appid:
                return 400, {"code": "PARAM_ERROR", "message": "mchid与appid不匹配"}
            if mode == "jsapi" and not (data.get("payer") or {}).get("openid"):
                return 400, {"code": "PARAM_ERROR", "message": "缺少参数payer.openid"}
            key = (mchid, data["out_trade_no"])
            if key in self.trades and self.trades[key]["trade_state"] != "NOTPAY":
                return 400, {"code": "ORDERPAID", "message": "该订单已支付"}
            prepay = f"wx{secrets.token_hex(14)}"
            self.trades[key] = {"appid": data["appid"], "mchid": mchid, "out_trade_no": data["out_trade_no"],
                                "trade_type": mode.upper(), "trade_state": "NOTPAY", "trade_state_desc": "订单未支付",
                                "amount": {"total": data["amount"]["total"],
                                           "currency": data["amount"].get("currency", "CNY")},
                                "notify_url": data["notify_url"], "description": data.get("description", ""),
                                "prepay_id": prepay, "scene_info": data.get("scene_info")}
            if mode == "native":
                self.trades[key]["code_url"] = f"weixin://wxpay/bizpayurl?pr={secrets.token_urlsafe(6)}"
                return 200, {"code_url": self.trades[key]["code_url"]}
            if mode == "h5":
                return 200, {"h5_url": f"{self.url}/h5pay?prepay_id={prepay}&package={secrets.randbelow(10**10)}"}
            if mode == "jsapi":
                return 200, {"prepay_id": prepay}
        if path.startswith("/v3/pay/transactions/out-trade-no/"):
            number = urllib.parse.unquote(path.split("/")[5])
            trade = self.trades.get((mchid, number))
            if method == "POST" and path.endswith("/close"):
                if trade is None:
                    return 404, {"code": "ORDER_NOT_EXIST", "message": "订单不存在"}
                if trade["trade_state"] == "SUCCESS":
                    return 400, {"code": "ORDERPAID", "message": "订单已支付"}
                trade["trade_state"] = "CLOSED"
                return 204, None
            if query.get("mchid") != mchid:
                return 400, {"code": "PARAM_ERROR", "message": "mchid有误"}
            if trade is None:
                return 404, {"code": "ORDER_NOT_EXIST", "message": "订单不存在"}
            return 200, {k: v for k, v in trade.items() if k not in ("notify_url", "prepay_id", "scene_info",
                                                                     "description", "code_url")}
        if method == "POST" and path == "/v3/refund/domestic/refunds":
            trade = self.trades.get((mchid, data.get("out_trade_no")))
            if trade is None or trade["trade_state"] not in ("SUCCESS", "REFUND"):
                return 404, {"code": "RESOURCE_NOT_EXISTS", "message": "订单不存在"}
            key = (mchid, data["out_refund_no"])
            refund = self.refunds.get(key)
            if refund is None:
                done = sum(r["amount"]["refund"] for (m, _n), r in self.refunds.items()
                           if m == mchid and r["out_trade_no"] == trade["out_trade_no"] and r["status"] != "CLOSED")
                if data["amount"]["total"] != trade["amount"]["total"]:
                    return 400, {"code": "PARAM_ERROR", "message": "订单金额与原订单不符"}
                if done + data["amount"]["refund"] > trade["amount"]["total"]:
                    return 400, {"code": "INVALID_REQUEST", "message": "申请退款金额超过订单可退金额"}
                refund = {"refund_id": f"5030{secrets.randbelow(10**24):024d}", "out_refund_no": data["out_refund_no"],
                          "transaction_id": trade["transaction_id"], "out_trade_no": trade["out_trade_no"],
                          "channel": "ORIGINAL", "user_received_account": "支付用户零钱",
                          "create_time": datetime.now(BEIJING).isoformat(timespec="seconds"),
                          "status": self.refund_status, "funds_account": "AVAILABLE",
                          "amount": {"total": trade["amount"]["total"], "refund": data["amount"]["refund"],
                                     "payer_total": trade["amount"]["total"], "payer_refund": data["amount"]["refund"],
                                     "currency": "CNY"}}
                if refund["status"] == "SUCCESS":
                    refund["success_time"] = refund["create_time"]
                self.refunds[key] = refund
                trade["trade_state"] = "REFUND"
            return 200, refund
        if method == "GET" and path.startswith("/v3/refund/domestic/refunds/"):
            refund = self.refunds.get((mchid, urllib.parse.unquote(path.rsplit("/", 1)[1])))
            if refund is None:
                return 404, {"code": "RESOURCE_NOT_EXISTS", "message": "退款单不存在"}
            return 200, refund
        if method == "GET" and path == "/v3/bill/tradebill":
            rows = self.bills.get((mchid, query.get("bill_date", "")))
            if rows is None:
                return 400, {"code": "NO_STATEMENT_EXIST", "message": "账单文件不存在"}
            text = self.bill_text(rows).encode("utf-8")
            token = secrets.token_urlsafe(12)
            self.files[token] = text
            return 200, {"hash_type": "SHA1", "hash_value": hashlib.sha1(text).hexdigest(),
                         "download_url": f"{self.url}/v3/billdownload/file?token={token}"}
        if method == "GET" and path == "/v3/billdownload/file":
            return 200, self.files.get(query.get("token", ""), b"")
        return 404, {"code": "RESOURCE_NOT_EXISTS", "message": f"no such API {method} {path}"}

    @staticmethod
    def bill_text(rows: list[list[str]]) -> str:
        lines = [BILL_HEADER] + [",".join(f"`{c}" for c in row) for row in rows]
        paid = [r for r in rows if r[9] == "SUCCESS"]
        lines += ["总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,申请退款总金额",
                  f"`{len(rows)},`{sum(float(r[12] or 0) for r in paid):.2f},`0.00,`0.00,"
                  f"`{sum(float(r[22] or 0) for r in rows):.2f},"
                  f"`{sum(float(r[24] or 0) for r in paid):.2f},`0.00"]
        return "\n".join(lines) + "\n"

    # --- the payer's side: H5 cashier and OAuth ---------------------------------------------

    def scan(self, code_url: str) -> str | None:
        """The payer scans a Native QR code (its weixin:// link) and pays: as `h5_confirm`."""
        trade = next((t for t in self.trades.values() if t.get("code_url") == code_url), None)
        return self._paid_and_notified(trade)

    def h5_confirm(self, prepay_id: str) -> str | None:
        """The payer confirms in WeChat's H5 cashier: the trade succeeds and the shop is notified."""
        return self._paid_and_notified(next((t for t in self.trades.values() if t.get("prepay_id") == prepay_id), None))

    def _paid_and_notified(self, trade: dict | None) -> str | None:
        """The trade succeeds and its notification is posted to the shop's notify_url (a live server)."""
        if trade is None:
            return None
        body, headers = self.pay(trade["mchid"], trade["out_trade_no"])
        request = urllib.request.Request(trade["notify_url"], data=body, method="POST", headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=45):
                pass
        except OSError:
            pass        # WeChat would retry; tests look at the trade
        return trade["out_trade_no"]


def bill_row(day: str, mchid: str, transaction_id: str, out_trade_no: str, state: str, amount: str,
             refund_id: str = "", out_refund_no: str = "", refund: str = "0.00", fee: str = "0.00") -> list[str]:
    """A bill line; `fee` is 手续费 as WeChat writes it (negative on a refund line: the fee given back)."""
    row = [""] * 27
    row[22] = fee
    row[0], row[1], row[2], row[5], row[6] = f"{day} 10:00:00", "wx8888888888888888", mchid, transaction_id, out_trade_no
    row[8], row[9], row[11], row[12], row[24] = "NATIVE", state, "CNY", amount, amount
    row[14], row[15], row[16], row[25] = refund_id, out_refund_no, refund, refund
    return row


def serve(fake: FakeWeChatPay, port: int = 0) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def _reply(self, status: int, body, kind: str, headers: dict | None = None):
            data = body if isinstance(body, bytes) else body.encode("utf-8")
            self.send_response(status)
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            if data or status != 204:
                self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _api(self, method: str):
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length).decode("utf-8") if length else ""
            status, answer, kind = fake.handle(method, self.path, dict(self.headers.items()), body)
            signed = {}
            if status < 300 and not self.path.startswith("/v3/billdownload/"):
                signed = fake.signed_headers(answer if isinstance(answer, str) else "")
            self._reply(status, answer, kind, signed)

        def do_GET(self):
            url = urllib.parse.urlsplit(self.path)
            query = dict(urllib.parse.parse_qsl(url.query))
            if url.path == "/connect/oauth2/authorize":          # WeChat's OAuth page, silent scope
                code = secrets.token_hex(8)
                fake.codes[code] = "o" + hashlib.sha1(query.get("appid", "").encode()).hexdigest()[:27]
                back = f"{query['redirect_uri']}?{urllib.parse.urlencode({'code': code, 'state': query.get('state', '')})}"
                return self._reply(302, b"", "text/plain", {"Location": back})
            if url.path == "/sns/oauth2/access_token":
                openid = fake.codes.pop(query.get("code", ""), None)
                answer = {"access_token": secrets.token_hex(16), "expires_in": 7200, "openid": openid,
                          "scope": "snsapi_base"} if openid else {"errcode": 40029, "errmsg": "invalid code"}
                return self._reply(200, json.dumps(answer), "application/json")
            if url.path == "/h5pay":                             # WeChat's H5 cashier
                page = (f'<!doctype html><html lang="zh"><title>微信支付</title><main><h1>微信支付</h1>'
                        f'<form method="post" action="/h5pay/confirm?{url.query}">'
                        f'<button type="submit">确认支付</button></form></main></html>')
                return self._reply(200, page, "text/html;charset=utf-8")
            return self._api("GET")

        def do_POST(self):
            url = urllib.parse.urlsplit(self.path)
            if url.path == "/h5pay/confirm":
                query = dict(urllib.parse.parse_qsl(url.query))
                fake.h5_confirm(query.get("prepay_id", ""))
                back = query.get("redirect_url") or "/"
                return self._reply(303, b"", "text/plain", {"Location": back})
            return self._api("POST")

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    fake.url = f"http://127.0.0.1:{server.server_address[1]}"
    return server
