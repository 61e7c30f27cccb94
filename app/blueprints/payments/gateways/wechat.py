"""WeChat Pay API v3 (微信支付) for a directly connected merchant (直连商户): Native (a QR code
on desktop), H5 (mobile browsers) and JSAPI (inside WeChat, after the openid step), query,
close, refunds, notifications and the daily trade bill, following the public protocol.

Written on `cryptography` rather than an SDK: the SDKs on the package index fetch certificates
from the production host inside their constructor and keep them per process, while a store's
adapter here is built per request, its certificates are kept with the store's account, and
tests point the host at a local fake.

- Every request carries ``Authorization: WECHATPAY2-SHA256-RSA2048 mchid=..,nonce_str=..,
  signature=..,timestamp=..,serial_no=..``: SHA256withRSA with the merchant's API private key
  over ``METHOD\\nPATH?QUERY\\nTIMESTAMP\\nNONCE\\nBODY\\n``; serial_no names the merchant certificate.
- Every answer and notification is signed by a platform certificate (headers Wechatpay-Serial,
  -Timestamp, -Nonce, -Signature over ``TIMESTAMP\\nNONCE\\nBODY\\n``). The certificates come from
  ``GET /v3/certificates``, each encrypted with the APIv3 key; they are kept with the store's
  account and fetched again when an unknown serial shows up (WeChat rotates them), at most
  once a minute so forged serials cannot make us hammer the API.
- A notification's ``resource`` is AEAD_AES_256_GCM with the APIv3 key (nonce and
  associated_data beside the base64 ciphertext, the 16-byte tag at its end).
- The notification endpoint answers 204 with no body when the notice is taken, 4xx with
  ``{"code": "FAIL", "message": ...}`` otherwise (WeChat resends on anything but 200/204).
"""
from __future__ import annotations

import base64
import csv
import hashlib
import io
import json
import secrets
import time
import urllib.error
import urllib.parse
import urllib.request
from datetime import date, datetime, timedelta, timezone

from cryptography import x509
from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from flask import current_app, has_request_context, request
from flask_babel import gettext as _, lazy_gettext as _l

from app.blueprints.payments.gateways import (BadNotification, Checkout, Field, Gateway, GatewayError, Notice,
                                              StatementRow)
from app.core.errors import DomainError
from app.core.money import to_minor

API = "https://api.mch.weixin.qq.com"
OPEN = "https://open.weixin.qq.com"          # OAuth authorize page (the openid step)
H5_CASHIER = "https://wx.tenpay.com"         # where an H5 order's h5_url leads the payer
SNS = "https://api.weixin.qq.com"            # OAuth code -> openid
SCHEMA = "WECHATPAY2-SHA256-RSA2048"
CLOCK_SKEW = 300                             # seconds a signed answer or notice may be off our clock
REFRESH_EVERY = 60                           # seconds between certificate downloads for unknown serials
TRADE_STATE = {"SUCCESS": "succeeded", "REFUND": "succeeded", "CLOSED": "closed", "REVOKED": "closed",
               "PAYERROR": "failed", "NOTPAY": "pending", "USERPAYING": "pending"}
REFUND_STATUS = {"SUCCESS": "succeeded", "CLOSED": "failed", "ABNORMAL": "failed", "PROCESSING": "pending"}
MODES = ("native", "h5", "jsapi")
REFUSED = {"INVALID_REQUEST", "PARAM_ERROR", "USER_ACCOUNT_ABNORMAL", "NO_AUTH"}


# --- the protocol's primitives (the fake server uses the same ones) -----------------------------

def rsa_sign(message: str, private_key_pem: str) -> str:
    key = serialization.load_pem_private_key(private_key_pem.strip().encode(), password=None)
    return base64.b64encode(key.sign(message.encode(), padding.PKCS1v15(), hashes.SHA256())).decode()


def rsa_verify(message: str, signature: str, public_key) -> bool:
    try:
        public_key.verify(base64.b64decode(signature), message.encode(), padding.PKCS1v15(), hashes.SHA256())
        return True
    except (InvalidSignature, ValueError, TypeError):
        return False


def request_message(method: str, path: str, timestamp: str, nonce: str, body: str) -> str:
    return f"{method}\n{path}\n{timestamp}\n{nonce}\n{body}\n"


