"""Kuaidi100 (快递100), as its open API documents it.

- Subscription (订阅): POST https://poll.kuaidi100.com/poll, form `schema=json` and `param`, a JSON
  object {company, number, key, parameters: {callbackurl, salt, resultv2, phone}}. It answers
  {"result": true, "returnCode": "200", "message": "提交成功"}; 501 means already subscribed.
- Push (推送): Kuaidi100 posts the form fields `param` (JSON: status, message, lastResult{state,
  ischeck, com, nu, data[{time, ftime, context, status, statusCode, areaName}]}) and `sign` =
  upper(MD5(param + salt)). The callback answers {"result": true, "returnCode": "200",
  "message": "成功"}; anything else and Kuaidi100 pushes again later.
- Real-time query (实时查询): POST https://poll.kuaidi100.com/poll/query.do, form `customer`,
  `sign` = upper(MD5(param + key + customer)) and `param` {com, num, phone, resultv2, show, order}.
- Electronic waybill (电子面单下单): POST https://api.kuaidi100.com/label/order, form `method=order`,
  `key`, `t` (milliseconds), `sign` = upper(MD5(param + t + key + secret)) and `param` {kuaidicom,
  partnerId, partnerKey, ..., recMan, sendMan, cargo, count, weight, payType, expType, printType};
  it answers {"success": true, "code": 200, "data": {"taskId", "kuaidinum", "kuaidicom"}}.

Times in the records are Beijing time without an offset. Every push carries the whole trace
list (newest first), so a push that arrives late or twice changes nothing new.
"""
from __future__ import annotations

import hashlib
import json
import time
import urllib.error
import urllib.parse
import urllib.request
from datetime import datetime, timedelta, timezone

from flask import current_app
from flask_babel import lazy_gettext as _l

from app.blueprints.logistics.adapters import BadPush, CarrierAdapter, Field, Trace, Tracking, TrackingError, Waybill

BEIJING = timezone(timedelta(hours=8))
POLL_HOST = "https://poll.kuaidi100.com"
API_HOST = "https://api.kuaidi100.com"
# lastResult.state and data[].statusCode (their first digit(s) with resultv2=1/4), in our terms
STATES = {
    "0": "in_transit",          # 在途
    "1": "in_transit",          # 揽收
    "2": "exception",           # 疑难
    "3": "signed",              # 签收
    "4": "returned",            # 退签 (signed for by the sender after a return)
    "5": "out_for_delivery",    # 派件
    "6": "returned",            # 退回 (on its way back to the sender)
    "7": "in_transit",          # 转投
    "8": "in_transit",          # 清关
    "10": "in_transit",         # 待清关
    "11": "in_transit",         # 清关中
    "12": "in_transit",         # 已清关
    "13": "exception",          # 清关异常
    "14": "exception",          # 拒签
}
WORDS = {"在途": "0", "揽收": "1", "疑难": "2", "签收": "3", "退签": "4", "派件": "5", "退回": "6", "转投": "7",
         "清关": "8", "待清关": "10", "清关中": "11", "已清关": "12", "清关异常": "13", "拒签": "14"}
OK = {"result": True, "returnCode": "200", "message": "成功"}


def md5_upper(text: str) -> str:
    return hashlib.md5(text.encode("utf-8")).hexdigest().upper()


def push_sign(param: str, salt: str) -> str:
    return md5_upper(param + salt)


def query_sign(param: str, key: str, customer: str) -> str:
    return md5_upper(param + key + customer)


def label_sign(param: str, t: str, key: str, secret: str) -> str:
    return md5_upper(param + t + key + secret)


def dumps(value: dict) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def state_of(code: str | None, word: str | None = None) -> tuple[str | None, str]:
    """(our status, the carrier's code) for a state code such as "5", "301" or "1401", or a word."""
    code = (code or "").strip() or WORDS.get((word or "").strip(), "")
    if code in STATES:
        return STATES[code], code
    for cut in (2, 1):     # resultv2 sub-states: 301 -> 3, 1401 -> 14
        if len(code) > cut and code[:-cut] in STATES:
            return STATES[code[:-cut]], code
    return None, code


