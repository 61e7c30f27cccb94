"""Freight quotes (运费模板 rules) without a database: each kind of rule, free shipping,
regions not delivered to, and the rule for lines of different templates; properties."""
import pytest
from hypothesis import given, settings, strategies as st

from app.blueprints.logistics.freight import FreightLine, Rate, TemplateSnapshot, Undeliverable, compute

NANSHAN, GUANGZHOU_TIANHE, URUMQI, LHASA, HONG_KONG = "440305", "440106", "650102", "540102", "810000"


def _template(tid=1, basis="piece", rate=(1, 1000, 1, 500), rules=(), free=(), undeliverable=()):
    return TemplateSnapshot(tid, f"T{tid}", basis, Rate(*rate),
                            tuple((frozenset(codes), Rate(*r)) for codes, r in rules),
                            tuple((frozenset(codes), kind, threshold) for codes, kind, threshold in free),
                            frozenset(undeliverable))


def _fee(templates, lines, region, default=None):
    templates = {t.id: t for t in templates}
    return compute(templates, default or min(templates), lines, region).fee


def test_by_piece_first_and_additional_pieces():
    t = _template(rate=(1, 1000, 1, 500))          # first piece 10.00, each further piece 5.00
    assert _fee([t], [FreightLine(1, 1)], NANSHAN) == 1000
    assert _fee([t], [FreightLine(1, 4)], NANSHAN) == 1000 + 3 * 500
    blocks = _template(rate=(2, 800, 3, 400))      # first 2 pieces 8.00, each started 3 more 4.00
    assert [_fee([blocks], [FreightLine(1, q)], NANSHAN) for q in (1, 2, 3, 5, 6)] == [800, 800, 1200, 1200, 1600]


def test_by_weight_counts_grams_of_every_piece_and_starts_a_block_for_a_part():
    t = _template(basis="weight", rate=(1000, 1200, 500, 300))   # first kg 12.00, each started 0.5 kg 3.00
    assert _fee([t], [FreightLine(1, 1, weight_grams=800)], NANSHAN) == 1200
    assert _fee([t], [FreightLine(1, 3, weight_grams=400)], NANSHAN) == 1200 + 300        # 1.2 kg
    assert _fee([t], [FreightLine(1, 2, weight_grams=1000)], NANSHAN) == 1200 + 2 * 300   # 2 kg


def test_by_volume_counts_cubic_centimetres():
    t = _template(basis="volume", rate=(100_000, 2000, 100_000, 1000))   # first 0.1 m³ 20.00, then 10.00 a 0.1 m³
    assert _fee([t], [FreightLine(1, 2, volume_cm3=60_000)], NANSHAN) == 2000 + 1000
    assert _fee([t], [FreightLine(1, 1, volume_cm3=None)], NANSHAN) == 2000   # no volume: the first fee only


def test_a_region_rule_for_a_city_beats_its_province_and_the_default():
    t = _template(rate=(1, 1000, 1, 500), rules=[({"440000"}, (1, 600, 1, 200)), ({"440300"}, (1, 300, 1, 100)),
                                                 ({"650000", "540000"}, (1, 2500, 1, 1500))])
    assert _fee([t], [FreightLine(1, 2)], NANSHAN) == 400            # 深圳's own rule
    assert _fee([t], [FreightLine(1, 2)], GUANGZHOU_TIANHE) == 800   # 广东 province rule
    assert _fee([t], [FreightLine(1, 2)], URUMQI) == 4000
    assert _fee([t], [FreightLine(1, 2)], "110105") == 1500          # default rule
    assert _fee([t], [FreightLine(1, 2)], "") == 1500                # an address without a code: default rule


def test_free_shipping_by_amount_or_pieces_per_region():
    t = _template(rate=(1, 1000, 1, 500), free=[((), "amount", 9900), ({"440000"}, "quantity", 3)])
    assert _fee([t], [FreightLine(1, 1, amount=9899)], URUMQI) == 1000
    assert _fee([t], [FreightLine(1, 1, amount=9900)], URUMQI) == 0            # 99.00 reached, everywhere
    assert _fee([t], [FreightLine(1, 3, amount=300)], NANSHAN) == 0            # 3 pieces, in 广东
    assert _fee([t], [FreightLine(1, 3, amount=300)], URUMQI) == 2000          # 3 pieces outside 广东: charged


