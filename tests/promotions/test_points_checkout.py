"""Points at checkout, end to end: the shopper types the points to pay with on the checkout page,
the order's payable drops by their value (capped at the store's share), the balance drops by
exactly the points the pipeline used, and a full refund gives them back (and takes back the
growth value a completed order earned)."""
import re

from sqlalchemy import select

from app.blueprints.members import services as member_services
from app.blueprints.members.models import Member
from app.blueprints.orders.models import Order
from app.blueprints.payments import refunds
from tests import factories as f
from tests.conftest import wait_for


def _balance(store, member_id):
    return f.read(store, lambda: f.db_session().scalar(select(Member.points).where(Member.id == member_id)))


def _shopper_with_points(store, points=5_000, price=10_000):
    sku = f.sku(store, price=price, stock=10)
    member = f.member(store)
    address = f.address(store, member)
    with f.bound(store, request=True):
        member_services.adjust_points(None, f.db_session().get(Member, member.id), points, "活动奖励")
    client = f.shopper_client(store, member)
    client.form(f"/shop/{store.slug}/cart", {"sku_id": sku.id, "quantity": 1, "mode": "add"})
    return client, member, address


def _errors_under(html, field):
    block = html.split(f'id="field-{field}"', 1)[1].split("</div>", 1)[0]
    return re.findall(r'<p class="error"[^>]*>([^<]+)</p>', block)


def test_points_typed_at_checkout_pay_part_of_the_order_and_a_full_refund_gives_them_back(app, store):
    client, member, address = _shopper_with_points(store)
    page = client.get(f"/shop/{store.slug}/checkout").get_data(as_text=True)
    assert 'name="points"' in page and "You have 5000 points" in page
    summary = client.get(f"/shop/{store.slug}/checkout/summary?address_id={address.id}&delivery=pickup&points=3000")
    assert "¥70.00" in summary.get_data(as_text=True)          # ¥100 - 3000 points (¥30)
    placed = client.form(f"/shop/{store.slug}/checkout", {"address_id": address.id, "delivery": "pickup",
                                                          "points": "3000", "idempotency_key": "pts-1"})
    assert placed.status_code == 303, placed.get_data(as_text=True)[:3000]
    number = placed.headers["Location"].rstrip("/").rsplit("/", 1)[-1]
    with f.bound(store):
        order = f.db_session().scalar(select(Order).where(Order.number == number))
        assert (order.goods_total, order.discount_total, order.payable) == (10_000, 3_000, 7_000)
        assert sum(line.discount for line in order.lines) == 3_000
    assert _balance(store, member.id) == 2_000
    order_page = client.get(placed.headers["Location"]).get_data(as_text=True)
    assert "Points deduction" in order_page
    # paid through the payment center and refunded in full: the 3000 points come back
    payment = f.payment(store, order)
    with f.bound(store, request=True):
        refunds.refund_order(None, order.id, "pts-refund-1", amount=payment.amount, reason="不要了")
    wait_for(lambda: _balance(store, member.id) == 5_000, timeout=60)


def test_more_points_than_the_balance_or_a_negative_number_is_said_under_the_field_and_orders_nothing(app, store):
    client, member, address = _shopper_with_points(store, points=500)
    for value, message in (("600", "You have 500 points."), ("-1", "Enter a whole number of points, 0 or more."),
                           ("many", "Enter a whole number of points, 0 or more.")):
        response = client.form(f"/shop/{store.slug}/checkout", {"address_id": address.id, "delivery": "pickup",
                                                                "points": value, "idempotency_key": f"bad-{value}"})
        html = response.get_data(as_text=True)
        assert response.status_code == 422, value
        assert _errors_under(html, "points") == [message]
    assert f.count(store, Order) == 0
    assert _balance(store, member.id) == 500


def test_points_pay_at_most_the_stores_share_of_the_order(app, store):
    client, member, address = _shopper_with_points(store, points=9_000)
    placed = client.form(f"/shop/{store.slug}/checkout", {"address_id": address.id, "delivery": "pickup",
                                                          "points": "9000", "idempotency_key": "cap-1"})
    assert placed.status_code == 303
    with f.bound(store):
        order = f.db_session().scalar(select(Order).where(Order.shopper_id == member.id))
        assert order.payable == 5_000                                  # 50 % of ¥100 at most
    assert _balance(store, member.id) == 4_000                         # only the 5000 points used


def _growth(store, member_id):
    return f.read(store, lambda: f.db_session().scalar(select(Member.growth).where(Member.id == member_id)))