def answer_message(timestamp: str, nonce: str, body: str) -> str:
    return f"{timestamp}\n{nonce}\n{body}\n"


def authorization(mchid: str, serial: str, private_key_pem: str, method: str, path: str, body: str = "",
                  timestamp: str | None = None, nonce: str | None = None) -> str:
    timestamp = timestamp or str(int(time.time()))
    nonce = nonce or secrets.token_hex(16)
    signature = rsa_sign(request_message(method, path, timestamp, nonce, body), private_key_pem)
    return (f'{SCHEMA} mchid="{mchid}",nonce_str="{nonce}",signature="{signature}",'
            f'timestamp="{timestamp}",serial_no="{serial}"')


def parse_authorization(header: str) -> dict:
    """The fields of an Authorization header (the fake server reads ours with it)."""
    schema, _sep, rest = (header or "").partition(" ")
    if schema != SCHEMA:
        return {}
    out = {}
    for part in rest.split(","):
        key, _eq, value = part.strip().partition("=")
        out[key] = value.strip('"')
    return out


def aes_gcm_decrypt(apiv3_key: str, nonce: str, ciphertext: str, associated_data: str = "") -> bytes:
    return AESGCM(apiv3_key.encode()).decrypt(nonce.encode(), base64.b64decode(ciphertext),
                                             (associated_data or "").encode())


def aes_gcm_encrypt(apiv3_key: str, nonce: str, plaintext: bytes, associated_data: str = "") -> str:
    return base64.b64encode(AESGCM(apiv3_key.encode()).encrypt(nonce.encode(), plaintext,
                                                                (associated_data or "").encode())).decode()


def serial_of(certificate: x509.Certificate) -> str:
    """A certificate's serial as WeChat writes it: upper-case hex."""
    return f"{certificate.serial_number:X}"


def _iso(text: str | None) -> datetime | None:
    """WeChat's RFC 3339 times ('2026-11-25T10:34:56+08:00')."""
    try:
        return datetime.fromisoformat(text) if text else None
    except ValueError:
        return None


def _yuan_text(minor: int) -> str:
    return f"{minor // 100}.{minor % 100:02d}"


