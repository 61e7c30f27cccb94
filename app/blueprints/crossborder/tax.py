"""The cross-border e-commerce retail import tax (跨境电商综合税), in fen, exactly.

The rule (财关税〔2016〕18号, limits raised by 财关税〔2018〕49号):

- the dutiable value (完税价格) is the actual transaction price: the goods as paid (after the
  order's discounts) plus freight and insurance;
- within the limits — at most ¥5,000 per transaction and, this order included, at most ¥26,000
  per person per calendar year — customs duty is 0 % and import VAT and consumption tax are
  levied at 70 % of the amount payable by law, so each line pays
  base × (VAT rate + consumption rate) / (1 − consumption rate) × 70 %;
- over either limit the transaction is taxed in full as general trade: duty at the line's
  general (MFN) rate, then consumption tax and VAT at 100 %:
  duty = base × d; consumption = (base + duty) × c / (1 − c); VAT = (base + duty + consumption) × 13 %.

Each tax of each line is rounded half up to the fen (customs computes per item); the order's
tax is the sum. VAT is 13 % (the standard rate; goods at 9 % are not modelled). Rates are
basis points (1300 = 13 %). Freight is spread over the lines in proportion to their paid
amounts, exactly to the fen (largest remainders).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction

VAT_BP = 1300
SHARE = Fraction(70, 100)
ORDER_LIMIT = 5_000_00          # fen
YEAR_LIMIT = 26_000_00          # fen
BP = 10_000


@dataclass(frozen=True)
class TaxLine:
    key: object                 # the caller's id for the line
    paid: int                   # what the line costs after discounts, fen
    consumption_bp: int = 0     # consumption tax rate, basis points (< 10000)
    duty_bp: int = 0            # general-trade (MFN) duty rate, basis points


@dataclass(frozen=True)
class LineTax:
    key: object
    base: int                   # dutiable value of the line: paid + its freight share
    duty: int
    consumption: int
    vat: int

    @property
    def total(self) -> int:
        return self.duty + self.consumption + self.vat


@dataclass(frozen=True)
class Assessment:
    regime: str                 # "cross_border" (the 70 % rule) | "general_trade" (taxed in full)
    reason: str                 # "" | "order_limit" | "year_limit"
    dutiable: int               # the order's dutiable value, fen
    year_before: int            # the payer's dutiable total this year before this order
    lines: list[LineTax] = field(default_factory=list)

    @property
    def duty(self) -> int:
        return sum(line.duty for line in self.lines)

    @property
    def consumption(self) -> int:
        return sum(line.consumption for line in self.lines)

    @property
    def vat(self) -> int:
        return sum(line.vat for line in self.lines)

    @property
    def total(self) -> int:
        return self.duty + self.consumption + self.vat


def half_up(value: Fraction) -> int:
    """A non-negative amount in fen, rounded half up to the fen."""
    if value < 0:
        raise ValueError("tax amounts are never negative")
    return int(value + Fraction(1, 2))


def spread(amounts: list[int], total: int) -> list[int]:
    """`total` shared over `amounts` in proportion, each share whole fen, the shares summing to
    `total` exactly (largest remainders first, then the earlier line). All zero: even shares."""
    if total < 0 or any(a < 0 for a in amounts):
        raise ValueError("amounts are never negative")
    if not amounts:
        return []
    weights = amounts if sum(amounts) else [1] * len(amounts)
    whole = sum(weights)
    exact = [Fraction(total * w, whole) for w in weights]
    shares = [int(e) for e in exact]
    left = total - sum(shares)
    for i in sorted(range(len(exact)), key=lambda i: (-(exact[i] - shares[i]), i))[:left]:
        shares[i] += 1
    return shares


def _check_rates(line: TaxLine) -> None:
    if not 0 <= line.consumption_bp < BP or not 0 <= line.duty_bp <= 5 * BP:
        raise ValueError(f"rates out of range: {line}")


def line_tax(line: TaxLine, base: int, regime: str) -> LineTax:
    _check_rates(line)
    c, d, v = Fraction(line.consumption_bp, BP), Fraction(line.duty_bp, BP), Fraction(VAT_BP, BP)
    if regime == "cross_border":
        consumption = Fraction(base) * c / (1 - c)
        vat = (base + consumption) * v
        return LineTax(line.key, base, 0, half_up(consumption * SHARE), half_up(vat * SHARE))
    duty = Fraction(base) * d
    consumption = (base + duty) * c / (1 - c)
    vat = (base + duty + consumption) * v
    return LineTax(line.key, base, half_up(duty), half_up(consumption), half_up(vat))


def assess(lines: list[TaxLine], freight: int = 0, insurance: int = 0, year_before: int = 0) -> Assessment:
    """The tax of one cross-border order whose payer has already bought `year_before` fen of
    dutiable value this calendar year."""
    if not lines:
        raise ValueError("an order has lines")
    if freight < 0 or insurance < 0 or year_before < 0:
        raise ValueError("amounts are never negative")
    extras = spread([line.paid for line in lines], freight + insurance)
    bases = [line.paid + extra for line, extra in zip(lines, extras)]
    dutiable = sum(bases)
    if dutiable > ORDER_LIMIT:
        regime, reason = "general_trade", "order_limit"
    elif year_before + dutiable > YEAR_LIMIT:
        regime, reason = "general_trade", "year_limit"
    else:
        regime, reason = "cross_border", ""
    return Assessment(regime, reason, dutiable, year_before,
                      [line_tax(line, base, regime) for line, base in zip(lines, bases)])


def combined_rate(consumption_bp: int) -> Fraction:
    """The cross-border combined rate of a line within the limits: (13 % + c) / (1 − c) × 70 %."""
    c = Fraction(consumption_bp, BP)
    return (Fraction(VAT_BP, BP) + c) / (1 - c) * SHARE