def test_refunding_a_completed_order_takes_back_its_growth_value_share_by_share(app, store):
    from app.blueprints.members import loyalty

    member = f.member(store)
    order = f.order(store, "pending_payment", member_obj=member, price=20_000)
    payment = f.payment(store, order)
    with f.bound(store, request=True):
        from app.blueprints.orders import services as orders

        row = f.db_session().get(Order, order.id)
        for step in ("allocated", "shipped", "delivered", "completed"):
            f._order_step(orders, row, step)
    earned = 200 * 1 + 10                                         # ¥200 at 1 per ¥1, plus 10 per order
    wait_for(lambda: _growth(store, member.id) == earned, timeout=60)
    with f.bound(store, request=True):
        refunds.refund_order(None, order.id, "growth-half", amount=payment.amount // 2, reason="部分退款")
    wait_for(lambda: _growth(store, member.id) == earned - earned // 2, timeout=60)
    with f.bound(store, request=True):
        refunds.refund_order(None, order.id, "growth-rest", amount=payment.amount // 2, reason="全部退款")
    wait_for(lambda: _growth(store, member.id) == 0, timeout=60)
    assert f.read(store, lambda: loyalty.recent_growth(member.id)) == 0


def test_the_api_quotes_and_places_with_points_and_refuses_more_than_the_balance(app, client, store):
    from tests.storefront.test_api import _token

    sku = f.sku(store, price=10_000, stock=10)
    base = f"/api/v1/shop/{store.slug}"
    email = f"api-points@{store.slug}.cn"
    auth = _token(client, store.slug, email)
    with f.bound(store, request=True):
        member = f.db_session().scalar(select(Member).where(Member.email == email))
        member_services.adjust_points(None, member, 2_000, "活动奖励")
        member_id = member.id
    address = client.post(f"{base}/addresses", json={"name": "王五", "phone": "13700000000", "region_code": "110101",
                                                     "street": "长安街"}, headers=auth).get_json()
    client.put(f"{base}/cart/items", json={"sku_id": sku.id, "quantity": 1}, headers=auth)
    quote = client.post(f"{base}/checkout/quote", json={"address_id": address["id"], "points": 1_500}, headers=auth)
    assert quote.status_code == 200 and quote.get_json()["pricing"]["points_used"] == 1_500
    too_many = client.post(f"{base}/checkout", json={"address_id": address["id"], "points": 2_001},
                           headers={**auth, "Idempotency-Key": "pts-api-0"})
    assert too_many.status_code == 422 and too_many.get_json()["error"]["field"] == "points"
    assert f.count(store, Order) == 0 and _balance(store, member_id) == 2_000
    placed = client.post(f"{base}/checkout", json={"address_id": address["id"], "points": 1_500},
                         headers={**auth, "Idempotency-Key": "pts-api-1"})
    assert placed.status_code == 201, placed.get_json()
    assert placed.get_json()["payable"] == 10_000 - 1_500 + placed.get_json()["shipping_fee"]
    assert _balance(store, member_id) == 500


from hypothesis import HealthCheck, given, settings, strategies as st  # noqa: E402


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(goods=st.integers(100, 500_000), freight=st.sampled_from([0, 0, 600, 800, 2_000]) | st.integers(0, 5_000),
       spent=st.integers(1, 50_000), cuts=st.lists(st.integers(1, 1_000), min_size=1, max_size=6),
       keep_freight=st.booleans())
def test_refunding_an_order_in_any_parts_gives_back_exactly_its_points_and_takes_back_exactly_its_growth(
        app, module_store, goods, freight, spent, cuts, keep_freight):
    """However an order's payable (goods and freight) is split into refunds, together they give
    back exactly the points it spent and take back exactly the growth it earned: never more,
    never negative. Growth was earned on the goods alone, so it goes back in step with the goods
    refunded (a refund counts against the goods first), and all of it once the goods are refunded,
    even when the freight is kept (the payment then is not refunded in full)."""
    from app.blueprints.members import loyalty

    store = module_store
    member = f.member(store)
    order_id = member.id * 100
    payable = goods + freight
    refundable = goods if keep_freight else payable
    total = sum(cuts)
    parts = [refundable * c // total for c in cuts]
    parts[-1] += refundable - sum(parts)                  # the parts add up to what is refunded exactly
    earned = 1_000
    with f.bound(store, request=True) as session:
        member_services.adjust_points(None, session.get(Member, member.id), spent, "准备")
        member_services.spend_points(member.id, spent, order_id)
        loyalty.add_growth(session.get(Member, member.id), earned, order_id)
        refunded = 0
        for n, part in enumerate(parts):
            refunded += part
            last = refunded >= refundable
            member_services.refund_points(member.id, order_id, refund_id=order_id + n, amount=part, payable=payable,
                                          full=last and not keep_freight)
            # the member center's handler: prorated on the goods, all of it once they are refunded
            loyalty.refund_growth(member.id, order_id, amount=part, basis=goods,
                                  full=(last and not keep_freight) or refunded >= goods)
            row = session.get(Member, member.id)
            session.refresh(row)
            assert 0 <= row.points <= spent and 0 <= row.growth <= earned
            taken, share = earned - row.growth, earned * min(refunded, goods) // goods
            assert share - (n + 1) <= taken <= share    # its goods' share, less at most a unit of rounding a part
        row = session.get(Member, member.id)
        session.refresh(row)
        if not keep_freight:
            assert row.points == spent                     # every point spent came back
        assert row.growth == 0 and loyalty.recent_growth(member.id) == 0
