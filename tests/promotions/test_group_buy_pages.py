"""Group-buy pages: the owner sets one up (bad values said under their field), publishes it;
a shopper starts a group from the shop, shares its link (QR poster), a second shopper joins
through it; once both paid the staff page counts a filled group. Staff without the right see
nothing to change."""
import re
from types import SimpleNamespace

from app.blueprints.orders.models import Order
from sqlalchemy import select
from tests import factories as f
from tests.conftest import wait_for


def _errors_under(html, field):
    block = html.split(f'id="field-{field}"', 1)[1].split("</div>", 1)[0]
    return re.findall(r'<p class="error"[^>]*>([^<]+)</p>', block)


def _order_id(store, number):
    return f.read(store, lambda: f.db_session().scalar(select(Order.id).where(Order.number == number)))


def test_the_owner_sets_up_a_group_buy_and_two_shoppers_fill_a_group_from_the_shop(app, module_store, module_owner):
    store, owner = module_store, module_owner
    sku = f.sku(store, price=10_000, stock=20)
    new = f"/store/{store.slug}/promotions/group-buys/new"
    values = {"name": "好友拼团", "sku_code": sku.code, "group_price": "59.90", "group_size": "1",
              "time_limit_minutes": "60", "starts_at": "2020-01-01 00:00", "ends_at": "2099-01-01 00:00"}
    bad = owner.form(new, values)
    assert bad.status_code == 422 and _errors_under(bad.get_data(as_text=True), "group_size")
    unknown = owner.form(new, {**values, "group_size": "2", "sku_code": "NOPE"})
    assert unknown.status_code == 422 and "No SKU with the code" in unknown.get_data(as_text=True)
    made = owner.form(new, {**values, "group_size": "2"})
    assert made.status_code in (302, 303), made.get_data(as_text=True)[:2000]
    page_url = made.headers.get("HX-Location") or made.headers["Location"]
    owner.form(page_url, {"action": "publish"})
    listing = owner.get(f"/store/{store.slug}/promotions/group-buys/").get_data(as_text=True)
    assert "好友拼团" in listing and "¥59.90" in listing

    leader, friend = f.member(store), f.member(store)
    f.address(store, leader)
    f.address(store, friend)
    leader_client, friend_client = f.shopper_client(store, leader), f.shopper_client(store, friend)
    shop = leader_client.get(f"/shop/{store.slug}/group-buys").get_data(as_text=True)
    assert "¥59.90" in shop and "Start a group" in shop
    activity_id = int(shop.split('data-activity="')[1].split('"')[0])
    opened = leader_client.form(f"/shop/{store.slug}/group-buys/{activity_id}/open")
    assert opened.status_code == 303 and "/orders/" in opened.headers["Location"]
    order_page = leader_client.get(opened.headers["Location"]).get_data(as_text=True)
    assert "¥59.90" in order_page and 'id="order-group"' in order_page
    group_url = re.search(r'href="(/shop/[^"]+/groups/[A-Z0-9]+)"', order_page).group(1)
    first = _order_id(store, opened.headers["Location"].rsplit("/", 1)[-1])
    f.payment(store, SimpleNamespace(id=first))
    wait_for(lambda: "Join this group" in friend_client.get(group_url).get_data(as_text=True), timeout=60)
    poster = leader_client.get(group_url).get_data(as_text=True)
    assert "<svg" in poster and group_url in poster and "1 of 2 paid" in poster
    assert "Join this group" not in poster                               # the leader is in it already
    joined = friend_client.form(group_url + "/join")
    assert joined.status_code == 303 and "/orders/" in joined.headers["Location"]
    again = friend_client.form(group_url + "/join")                     # a second place: refused
    assert again.status_code == 303 and again.headers["Location"].endswith(group_url)
    second = _order_id(store, joined.headers["Location"].rsplit("/", 1)[-1])
    f.payment(store, SimpleNamespace(id=second))
    wait_for(lambda: 'id="groups-succeeded">1<' in owner.get(page_url).get_data(as_text=True), timeout=60)
    assert "Succeeded" in owner.get(page_url).get_data(as_text=True)


def test_a_viewer_without_the_right_cannot_create_or_publish(app, module_store):
    store = module_store
    viewer = f.staff_client(store, permissions=["promotions.view"])
    assert viewer.get(f"/store/{store.slug}/promotions/group-buys/").status_code == 200
    assert viewer.get(f"/store/{store.slug}/promotions/group-buys/new").status_code == 403
