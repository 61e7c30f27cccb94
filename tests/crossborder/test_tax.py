"""The cross-border comprehensive tax, exactly to the fen: 0 % duty and 70 % of VAT plus
consumption tax within ¥5,000 per order and ¥26,000 per payer per year; taxed in full as
general trade over either limit."""
from fractions import Fraction

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from app.blueprints.crossborder import tax
from app.blueprints.crossborder.tax import TaxLine, assess, combined_rate, spread


def test_milk_powder_of_3000_yuan_pays_273_yuan():
    result = assess([TaxLine("milk", 300000)])
    assert (result.regime, result.duty, result.consumption, result.vat, result.total) == \
        ("cross_border", 0, 0, 27300, 27300)


def test_a_100_yuan_cosmetic_at_15_percent_consumption_tax():
    # consumption 10000 × 15/85 × 70 % = 1235.29 → 1235; VAT (10000 + 1764.71) × 13 % × 70 % = 1070.59 → 1071
    result = assess([TaxLine("cream", 10000, consumption_bp=1500)])
    assert (result.lines[0].consumption, result.lines[0].vat, result.total) == (1235, 1071, 2306)
    assert combined_rate(1500) == Fraction(28, 85) * Fraction(7, 10)          # 23.0588 %


def test_freight_is_dutiable_and_spread_over_the_lines_to_the_fen():
    result = assess([TaxLine("a", 10000), TaxLine("b", 20000, consumption_bp=1500)], freight=1001)
    assert [line.base for line in result.lines] == [10334, 20667]            # 333.67 / 667.33 → largest remainder
    assert result.dutiable == 31001
    assert result.lines[0].vat == 940                                         # 10334 × 9.1 % = 940.39


def test_over_the_order_limit_the_order_is_taxed_in_full_as_general_trade():
    result = assess([TaxLine("bag", 600000, consumption_bp=1500, duty_bp=1000)])
    # duty 60000; consumption 660000 × 15/85 = 116470.59; VAT (660000 + 116470.59) × 13 % = 100941.18
    assert (result.regime, result.reason) == ("general_trade", "order_limit")
    assert (result.duty, result.consumption, result.vat, result.total) == (60000, 116471, 100941, 277412)


def test_the_limits_are_inclusive_to_the_fen():
    assert assess([TaxLine("x", 500000)]).regime == "cross_border"
    assert assess([TaxLine("x", 499999)], freight=1).regime == "cross_border"
    assert assess([TaxLine("x", 500000)], freight=1).reason == "order_limit"
    assert assess([TaxLine("x", 500000)], year_before=2100000).regime == "cross_border"
    over = assess([TaxLine("x", 500000)], year_before=2100001)
    assert (over.regime, over.reason, over.total) == ("general_trade", "year_limit", 65000)


def test_bad_input_is_refused():
    with pytest.raises(ValueError):
        assess([])
    with pytest.raises(ValueError):
        assess([TaxLine("x", 100)], freight=-1)
    with pytest.raises(ValueError):
        assess([TaxLine("x", 100, consumption_bp=10000)])
    with pytest.raises(ValueError):
        assess([TaxLine("x", -5)])
    with pytest.raises(ValueError):
        spread([1, -1], 5)


amounts = st.lists(st.integers(min_value=0, max_value=10 ** 7), min_size=1, max_size=20)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(amounts, st.integers(min_value=0, max_value=10 ** 6))
def test_spread_shares_sum_exactly_and_stay_within_a_fen_of_the_proportion(weights, total):
    shares = spread(weights, total)
    assert sum(shares) == total and all(s >= 0 for s in shares)
    whole = sum(weights) or len(weights)
    for w, s in zip(weights if sum(weights) else [1] * len(weights), shares):
        assert abs(s - Fraction(total * w, whole)) < 1


rates = st.integers(min_value=0, max_value=5600)      # consumption tax rates run up to 56 % (cigarettes)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(min_value=0, max_value=tax.ORDER_LIMIT), rates)
def test_within_the_limits_one_line_pays_its_combined_rate_within_a_fen(paid, consumption_bp):
    result = assess([TaxLine("x", paid, consumption_bp=consumption_bp)])
    assert result.regime == "cross_border" and result.duty == 0
    exact = paid * combined_rate(consumption_bp)
    assert abs(result.total - exact) <= 1                       # two taxes, each rounded half up


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.integers(min_value=0, max_value=200000), rates), min_size=1, max_size=8),
       st.integers(min_value=0, max_value=20000), st.integers(min_value=0, max_value=tax.YEAR_LIMIT))
def test_the_order_total_is_the_sum_of_rounded_line_taxes_and_the_regime_follows_the_limits(rows, freight, before):
    lines = [TaxLine(i, paid, consumption_bp=c) for i, (paid, c) in enumerate(rows)]
    result = assess(lines, freight=freight, year_before=before)
    assert result.dutiable == sum(paid for paid, _ in rows) + freight == sum(l.base for l in result.lines)
    within = result.dutiable <= tax.ORDER_LIMIT and before + result.dutiable <= tax.YEAR_LIMIT
    assert result.regime == ("cross_border" if within else "general_trade")
    assert result.total == sum(l.duty + l.consumption + l.vat for l in result.lines)
    for line, (paid, c) in zip(result.lines, rows):
        full = tax.line_tax(TaxLine(line.key, paid, consumption_bp=c), line.base, "general_trade")
        if within:       # 70 % of the full tax (duty 0), a fen either way for the roundings
            assert abs(line.total - Fraction(7, 10) * (full.consumption + full.vat)) <= 2
            assert line.total <= full.total
        else:
            assert line == full