def beijing_time(text: str) -> datetime:
    return datetime.strptime(text.strip(), "%Y-%m-%d %H:%M:%S").replace(tzinfo=BEIJING).astimezone(timezone.utc)


def traces_of(result: dict) -> list[Trace]:
    """The trace list of a push's lastResult or a query answer, oldest first."""
    rows = result.get("data") or []
    if not isinstance(rows, list):
        raise BadPush("data is not a list")
    newest = max(range(len(rows)), key=lambda i: rows[i].get("time", ""), default=None)
    out = []
    for i, row in enumerate(rows):
        if not isinstance(row, dict) or not row.get("time"):
            raise BadPush("a trace without its time")
        try:
            at = beijing_time(row.get("ftime") or row["time"])
        except ValueError as err:
            raise BadPush(f"unreadable time {row.get('time')!r}") from err
        status, code = state_of(row.get("statusCode"), row.get("status"))
        if status is None:      # an old account without resultv2: only the newest row has the state
            status, code = state_of(result.get("state")) if i == newest else ("in_transit", code or "0")
        out.append(Trace(at=at, status=status or "in_transit", carrier_status=code or str(row.get("status", "")),
                         description=str(row.get("context", ""))[:500], location=str(row.get("areaName") or "")[:120],
                         raw=row))
    return sorted(out, key=lambda t: t.at)


