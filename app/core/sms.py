"""Text messages (短信) behind one small interface: `sender().send_code(phone, code)`.

- `AliyunSms`: Alibaba Cloud SMS (dysmsapi, API version 2017-05-25), the `SendSms` action as a
  signed RPC request: the parameters sorted, each RFC 3986 percent-encoded, joined with `&`;
  the string to sign is ``GET&%2F&`` + the encoded query; the signature is base64 of
  HMAC-SHA1 keyed with ``AccessKeySecret + "&"`` (SignatureVersion 1.0, a fresh
  SignatureNonce and a UTC Timestamp on every request). The answer's ``Code`` is ``OK`` or
  Aliyun's error code (isv.BUSINESS_LIMIT_CONTROL, isv.MOBILE_NUMBER_ILLEGAL, ...).
- `LogSms`: development and demos without an SMS account: the code goes to the log.

Written on the standard library rather than Aliyun's SDK (alibabacloud-dysmsapi20170525 pulls
in the Tea runtime and its credential chain for one signed GET).

Configuration (platform-wide: the platform sends under its approved sign name and template):
SMS_PROVIDER (aliyun | log), ALIYUN_SMS_ACCESS_KEY_ID, ALIYUN_SMS_ACCESS_KEY_SECRET,
ALIYUN_SMS_SIGN_NAME, ALIYUN_SMS_TEMPLATE_CODE (a template with a ${code} variable),
ALIYUN_SMS_ENDPOINT (https://dysmsapi.aliyuncs.com).
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import urllib.error
import urllib.parse
import urllib.request
import uuid
from datetime import datetime, timezone

from flask import current_app

log = logging.getLogger(__name__)
ENDPOINT = "https://dysmsapi.aliyuncs.com"


class SmsError(Exception):
    """The provider refused or could not be reached; `code` is its error code when it gave one."""

    def __init__(self, message: str, code: str = ""):
        super().__init__(message)
        self.code = code


class SmsSender:
    def send_code(self, phone: str, code: str) -> str:
        """Send a one-time code to an 11-digit mainland mobile number; returns the provider's id."""
        raise NotImplementedError


class LogSms(SmsSender):
    def send_code(self, phone: str, code: str) -> str:
        log.warning("SMS to %s: sign-in code %s (SMS_PROVIDER=log: nothing was sent)", phone, code)
        return "log"


def percent_encode(value: str) -> str:
    """RFC 3986: A-Z a-z 0-9 - _ . ~ kept, everything else %XY of its UTF-8 bytes (space is %20)."""
    return urllib.parse.quote(str(value), safe="~")


def rpc_signature(params: dict, secret: str, method: str = "GET") -> str:
    canonical = "&".join(f"{percent_encode(k)}={percent_encode(params[k])}" for k in sorted(params))
    to_sign = f"{method}&{percent_encode('/')}&{percent_encode(canonical)}"
    digest = hmac.new(f"{secret}&".encode(), to_sign.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


class AliyunSms(SmsSender):
    def __init__(self, access_key_id: str, access_key_secret: str, sign_name: str, template_code: str,
                 endpoint: str = ENDPOINT):
        self.access_key_id, self.secret = access_key_id, access_key_secret
        self.sign_name, self.template_code, self.endpoint = sign_name, template_code, endpoint.rstrip("/")

    def params(self, phone: str, code: str, nonce: str | None = None, timestamp: str | None = None) -> dict:
        params = {"AccessKeyId": self.access_key_id, "Action": "SendSms", "Format": "JSON",
                  "PhoneNumbers": phone, "RegionId": "cn-hangzhou", "SignName": self.sign_name,
                  "SignatureMethod": "HMAC-SHA1", "SignatureNonce": nonce or uuid.uuid4().hex,
                  "SignatureVersion": "1.0", "TemplateCode": self.template_code,
                  "TemplateParam": json.dumps({"code": code}, separators=(",", ":")),
                  "Timestamp": timestamp or datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
                  "Version": "2017-05-25"}
        params["Signature"] = rpc_signature(params, self.secret)
        return params

    def send_code(self, phone: str, code: str) -> str:
        query = "&".join(f"{percent_encode(k)}={percent_encode(v)}" for k, v in self.params(phone, code).items())
        try:
            with urllib.request.urlopen(f"{self.endpoint}/?{query}", timeout=10) as answer:
                body = json.loads(answer.read().decode("utf-8"))
        except urllib.error.HTTPError as err:        # signature, timestamp, nonce errors come as 4xx
            try:
                body = json.loads(err.read().decode("utf-8"))
            except ValueError:
                raise SmsError(f"Aliyun SMS answered {err.code}") from err
        except (urllib.error.URLError, TimeoutError, ValueError) as err:
            raise SmsError(f"Aliyun SMS could not be reached: {err}") from err
        if body.get("Code") != "OK":
            raise SmsError(f"Aliyun SMS: {body.get('Code')}: {body.get('Message')}", body.get("Code", ""))
        return body.get("BizId", "")


def sender() -> SmsSender:
    cfg = current_app.config
    if cfg.get("SMS_PROVIDER") == "aliyun":
        return AliyunSms(cfg["ALIYUN_SMS_ACCESS_KEY_ID"], cfg["ALIYUN_SMS_ACCESS_KEY_SECRET"],
                         cfg["ALIYUN_SMS_SIGN_NAME"], cfg["ALIYUN_SMS_TEMPLATE_CODE"],
                         cfg.get("ALIYUN_SMS_ENDPOINT") or ENDPOINT)
    return LogSms()
