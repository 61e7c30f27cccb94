"""The carriers Houtai knows, by the company codes Kuaidi100 uses (快递公司编码).

The registry is code, not a table: a carrier's code is what every tracking service, label
printer and customs record speaks, so it is fixed. A store chooses which carriers it uses and
keeps its own account with each (`CarrierAccount`); the waybill pattern here catches a
mistyped number before it reaches the carrier.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l


@dataclass(frozen=True)
class Carrier:
    code: str            # Kuaidi100 company code
    name: object         # localised name
    pattern: str         # a normalised waybill number (upper case, no spaces or dashes) must match
    example: str         # shown beside the waybill field
    label: bool = True   # can issue electronic waybills through the tracking service

    def matches(self, waybill_no: str) -> bool:
        return re.fullmatch(self.pattern, waybill_no) is not None


CARRIERS: dict[str, Carrier] = {c.code: c for c in (
    Carrier("shunfeng", _l("SF Express"), r"SF\d{12,13}|\d{12}", "SF1234567890123"),
    Carrier("zhongtong", _l("ZTO Express"), r"\d{12,15}|ZTO\d{10,14}", "73100012345678"),
    Carrier("yuantong", _l("YTO Express"), r"YT\d{10,16}|\d{10,13}", "YT6186594166532"),
    Carrier("shentong", _l("STO Express"), r"\d{12,15}|STO\d{10,14}", "773012345678901"),
    Carrier("yunda", _l("Yunda Express"), r"\d{13,15}|YD\d{10,15}", "4312345678901"),
    Carrier("jd", _l("JD Logistics"), r"JD[A-Z0-9]{11,16}", "JDVA12345678901"),
    Carrier("ems", _l("EMS"), r"\d{13}|[A-Z]{2}\d{9}[A-Z]{2}", "1100012345678"),
    Carrier("youzhengguonei", _l("China Post parcel"), r"\d{13}|[A-Z]{2}\d{9}[A-Z]{2}", "9812345678901"),
    Carrier("jtexpress", _l("J&T Express"), r"JT\d{13}|\d{12,15}", "JT0001234567890"),
    Carrier("debangkuaidi", _l("Deppon Express"), r"DPK\d{9,14}|\d{8,12}", "DPK360012345678"),
    Carrier("huitongkuaidi", _l("Best Express"), r"\d{12,15}", "557012345678"),
    Carrier("zhaijisong", _l("ZJS Express"), r"\d{10,13}", "1234567890"),
    Carrier("danniao", _l("Danniao Logistics"), r"\d{12,15}|DN\d{10,15}", "312345678901"),
    Carrier("fengwang", _l("Fengwang Express"), r"FW\d{10,15}|\d{12,15}", "FW1234567890123"),
)}


def get(code: str | None) -> Carrier | None:
    return CARRIERS.get((code or "").strip().lower())


def normalise_waybill(value: str | None) -> str:
    """Upper case, with the spaces and dashes people type or scanners add taken out."""
    return re.sub(r"[\s\-_]", "", value or "").upper()
