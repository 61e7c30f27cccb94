"""A fake of Alibaba Cloud's SMS endpoint (dysmsapi.aliyuncs.com, RPC style, API 2017-05-25):
it checks the request signature as Aliyun documents it (its own implementation, not ours),
the timestamp (15 minutes) and the nonce (once), the AccessKey, sign name and template, then
records the text it would send. Tests read the codes from `messages`."""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import urllib.parse
import uuid
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def _encode(value: str) -> str:
    # Aliyun's recipe: form-encode, then + -> %20, * -> %2A, %7E -> ~
    return urllib.parse.quote_plus(value, safe="").replace("+", "%20").replace("*", "%2A").replace("%7E", "~")


class FakeAliyunSms:
    def __init__(self, access_key_id="LTAI5tFakeKeyForTests", secret="fake-secret-for-tests",
                 sign_name="后台商城", template_code="SMS_465000001"):
        self.keys = {access_key_id: secret}
        self.access_key_id, self.secret = access_key_id, secret
        self.sign_names, self.templates = {sign_name}, {template_code}
        self.sign_name, self.template_code = sign_name, template_code
        self.nonces: set[str] = set()
        self.messages: list[dict] = []
        self.refuse: str | None = None       # an error code to answer, e.g. isv.BUSINESS_LIMIT_CONTROL
        self.url = ""

    def last_code(self, phone: str) -> str:
        return next(json.loads(m["TemplateParam"])["code"] for m in reversed(self.messages)
                    if m["PhoneNumbers"] == phone)

    def handle(self, query: str) -> tuple[int, dict]:
        params = dict(urllib.parse.parse_qsl(query, keep_blank_values=True))
        request_id = str(uuid.uuid4()).upper()
        signature = params.pop("Signature", "")
        secret = self.keys.get(params.get("AccessKeyId", ""))
        if secret is None:
            return 404, {"RequestId": request_id, "Code": "InvalidAccessKeyId.NotFound",
                         "Message": "Specified access key is not found."}
        canonical = "&".join(f"{_encode(k)}={_encode(v)}" for k, v in sorted(params.items()))
        to_sign = "GET&%2F&" + _encode(canonical)
        expected = base64.b64encode(hmac.new((secret + "&").encode(), to_sign.encode(), hashlib.sha1).digest()).decode()
        if not hmac.compare_digest(expected, signature):
            return 400, {"RequestId": request_id, "Code": "SignatureDoesNotMatch",
                         "Message": f"Specified signature is not matched with our calculation. server string to sign is:{to_sign}"}
        try:
            stamp = datetime.strptime(params.get("Timestamp", ""), "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
        except ValueError:
            return 400, {"RequestId": request_id, "Code": "InvalidTimeStamp.Format", "Message": "Specified time stamp or date value is not well formatted."}
        if abs(datetime.now(timezone.utc) - stamp) > timedelta(minutes=15):
            return 400, {"RequestId": request_id, "Code": "InvalidTimeStamp.Expired",
                         "Message": "Specified time stamp or date value is expired."}
        if params.get("SignatureNonce") in self.nonces:
            return 400, {"RequestId": request_id, "Code": "SignatureNonceUsed",
                         "Message": "Specified signature nonce was used already."}
        self.nonces.add(params.get("SignatureNonce", ""))
        if params.get("Action") != "SendSms" or params.get("Version") != "2017-05-25":
            return 400, {"RequestId": request_id, "Code": "InvalidAction.NotFound", "Message": "Specified api is not found"}
        if params.get("SignName") not in self.sign_names:
            return 200, {"RequestId": request_id, "Code": "isv.SMS_SIGNATURE_ILLEGAL", "Message": "签名不合法"}
        if params.get("TemplateCode") not in self.templates:
            return 200, {"RequestId": request_id, "Code": "isv.SMS_TEMPLATE_ILLEGAL", "Message": "模板不合法"}
        phone = params.get("PhoneNumbers", "")
        if not (phone.isdigit() and len(phone) == 11 and phone.startswith("1")):
            return 200, {"RequestId": request_id, "Code": "isv.MOBILE_NUMBER_ILLEGAL", "Message": "非法手机号"}
        if self.refuse:
            return 200, {"RequestId": request_id, "Code": self.refuse, "Message": "触发号码天级流控"}
        self.messages.append(params)
        return 200, {"RequestId": request_id, "Code": "OK", "Message": "OK", "BizId": f"{len(self.messages)}^0"}


def serve(fake: FakeAliyunSms, port: int = 0) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            status, body = fake.handle(urllib.parse.urlsplit(self.path).query)
            data = json.dumps(body, ensure_ascii=False).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json;charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    fake.url = f"http://127.0.0.1:{server.server_address[1]}"
    return server