def test_regions_not_delivered_to_are_refused_naming_the_products():
    far = _template(tid=2, undeliverable={"650000", "540000", "810000"})
    near = _template(tid=1)
    with pytest.raises(Undeliverable) as refused:
        _fee([near, far], [FreightLine(1, 1, title="茶杯"), FreightLine(2, 1, title="冰箱")], URUMQI)
    assert "冰箱" in refused.value.message and "茶杯" not in refused.value.message
    assert refused.value.field == "region_code"
    with pytest.raises(Undeliverable):
        _fee([far], [FreightLine(2, 1, title="冰箱")], HONG_KONG)
    assert _fee([near, far], [FreightLine(1, 1), FreightLine(2, 1)], NANSHAN) == 1000 + 500


def test_lines_of_different_templates_pay_the_largest_first_fee_once_and_the_rest_as_additional_units():
    cheap = _template(tid=1, rate=(1, 600, 1, 200))
    heavy = _template(tid=2, basis="weight", rate=(1000, 1500, 1000, 700))
    bulky = _template(tid=3, rate=(1, 1200, 2, 300))
    lines = [FreightLine(1, 3), FreightLine(2, 1, weight_grams=2500), FreightLine(3, 3)]
    quote = compute({t.id: t for t in (cheap, heavy, bulky)}, 1, lines, NANSHAN)
    by_id = {g.template_id: g for g in quote.groups}
    assert by_id[2].lead and by_id[2].charged == 1500 + 2 * 700      # the largest first fee: in full
    assert by_id[1].charged == 3 * 200                                # 3 pieces as additional pieces
    assert by_id[3].charged == 2 * 300                                # 3 pieces = 2 started blocks of 2
    assert quote.fee == 2900 + 600 + 600
    # a template whose lines ship free adds nothing and cannot lead
    free_heavy = _template(tid=2, basis="weight", rate=(1000, 1500, 1000, 700), free=[((), "quantity", 1)])
    assert _fee([cheap, free_heavy, bulky], lines, NANSHAN) == 1200 + 300 + 3 * 200


def test_lines_without_a_template_or_with_a_deleted_one_use_the_default():
    default, other = _template(tid=1, rate=(1, 1000, 1, 500)), _template(tid=2, rate=(1, 300, 1, 100))
    assert _fee([default, other], [FreightLine(None, 1), FreightLine(99, 1)], NANSHAN, default=1) == 1500


# --- properties -------------------------------------------------------------------------------

rates = st.tuples(st.integers(1, 5000), st.integers(0, 10 ** 5), st.integers(1, 5000), st.integers(0, 10 ** 5))
templates = st.lists(st.tuples(st.sampled_from(["piece", "weight", "volume"]), rates,
                               st.lists(st.tuples(st.sampled_from(["amount", "quantity"]), st.integers(0, 10 ** 5)),
                                        max_size=2)), min_size=1, max_size=3)
lines = st.lists(st.tuples(st.integers(0, 3), st.integers(1, 99), st.integers(0, 10 ** 6),
                           st.one_of(st.none(), st.integers(0, 20000))), min_size=1, max_size=20)


def _build(spec):
    return {i + 1: _template(i + 1, basis, rate, free=[((), kind, th) for kind, th in free])
            for i, (basis, rate, free) in enumerate(spec)}


def _lines(raw):
    return [FreightLine(tid or None, q, amount, measure, measure) for tid, q, amount, measure in raw]


@settings(max_examples=300, deadline=None)
@given(templates, lines, st.sampled_from([NANSHAN, URUMQI, "110105", ""]))
def test_the_fee_is_never_negative_nor_more_than_quoting_each_template_alone(spec, raw, region):
    built = _build(spec)
    quote = compute(built, 1, _lines(raw), region)
    assert quote.fee >= 0
    assert quote.fee <= sum(g.alone for g in quote.groups)
    charged = [g for g in quote.groups if not g.free]
    assert (quote.fee == 0) == (not charged or all(g.charged == 0 for g in charged))
    if charged:
        assert quote.fee >= max(g.rate.first_fee for g in charged)


@settings(max_examples=300, deadline=None)
@given(rates, st.integers(0, 10 ** 5), st.lists(st.tuples(st.integers(1, 99), st.integers(0, 10 ** 5)),
                                                min_size=1, max_size=20))
def test_reaching_the_free_shipping_amount_always_ships_free_and_below_it_never(rate, threshold, raw):
    template = _template(1, "piece", rate, free=[((), "amount", threshold)])
    cart = [FreightLine(1, q, amount) for q, amount in raw]
    fee = compute({1: template}, 1, cart, NANSHAN).fee
    if sum(a for _, a in raw) >= threshold:
        assert fee == 0
    else:
        assert fee == Rate(*rate).alone(sum(q for q, _ in raw))
