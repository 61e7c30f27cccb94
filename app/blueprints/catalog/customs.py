"""Customs data of a SKU for cross-border sales: the HS code (商品编码: the 8-digit tariff
line of the Customs Tariff, optionally with the 2-digit supplementary code), the origin
country as the customs country code of the JGS-20 code set (《海关业务代码集》 国别（地区）代码),
the declared unit value, and the tax rates the cross-border tax needs (consumption tax, and
the general-trade duty rate used when an order is taxed in full).

Only the origins below are offered: the JGS-20 codes are not published as a maintained
package, so the common origins of cross-border imports are listed here by hand."""
from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l

# JGS-20 country (region) code -> ISO 3166-1 alpha-2, name
COUNTRIES = {
    "110": ("HK", _l("Hong Kong, China")), "116": ("JP", _l("Japan")), "132": ("SG", _l("Singapore")),
    "133": ("KR", _l("South Korea")), "136": ("TH", _l("Thailand")), "141": ("VN", _l("Vietnam")),
    "142": ("CN", _l("China")), "301": ("BE", _l("Belgium")), "302": ("DK", _l("Denmark")),
    "303": ("GB", _l("United Kingdom")), "304": ("DE", _l("Germany")), "305": ("FR", _l("France")),
    "306": ("IE", _l("Ireland")), "307": ("IT", _l("Italy")), "309": ("NL", _l("Netherlands")),
    "312": ("ES", _l("Spain")), "315": ("AT", _l("Austria")), "330": ("SE", _l("Sweden")),
    "331": ("CH", _l("Switzerland")), "501": ("CA", _l("Canada")), "502": ("US", _l("United States")),
    "601": ("AU", _l("Australia")), "609": ("NZ", _l("New Zealand")),
}
HS_CODE = re.compile(r"\d{8}(\d{2})?")
MAX_CONSUMPTION_BP = 5600      # the highest consumption tax rate (cigarettes, 56 %)
MAX_DUTY_BP = 27000            # the highest general (MFN) duty rate of the tariff is far below this


def country_choices() -> list[tuple[str, str]]:
    return [(code, f"{name} ({code})") for code, (_iso, name) in sorted(COUNTRIES.items(), key=lambda i: i[0])]


def country_name(code: str) -> str:
    found = COUNTRIES.get(code or "")
    return str(found[1]) if found else ""