class WeChatPay(Gateway):
    name = "wechat"
    label = _l("WeChat Pay")
    short_label = _l("WeChat Pay")
    fields = [Field("mchid", _l("Merchant ID (mchid)")),
              Field("appid", _l("AppID (official account or website app)")),
              Field("merchant_serial", _l("Merchant API certificate serial number")),
              Field("merchant_private_key", _l("Merchant API private key (apiclient_key.pem)"), secret=True),
              Field("apiv3_key", _l("APIv3 key"), secret=True, help=_l("32 characters, set in the merchant platform")),
              Field("app_secret", _l("AppSecret (only for paying inside WeChat)"), secret=True, required=False)]
    currencies = ("CNY",)
    ack_ok = ("", 204, {})
    ack_fail = ('{"code": "FAIL", "message": "notification refused"}', 400, {"Content-Type": "application/json"})

    @classmethod
    def check_settings(cls, settings: dict, secrets: dict) -> None:
        mchid = settings.get("mchid") or ""
        if mchid and not mchid.isdigit():
            raise DomainError(_("The merchant ID is the number WeChat Pay gave the merchant."), field="mchid")
        serial = settings.get("merchant_serial") or ""
        if serial and not all(c in "0123456789ABCDEFabcdef" for c in serial):
            raise DomainError(_("The certificate serial number is hexadecimal (merchant platform, API security)."),
                              field="merchant_serial")
        key = secrets.get("apiv3_key")
        if key and len(key.encode()) != 32:
            raise DomainError(_("The APIv3 key is exactly 32 characters."), field="apiv3_key")
        private = secrets.get("merchant_private_key")
        if private:
            try:
                loaded = serialization.load_pem_private_key(private.strip().encode(), password=None)
            except (ValueError, TypeError):
                loaded = None
            if not isinstance(loaded, rsa.RSAPrivateKey):
                raise DomainError(_("This is not the RSA private key in PEM form (apiclient_key.pem)."),
                                  field="merchant_private_key")

    # --- plumbing ---------------------------------------------------------------------------

    @property
    def base(self) -> str:
        return (current_app.config.get("WECHATPAY_BASE_URL") or API).rstrip("/")

    @property
    def mchid(self) -> str:
        return self.settings.get("mchid", "")

    def _auth(self, method: str, path: str, body: str = "") -> str:
        return authorization(self.mchid, self.settings.get("merchant_serial", ""),
                             self.secrets.get("merchant_private_key", ""), method, path, body)

    def _raw(self, method: str, path: str, payload: dict | None = None) -> tuple[int, dict, bytes]:
        body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")) if payload is not None else ""
        try:
            authorization_header = self._auth(method, path, body)
        except (ValueError, TypeError) as err:
            raise GatewayError("WeChat Pay: the merchant private key cannot sign") from err
        req = urllib.request.Request(self.base + path, data=body.encode() if payload is not None else None,
                                     method=method, headers={
                                         "Authorization": authorization_header, "Accept": "application/json",
                                         "Content-Type": "application/json", "User-Agent": "Houtai"})
        try:
            with urllib.request.urlopen(req, timeout=15) as answer:
                return answer.status, dict(answer.headers.items()), answer.read()
        except urllib.error.HTTPError as err:
            return err.code, dict(err.headers.items()), err.read()
        except (urllib.error.URLError, TimeoutError) as err:
            raise GatewayError(f"WeChat Pay could not be reached: {err}") from err

    def _call(self, method: str, path: str, payload: dict | None = None, missing: str | None = None) -> dict | None:
        """A signed request; the answer verified against the platform certificates. 4xx/5xx answers
        raise GatewayError with WeChat's code, except `missing` (e.g. ORDER_NOT_EXIST), which is None."""
        status, headers, raw = self._raw(method, path, payload)
        text = raw.decode("utf-8", "replace")
        if status >= 400:
            try:
                error = json.loads(text)
            except ValueError:
                error = {}
            if missing and error.get("code") == missing:
                return None
            raise GatewayError(f"WeChat Pay: {error.get('code') or status}: {error.get('message') or text[:200]}")
        if not self.verify(headers, text):
            raise GatewayError("WeChat Pay's answer failed signature verification")
        return json.loads(text) if text else {}

    # --- platform certificates --------------------------------------------------------------

    def certificates(self) -> dict[str, dict]:
        """serial -> {"pem", "expires"} as kept with the account."""
        return dict(self.settings.get("platform_certificates") or {})

    def refresh_certificates(self, force: bool = False) -> dict[str, dict]:
        """Download the platform certificates, decrypt each with the APIv3 key and keep those
        valid now (an expired one is dropped). The answer itself must verify against one of them."""
        from app.blueprints.payments import accounts

        now = time.time()
        if not force and now - float(self.settings.get("certificates_fetched_at") or 0) < REFRESH_EVERY:
            return self.certificates()
        status, headers, raw = self._raw("GET", "/v3/certificates")
        text = raw.decode("utf-8", "replace")
        if status != 200:
            raise GatewayError(f"WeChat Pay: the platform certificates could not be fetched ({status}: {text[:200]})")
        kept: dict[str, dict] = {}
        for item in json.loads(text).get("data", []):
            sealed = item.get("encrypt_certificate") or {}
            try:
                pem = aes_gcm_decrypt(self.secrets.get("apiv3_key", ""), sealed["nonce"], sealed["ciphertext"],
                                      sealed.get("associated_data", ""))
                cert = x509.load_pem_x509_certificate(pem)
            except (KeyError, ValueError, InvalidTag) as err:
                raise GatewayError("WeChat Pay: a platform certificate did not decrypt with the APIv3 key") from err
            if cert.not_valid_before_utc.timestamp() <= now <= cert.not_valid_after_utc.timestamp():
                kept[serial_of(cert)] = {"pem": pem.decode(), "expires": cert.not_valid_after_utc.isoformat()}
        serial = headers.get("Wechatpay-Serial", "")
        if serial not in kept or not self._verify_with(kept[serial]["pem"], headers, text):
            raise GatewayError("WeChat Pay: the certificate list failed signature verification")
        self.settings["platform_certificates"] = kept
        self.settings["certificates_fetched_at"] = now
        accounts.remember(self.name, platform_certificates=kept, certificates_fetched_at=now)
        return kept

    @staticmethod
    def _verify_with(pem: str, headers: dict, body: str) -> bool:
        cert = x509.load_pem_x509_certificate(pem.encode())
        return rsa_verify(answer_message(headers.get("Wechatpay-Timestamp", ""), headers.get("Wechatpay-Nonce", ""),
                                         body), headers.get("Wechatpay-Signature", ""), cert.public_key())

    def verify(self, headers: dict, body: str) -> bool:
        """A signed answer or notification: a platform certificate we hold (or fetch now, if the
        serial is new), a signature over timestamp, nonce and body, and a timestamp near our clock."""
        headers = {k.title(): v for k, v in headers.items()}
        serial = headers.get("Wechatpay-Serial", "")
        try:
            stamp = int(headers.get("Wechatpay-Timestamp", ""))
        except ValueError:
            return False
        if not serial or abs(time.time() - stamp) > CLOCK_SKEW:
            return False
        if headers.get("Wechatpay-Signature", "").startswith("WECHATPAY/SIGNTEST/"):
            return False        # WeChat's probe of whether merchants really verify
        known = self.certificates()
        if serial not in known:
            known = self.refresh_certificates()
        if serial not in known or datetime.fromisoformat(known[serial]["expires"]).timestamp() < time.time():
            return False
        return self._verify_with(known[serial]["pem"], headers, body)

    # --- paying -----------------------------------------------------------------------------

    def _order_body(self, payment, order, notify_url: str) -> dict:
        expires = datetime.now(timezone(timedelta(hours=8))) + timedelta(hours=2)
        return {"appid": self.settings.get("appid", ""), "mchid": self.mchid,
                "description": f"{self.store.name} {order.number}"[:127], "out_trade_no": payment.number,
                "time_expire": expires.isoformat(timespec="seconds"), "notify_url": notify_url,
                "amount": {"total": payment.amount, "currency": payment.currency}}

    def checkout(self, payment, order, return_url, notify_url) -> Checkout:
        """Native shows a QR code on our page; H5 sends the browser to WeChat's cashier and back
        to `return_url`; JSAPI first needs the payer's openid (the OAuth step, see `jsapi`)."""
        mode = payment.method if payment.method in MODES else "native"
        if mode == "jsapi":
            return Checkout(redirect_url=self.oauth_url(payment.number))
        body = self._order_body(payment, order, notify_url)
        if mode == "h5":
            ip = (request.remote_addr if has_request_context() else None) or "127.0.0.1"
            body["scene_info"] = {"payer_client_ip": ip, "h5_info": {"type": "Wap"}}
            answer = self._call("POST", "/v3/pay/transactions/h5", body)
            return Checkout(redirect_url=f"{answer['h5_url']}&redirect_url={urllib.parse.quote(return_url, safe='')}")
        answer = self._call("POST", "/v3/pay/transactions/native", body)
        from app.core.barcodes import qr_svg

        return Checkout(template="payments/wechat_native.html",
                        context={"code_url": answer["code_url"], "qr": qr_svg(answer["code_url"], scale=6),
                                 "return_url": return_url})

    def oauth_url(self, state: str) -> str:
        """WeChat's authorize page (snsapi_base: silent) that comes back with a code for the openid."""
        from flask import url_for

        back = url_for("payment_notify.wechat_openid", slug=self.store.slug, _external=True)
        base = (current_app.config.get("WECHAT_OPEN_BASE_URL") or OPEN).rstrip("/")
        query = urllib.parse.urlencode({"appid": self.settings.get("appid", ""), "redirect_uri": back,
                                        "response_type": "code", "scope": "snsapi_base", "state": state})
        return f"{base}/connect/oauth2/authorize?{query}#wechat_redirect"

    def openid(self, code: str) -> str:
        """Exchange the OAuth code for the payer's openid in the merchant's app."""
        base = (current_app.config.get("WECHAT_API_BASE_URL") or SNS).rstrip("/")
        query = urllib.parse.urlencode({"appid": self.settings.get("appid", ""),
                                        "secret": self.secrets.get("app_secret", ""), "code": code,
                                        "grant_type": "authorization_code"})
        try:
            with urllib.request.urlopen(f"{base}/sns/oauth2/access_token?{query}", timeout=15) as answer:
                data = json.loads(answer.read().decode())
        except (urllib.error.URLError, TimeoutError, ValueError) as err:
            raise GatewayError(f"WeChat could not be reached: {err}") from err
        if not data.get("openid"):
            raise GatewayError(f"WeChat: {data.get('errcode')}: {data.get('errmsg')}")
        return data["openid"]

    def jsapi(self, payment, order, openid: str, notify_url: str) -> dict:
        """A JSAPI order for this payer, and the parameters the page hands to WeixinJSBridge
        (getBrandWCPayRequest), signed with the merchant key."""
        body = {**self._order_body(payment, order, notify_url), "payer": {"openid": openid}}
        answer = self._call("POST", "/v3/pay/transactions/jsapi", body)
        params = {"appId": self.settings.get("appid", ""), "timeStamp": str(int(time.time())),
                  "nonceStr": secrets.token_hex(16), "package": f"prepay_id={answer['prepay_id']}", "signType": "RSA"}
        message = f"{params['appId']}\n{params['timeStamp']}\n{params['nonceStr']}\n{params['package']}\n"
        params["paySign"] = rsa_sign(message, self.secrets.get("merchant_private_key", ""))
        return params

    # --- notifications ----------------------------------------------------------------------

    def parse_notification(self, body, form, headers) -> list[Notice]:
        text = body.decode("utf-8", "replace")
        try:
            if not self.verify(headers, text):
                raise BadNotification("bad signature")
        except GatewayError as err:        # the certificates could not be fetched: WeChat will resend
            raise BadNotification(str(err)) from err
        try:
            data = json.loads(text)
            resource = data["resource"]
            if data.get("resource_type") != "encrypt-resource" or resource.get("algorithm") != "AEAD_AES_256_GCM":
                raise BadNotification("not an encrypted resource")
            plain = json.loads(aes_gcm_decrypt(self.secrets.get("apiv3_key", ""), resource["nonce"],
                                               resource["ciphertext"], resource.get("associated_data", "")))
        except (KeyError, ValueError, TypeError, InvalidTag) as err:
            raise BadNotification(f"resource did not decrypt: {err}") from err
        if plain.get("mchid") != self.mchid:
            raise BadNotification("notification for another merchant")
        event = data.get("event_type", "")
        try:
            if event.startswith("REFUND."):
                amount = plain["amount"]
                return [Notice("refund", plain["out_refund_no"], REFUND_STATUS.get(plain["refund_status"], "pending"),
                               int(amount["refund"]), amount.get("currency", "CNY"), plain.get("refund_id"),
                               plain["refund_status"], _iso(plain.get("success_time")))]
            if event == "TRANSACTION.SUCCESS":
                return [self._transaction(plain)]
        except (KeyError, ValueError, TypeError) as err:
            raise BadNotification(f"missing or bad field: {err}") from err
        return []

    @staticmethod
    def _transaction(t: dict) -> Notice:
        amount = t.get("amount") or {}
        return Notice("payment", t["out_trade_no"], TRADE_STATE.get(t["trade_state"], "unknown"),
                      int(amount["total"]) if "total" in amount else None, amount.get("currency", "CNY"),
                      t.get("transaction_id"), t["trade_state"], _iso(t.get("success_time")))

    # --- asking, closing, refunding ---------------------------------------------------------

    def query(self, payment) -> Notice | None:
        path = (f"/v3/pay/transactions/out-trade-no/{urllib.parse.quote(payment.number)}"
                f"?mchid={urllib.parse.quote(self.mchid)}")
        answer = self._call("GET", path, missing="ORDER_NOT_EXIST")
        return None if answer is None else self._transaction(answer)

    def close(self, payment) -> None:
        """Close the trade at WeChat so the payer can no longer pay it (204, no body)."""
        self._call("POST", f"/v3/pay/transactions/out-trade-no/{urllib.parse.quote(payment.number)}/close",
                   {"mchid": self.mchid})

    def _refund_notice(self, answer: dict, refund) -> Notice:
        amount = answer.get("amount") or {}
        status = REFUND_STATUS.get(answer.get("status", ""), "pending")
        return Notice("refund", answer.get("out_refund_no") or refund.request_id, status,
                      int(amount["refund"]) if "refund" in amount else refund.amount, amount.get("currency", "CNY"),
                      answer.get("refund_id"), answer.get("status", ""), _iso(answer.get("success_time")))

    def notify_url(self) -> str:
        """Our notification endpoint as WeChat must reach it (refunds are sent from a job, with no
        request: PUBLIC_URL, else the request's host, else localhost in development and tests)."""
        base = (current_app.config.get("PUBLIC_URL") or "").rstrip("/")
        if not base and has_request_context():
            base = request.host_url.rstrip("/")
        base = base or "http://localhost"
        path = current_app.url_map.bind("localhost").build("payment_notify.notify",
                                                           {"slug": self.store.slug, "gateway": self.name})
        return base + path

    def refund(self, payment, refund) -> Notice:
        body = {"out_trade_no": payment.number, "out_refund_no": refund.request_id,
                "reason": (refund.reason or "")[:80] or None, "notify_url": self.notify_url(),
                "amount": {"refund": refund.amount, "total": payment.amount, "currency": payment.currency}}
        body = {k: v for k, v in body.items() if v is not None}
        status, headers, raw = self._raw("POST", "/v3/refund/domestic/refunds", body)
        text = raw.decode("utf-8", "replace")
        if status >= 400:
            try:
                error = json.loads(text)
            except ValueError:
                error = {}
            code = error.get("code", "")
            # refused for good; anything else (NOT_ENOUGH balance, SYSTEM_ERROR, 5xx) is asked again later
            if status in (400, 403) and code in REFUSED:
                return Notice("refund", refund.request_id, "failed", refund.amount, payment.currency,
                              raw_status=f"{code}: {error.get('message', '')}"[:300])
            raise GatewayError(f"WeChat Pay: {code or status}: {error.get('message') or text[:200]}")
        if not self.verify(headers, text):
            raise GatewayError("WeChat Pay's answer failed signature verification")
        return self._refund_notice(json.loads(text), refund)

    def refund_query(self, payment, refund) -> Notice | None:
        answer = self._call("GET", f"/v3/refund/domestic/refunds/{urllib.parse.quote(refund.request_id)}",
                            missing="RESOURCE_NOT_EXISTS")
        return None if answer is None else self._refund_notice(answer, refund)

    # --- the trade bill ---------------------------------------------------------------------

    def statement(self, day: date) -> list[StatementRow]:
        """The day's trade bill (交易账单, bill_type ALL): its download link, then the file itself
        (a signed GET; the file is not signed, its SHA1 comes with the link)."""
        answer = self._call("GET", f"/v3/bill/tradebill?bill_date={day.isoformat()}&bill_type=ALL")
        link = urllib.parse.urlsplit(answer["download_url"])
        path = link.path + (f"?{link.query}" if link.query else "")
        status, _headers, raw = self._raw("GET", path)
        if status != 200:
            raise GatewayError(f"WeChat Pay: the bill could not be downloaded ({status})")
        if answer.get("hash_type", "SHA1").upper() == "SHA1" and hashlib.sha1(raw).hexdigest() != \
                (answer.get("hash_value") or "").lower():
            raise GatewayError("WeChat Pay: the bill does not match its SHA1")
        return parse_bill(raw.decode("utf-8-sig", "replace"))


def parse_bill(text: str) -> list[StatementRow]:
    """The trade bill: a header line, one line per trade or refund with every value behind a
    backquote, then a summary (总交易单数,...) and its values. Columns used: 5 微信订单号,
    6 商户订单号, 9 交易状态 (SUCCESS / REFUND), 11 货币种类, 14 微信退款单号, 15 商户退款单号,
    16 退款金额, 23 手续费 (the fee WeChat kept on a trade; negative on a refund: the share given
    back), 24 订单金额 (yuan)."""
    rows = []
    for cells in csv.reader(text.splitlines()):
        cells = [c.strip().lstrip("`") for c in cells]
        if len(cells) < 25 or cells[9] not in ("SUCCESS", "REFUND"):
            continue
        currency = "CNY" if cells[11] in ("", "CNY") else cells[11]
        fee = abs(to_minor(cells[22], currency)) if cells[22] else 0
        if cells[9] == "SUCCESS":
            rows.append(StatementRow("payment", cells[6], cells[5], abs(to_minor(cells[24], currency)), currency, fee))
        else:
            rows.append(StatementRow("refund", cells[15], cells[14], abs(to_minor(cells[16], currency)), currency, fee))
    return rows
