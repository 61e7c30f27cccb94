"""A fake of Kuaidi100's servers for offline tests, speaking its documented protocol:

- POST /poll (form schema=json, param={company, number, key, parameters{callbackurl, salt}}):
  records the subscription; answers {"result":true,"returnCode":"200","message":"提交成功"},
  501 for a second subscription, 600 for an unknown key.
- POST /poll/query.do (form customer, sign=upper(md5(param+key+customer)), param{com, num}):
  answers the waybill's whole trace list newest first, or {"result":false,"returnCode":...}.
- POST /label/order (form method=order, key, t, sign=upper(md5(param+t+key+secret)), param):
  issues an electronic waybill number in the carrier's format.

Tests add scans with `scan(...)` and build the push Kuaidi100 would post with `push(...)`,
signed with the salt the subscription gave (or a wrong one)."""
from __future__ import annotations

import hashlib
import itertools
import json
import re
import threading
import urllib.parse
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

BEIJING = timezone(timedelta(hours=8))
WORD = {"0": "在途", "1": "揽收", "2": "疑难", "3": "签收", "4": "退签", "5": "派件", "6": "退回", "7": "转投",
        "14": "拒签"}


def _md5(text: str) -> str:
    return hashlib.md5(text.encode("utf-8")).hexdigest().upper()


def _dumps(value) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


class FakeKuaidi100:
    def __init__(self):
        self.accounts: dict[str, dict] = {}                 # key -> {customer, secret}
        self.subscriptions: dict[tuple[str, str], dict] = {}
        self.traces: dict[tuple[str, str], list[dict]] = {}
        self.issued: list[dict] = []
        self.requests: list[tuple[str, dict]] = []
        self.refuse_subscription: str | None = None       # a returnCode to answer instead of 200
        self._serial = itertools.count(1)
        self.lock = threading.Lock()

    def register(self, key: str, customer: str, secret: str = "") -> None:
        self.accounts[key] = {"customer": customer, "secret": secret}

    # --- what the carrier scanned ------------------------------------------------------------------

    def scan(self, company: str, number: str, state: str, context: str, at: datetime | None = None,
             area: str = "上海市") -> dict:
        """Add a scan to the waybill's record (Beijing time, as Kuaidi100 reports it)."""
        at = (at or datetime.now(timezone.utc)).astimezone(BEIJING)
        row = {"time": at.strftime("%Y-%m-%d %H:%M:%S"), "ftime": at.strftime("%Y-%m-%d %H:%M:%S"),
               "context": context, "status": WORD.get(state[:-2] if len(state) > 2 else state, "在途"),
               "statusCode": state, "areaCode": "310000000000", "areaName": area}
        with self.lock:
            self.traces.setdefault((company, number), []).append(row)
        return row

    def _result(self, company: str, number: str, rows: list[dict] | None = None) -> dict:
        rows = sorted(rows if rows is not None else self.traces.get((company, number), []),
                      key=lambda r: r["time"], reverse=True)
        state = rows[0]["statusCode"] if rows else "0"
        return {"message": "ok", "nu": number, "ischeck": "1" if state[:1] in ("3", "4") else "0",
                "condition": "F00", "com": company, "status": "200", "state": state, "data": rows}

    def push(self, company: str, number: str, *, rows: list[dict] | None = None, salt: str | None = None,
             status: str = "polling") -> tuple[str, dict]:
        """(callback path, form) of the push Kuaidi100 would post now: the whole record (or `rows`),
        signed with the subscription's salt unless `salt` says otherwise."""
        sub = self.subscriptions[(company, number)]
        param = _dumps({"status": status, "billstatus": "check", "message": "", "autoCheck": "0", "comOld": "",
                        "comNew": "", "lastResult": self._result(company, number, rows)})
        sign = _md5(param + (sub["salt"] if salt is None else salt))
        path = urllib.parse.urlsplit(sub["callbackurl"]).path
        return path, {"param": param, "sign": sign}

    # --- the API -------------------------------------------------------------------------------------

    def handle(self, path: str, form: dict) -> dict:
        self.requests.append((path, form))
        if path == "/poll":
            return self._subscribe(form)
        if path == "/poll/query.do":
            return self._query(form)
        if path == "/label/order":
            return self._label(form)
        return {"result": False, "returnCode": "404", "message": "not found"}

    def _subscribe(self, form):
        if form.get("schema") != "json":
            return {"result": False, "returnCode": "700", "message": "schema 错误"}
        try:
            param = json.loads(form["param"])
        except (KeyError, ValueError):
            return {"result": False, "returnCode": "700", "message": "param 错误"}
        if param.get("key") not in self.accounts:
            return {"result": False, "returnCode": "600", "message": "您不是合法的订阅者"}
        if self.refuse_subscription:
            return {"result": False, "returnCode": self.refuse_subscription, "message": "拒绝订阅"}
        key = (param.get("company", ""), param.get("number", ""))
        if key in self.subscriptions:
            return {"result": False, "returnCode": "501", "message": "重复订阅"}
        params = param.get("parameters") or {}
        self.subscriptions[key] = {"key": param["key"], "callbackurl": params.get("callbackurl", ""),
                                   "salt": params.get("salt", ""), "resultv2": params.get("resultv2", "")}
        return {"result": True, "returnCode": "200", "message": "提交成功"}

    def _query(self, form):
        customer, param = form.get("customer", ""), form.get("param", "")
        key = next((k for k, a in self.accounts.items() if a["customer"] == customer), None)
        if key is None or _md5(param + key + customer) != form.get("sign"):
            return {"result": False, "returnCode": "503", "message": "验证签名失败"}
        body = json.loads(param)
        rows = self.traces.get((body.get("com", ""), body.get("num", "")))
        if not rows:
            return {"result": False, "returnCode": "500", "message": "查询无结果，请隔段时间再查"}
        return self._result(body["com"], body["num"])

    def _label(self, form):
        key, t, param = form.get("key", ""), form.get("t", ""), form.get("param", "")
        account = self.accounts.get(key)
        if form.get("method") != "order" or account is None or _md5(param + t + key + account["secret"]) != form.get("sign"):
            return {"success": False, "code": 30002, "message": "验证签名失败"}
        body = json.loads(param)
        company = body.get("kuaidicom", "")
        number = self.waybill_number(company)
        self.issued.append({"kuaidicom": company, "kuaidinum": number, "param": body})
        return {"success": True, "code": 200, "message": "success",
                "data": {"taskId": f"T{len(self.issued):08d}", "kuaidinum": number, "kuaidicom": company,
                         "eOrder": "", "label": ""}}

    def waybill_number(self, company: str) -> str:
        """A number in the carrier's own format (its prefix and digit count)."""
        from app.blueprints.logistics.carriers import get

        carrier = get(company)
        example = carrier.example if carrier else "100000000000"
        prefix = re.match(r"[A-Z]*", example).group(0)
        digits = len(example) - len(prefix)
        serial = next(self._serial)
        return f"{prefix}{(10 ** (digits - 1)) * 7 + serial:0{digits}d}"[:len(example)]


def serve(fake: FakeKuaidi100, port: int = 0) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length).decode("utf-8")
            form = {k: v[-1] for k, v in urllib.parse.parse_qs(raw, keep_blank_values=True).items()}
            body = _dumps(fake.handle(urllib.parse.urlsplit(self.path).path, form)).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json;charset=UTF-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server