class Kuaidi100(CarrierAdapter):
    name = "kuaidi100"
    fields = [Field("customer", _l("Customer ID (customer)"), help=_l("Shown in Kuaidi100's console as 公司编号.")),
              Field("key", _l("Authorisation key (key)"), secret=True),
              Field("secret", _l("Secret (for electronic waybills)"), secret=True, required=False)]
    ack_ok = (dumps(OK), 200, {"Content-Type": "application/json;charset=utf-8"})
    ack_fail = (dumps({"result": False, "returnCode": "500", "message": "签名或参数错误"}), 200,
                {"Content-Type": "application/json;charset=utf-8"})

    # --- where ---------------------------------------------------------------------------------

    @staticmethod
    def _host(default: str) -> str:
        return (current_app.config.get("KUAIDI100_BASE_URL") or default).rstrip("/")

    def _post(self, url: str, form: dict) -> dict:
        data = urllib.parse.urlencode(form).encode()
        request = urllib.request.Request(url, data=data, method="POST",
                                         headers={"Content-Type": "application/x-www-form-urlencoded;charset=utf-8"})
        try:
            with urllib.request.urlopen(request, timeout=15) as answer:
                text = answer.read().decode("utf-8")
        except (urllib.error.URLError, TimeoutError) as err:
            raise TrackingError(f"Kuaidi100 could not be reached: {err}") from err
        try:
            body = json.loads(text)
        except ValueError as err:
            raise TrackingError(f"Kuaidi100 answered something that is not JSON: {text[:200]}") from err
        if not isinstance(body, dict):
            raise TrackingError(f"Kuaidi100 answered {text[:200]}")
        return body

    # --- the interface ---------------------------------------------------------------------------

    def subscribe(self, carrier_code: str, waybill_no: str, callback_url: str, *, phone: str = "") -> None:
        salt = self.secrets.get("salt", "")
        if not self.secrets.get("key") or not salt:
            raise TrackingError("the Kuaidi100 account has no key or signing salt")
        param = {"company": carrier_code, "number": waybill_no, "key": self.secrets["key"],
                 "parameters": {"callbackurl": callback_url, "salt": salt, "resultv2": "1",
                                **({"phone": phone} if phone else {})}}
        body = self._post(self._host(POLL_HOST) + "/poll", {"schema": "json", "param": dumps(param)})
        code = str(body.get("returnCode", ""))
        if body.get("result") is True or code == "501":       # 501: 重复订阅, already subscribed
            return
        raise TrackingError(f"Kuaidi100 refused the subscription ({code}: {body.get('message', '')})")

    def parse_push(self, form: dict) -> Tracking:
        param, sign = form.get("param") or "", (form.get("sign") or "").strip()
        salt = self.secrets.get("salt", "")
        if not param or not salt or not sign:
            raise BadPush("no signature to check (param, sign or the store salt missing)")
        if not _same(push_sign(param, salt), sign.upper()):
            raise BadPush("signature does not match")
        try:
            body = json.loads(param)
            result = body["lastResult"]
            tracking = Tracking(carrier_code=str(result.get("com") or body.get("comNew") or "").lower(),
                                waybill_no=str(result.get("nu") or "").upper(), traces=traces_of(result),
                                finished=str(result.get("ischeck", "0")) == "1", message=str(body.get("message", "")))
        except (ValueError, KeyError, TypeError, AttributeError) as err:
            raise BadPush(f"not a Kuaidi100 push: {err}") from err
        if body.get("status") in ("abort", "shutdown"):
            tracking.stopped = str(body.get("status"))
        if not tracking.waybill_no:
            raise BadPush("the push names no waybill")
        return tracking

    def query(self, carrier_code: str, waybill_no: str, *, phone: str = "") -> Tracking:
        customer, key = self.settings.get("customer", ""), self.secrets.get("key", "")
        if not customer or not key:
            raise TrackingError("the Kuaidi100 account has no customer ID or key")
        param = dumps({"com": carrier_code, "num": waybill_no, "phone": phone, "resultv2": "1", "show": "0",
                       "order": "desc"})
        body = self._post(self._host(POLL_HOST) + "/poll/query.do",
                          {"customer": customer, "sign": query_sign(param, key, customer), "param": param})
        if body.get("result") is False or str(body.get("status", "")) not in ("200",):
            raise TrackingError(f"Kuaidi100 found no tracking ({body.get('returnCode', body.get('status', ''))}: "
                                f"{body.get('message', '')})")
        try:
            return Tracking(carrier_code=str(body.get("com") or carrier_code), waybill_no=str(body.get("nu") or waybill_no),
                            traces=traces_of(body), finished=str(body.get("ischeck", "0")) == "1")
        except BadPush as err:
            raise TrackingError(f"Kuaidi100's answer cannot be read: {err}") from err

    def create_waybill(self, carrier_code: str, account: dict, *, reference: str, sender: dict, receiver: dict,
                       items: list[dict], weight_grams: int | None = None) -> Waybill:
        key, secret = self.secrets.get("key", ""), self.secrets.get("secret", "")
        if not key or not secret:
            raise TrackingError("the Kuaidi100 account needs its key and secret to issue electronic waybills")
        cargo = "，".join(f"{i.get('title', '')}×{i.get('quantity', 1)}" for i in items)[:100] or "商品"
        param = {"kuaidicom": carrier_code, "partnerId": account.get("partner_id", ""),
                 "partnerKey": account.get("partner_key", ""), "partnerSecret": account.get("partner_secret", ""),
                 "partnerName": account.get("partner_name", ""), "net": account.get("net", ""),
                 "code": account.get("code", ""), "recMan": _contact(receiver), "sendMan": _contact(sender),
                 "cargo": cargo, "count": 1, "payType": "SHIPPER", "expType": account.get("exp_type") or "标准快递",
                 "printType": "IMAGE", "remark": reference[:50], "orderId": reference[:64]}
        if weight_grams:
            param["weight"] = round(weight_grams / 1000, 2)
        param = {k: v for k, v in param.items() if v not in ("", None)}
        text_param, t = dumps(param), str(int(time.time() * 1000))
        body = self._post(self._host(API_HOST) + "/label/order",
                          {"method": "order", "key": key, "t": t, "sign": label_sign(text_param, t, key, secret),
                           "param": text_param})
        data = body.get("data") or {}
        if not body.get("success") or not data.get("kuaidinum"):
            raise TrackingError(f"Kuaidi100 issued no waybill ({body.get('code', '')}: {body.get('message', '')})")
        return Waybill(number=str(data["kuaidinum"]).upper(), carrier_code=str(data.get("kuaidicom") or carrier_code),
                       task_id=str(data.get("taskId", "")))


def _contact(person: dict) -> dict:
    return {"name": person.get("name", ""), "mobile": person.get("phone") or person.get("mobile", ""),
            "printAddr": person.get("address", ""), "company": person.get("company", "")}


def _same(a: str, b: str) -> bool:
    import hmac

    return hmac.compare_digest(a.encode(), b.encode())
