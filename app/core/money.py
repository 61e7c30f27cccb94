"""Money is integer minor units with the currency beside it (DESIGN rule 5); never floats."""
from __future__ import annotations

from decimal import Decimal, InvalidOperation

from flask_babel import gettext

EXPONENT = {"CNY": 2, "USD": 2, "EUR": 2, "HKD": 2, "JPY": 0}
SYMBOL = {"CNY": "¥", "USD": "$", "EUR": "€", "HKD": "HK$", "JPY": "JP¥"}   # one symbol per currency


class BadAmount(ValueError):
    """Text that is not an exact amount of the currency; its message is in the reader's language."""


def to_minor(text: str, currency: str = "CNY") -> int:
    """'12.34' -> 1234 for CNY; raises ValueError on anything that is not an exact amount."""
    exp = EXPONENT[currency]
    try:
        value = Decimal(str(text).strip().replace(",", ""))
    except InvalidOperation as err:
        raise BadAmount(gettext("“%(text)s” is not an amount; write it like 12.50.", text=text)) from err
    if not value.is_finite() or abs(value) >= Decimal(10) ** 15:
        raise BadAmount(gettext("“%(text)s” is not an amount; write it like 12.50.", text=text))
    scaled = value * (10 ** exp)
    if scaled != scaled.to_integral_value():
        raise BadAmount(gettext("%(currency)s amounts have at most %(n)d decimals: “%(text)s”.",
                                currency=currency, n=exp, text=text))
    return int(scaled)


def format_money(minor: int | None, currency: str = "CNY") -> str:
    if minor is None:
        return ""
    exp = EXPONENT.get(currency, 2)
    sign = "-" if minor < 0 else ""
    whole, frac = divmod(abs(minor), 10 ** exp) if exp else (abs(minor), 0)
    body = f"{whole:,}" + (f".{frac:0{exp}d}" if exp else "")
    return f"{sign}{SYMBOL.get(currency, currency + ' ')}{body}"


def to_major(minor: int, currency: str = "CNY") -> Decimal:
    """1234 -> Decimal('12.34') for CNY: the number a spreadsheet adds up (exports)."""
    return Decimal(int(minor)).scaleb(-EXPONENT.get(currency, 2))


def to_decimal_text(minor: int, currency: str = "CNY") -> str:
    """1234 -> '12.34' for CNY: the plain form gateways such as Alipay expect."""
    exp = EXPONENT.get(currency, 2)
    return str((Decimal(minor) / (10 ** exp)).quantize(Decimal(1).scaleb(-exp))) if exp else str(minor)


def currency_name(currency: str) -> str:
    """The currency's name in the reader's language (人民币, Japanese Yen): what a chart's amounts
    are in, said in words (the code itself where Babel does not know it)."""
    from babel.numbers import get_currency_name
    from flask_babel import get_locale

    return get_currency_name(currency, locale=get_locale() or "en")
