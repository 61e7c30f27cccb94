"""Countries and regions an address abroad may name: the ISO 3166 alpha-2 codes for which
`phonenumbers` knows the numbering plan (so the phone can be checked), named in the reader's
language by Babel's CLDR data. CN is the mainland, whose addresses use app.core.regions."""
from __future__ import annotations

from functools import lru_cache

import phonenumbers
from babel import Locale
from flask_babel import get_locale

MAINLAND = "CN"


def codes() -> frozenset[str]:
    return frozenset(phonenumbers.SUPPORTED_REGIONS)


@lru_cache(maxsize=8)
def _names(locale: str) -> dict[str, str]:
    territories = Locale.parse(locale).territories
    return {code: territories.get(code, code) for code in codes()}


def _locale() -> str:
    try:
        return str(get_locale() or "zh_CN")
    except RuntimeError:        # no request or app context
        return "zh_CN"


def name(code: str) -> str:
    """The country's name in the reader's language (the code itself when unknown)."""
    return _names(_locale()).get(code, code)


def choices() -> list[tuple[str, str]]:
    """(code, name): the mainland first, then every other country by name."""
    names = _names(_locale())
    return [(MAINLAND, names[MAINLAND])] + sorted(((c, n) for c, n in names.items() if c != MAINLAND),
                                                   key=lambda pair: pair[1])


def abroad_name(code: str | None) -> str:
    """The country's name for an address abroad, "" for the mainland (or none given): a template
    filter (`|abroad_country`) the address lines of orders, notices and labels end with."""
    return name(code) if code and code != MAINLAND else ""
