"""The member admin as staff use it: search and filters, export, bulk tags, the member's page
with orders and points, its actions and their refusals; a shopper sees only their own points."""
from __future__ import annotations

import csv
import io

from sqlalchemy import select

from app.blueprints.members import loyalty, services
from app.blueprints.members.models import Member, MemberEvent
from app.core.db import utcnow
from tests import factories as f


def _people(store):
    gold = f.level(store, "gold", threshold=1000, name="Gold")
    ann = f.member(store, email="ann@example.com", name="Ann Li")
    bob = f.member(store, email="bob@example.com", name="Bob Wu")
    f.on_level(store, ann, gold)
    with f.bound(store, request=True) as session:
        loyalty.add_tag(None, session.get(Member, bob.id), "wholesale")
        loyalty.record_order_paid(ann.id, 80000, utcnow())
        session.get(Member, bob.id).phone = "13912345678"
    return ann, bob


def _emails(html: str) -> set[str]:
    return {e for e in ("ann@example.com", "bob@example.com") if e in html}


def test_staff_find_members_by_name_phone_email_and_filters(app, store):
    ann, bob = _people(store)
    owner = f.client("store", store=store)
    base = f"/store/{store.slug}/members/"
    assert _emails(owner.get(base + "?q=ann li").get_data(as_text=True)) == {"ann@example.com"}
    assert _emails(owner.get(base + "?q=1391234").get_data(as_text=True)) == {"bob@example.com"}
    assert _emails(owner.get(base + "?q=bob@").get_data(as_text=True)) == {"bob@example.com"}
    assert _emails(owner.get(base + "?level=gold").get_data(as_text=True)) == {"ann@example.com"}
    assert _emails(owner.get(base + "?level=-").get_data(as_text=True)) == {"bob@example.com"}
    assert _emails(owner.get(base + "?tag=wholesale").get_data(as_text=True)) == {"bob@example.com"}
    assert _emails(owner.get(base + "?min_spent=500.00").get_data(as_text=True)) == {"ann@example.com"}
    assert _emails(owner.get(base + "?min_orders=1&max_orders=1").get_data(as_text=True)) == {"ann@example.com"}
    today = utcnow().date().isoformat()
    assert _emails(owner.get(base + f"?ordered_since={today}").get_data(as_text=True)) == {"ann@example.com"}
    bad = owner.get(base + "?min_spent=lots")
    assert bad.status_code == 200 and _emails(bad.get_data(as_text=True)) == {"ann@example.com", "bob@example.com"}
    exported = list(csv.reader(io.StringIO(owner.get(base + "?level=gold&export=csv").get_data(as_text=True)
                                           .lstrip("\ufeff"))))
    assert len(exported) == 2 and exported[1][0] == "ann@example.com" and "Gold" in exported[1]


def test_a_bulk_tag_and_a_segment_saved_from_the_list(app, store):
    ann, bob = _people(store)
    owner = f.client("store", store=store)
    response = owner.form(f"/store/{store.slug}/members/", {"bulk_action": "tag", "bulk_param_tag": "spring",
                                                            "ids": [str(ann.id), str(bob.id)]})
    assert response.status_code in (302, 303)
    assert all("spring" in f.get(store, Member, m.id).tags for m in (ann, bob))
    form = owner.get(f"/store/{store.slug}/members/segments/new?tag=wholesale").get_data(as_text=True)
    assert 'value="wholesale"' in form
    assert owner.form(f"/store/{store.slug}/members/segments/new", {"name": "Trade", "tag": "wholesale"}).status_code == 303
    page = owner.get(f"/store/{store.slug}/members/segments").get_data(as_text=True)
    assert "Trade" in page and "Tag: wholesale" in page


def test_the_member_page_shows_orders_points_and_takes_actions(app, store):
    ann, _bob = _people(store)
    order = f.order(store, member_obj=ann)
    with f.bound(store, request=True):
        services.earn_points(ann.id, 120, order_id=order.id)
    owner = f.client("store", store=store)
    url = f"/store/{store.slug}/members/{ann.id}"
    html = owner.get(url).get_data(as_text=True)
    assert order.number in html and "data-points>120<" in html and "Gold" in html
    refused = owner.form(url + "/points", {"points": "50", "reason": ""})
    assert refused.status_code == 422 and 'class="error"' in refused.get_data(as_text=True)
    assert f.get(store, Member, ann.id).points == 120
    assert owner.form(url + "/points", {"points": "-20", "reason": "typo"}).status_code == 303
    assert owner.form(url + "/note", {"note": "prefers SF Express"}).status_code == 303
    assert owner.form(url + "/blacklist", {"reason": "chargebacks"}).status_code == 303
    member = f.get(store, Member, ann.id)
    assert member.points == 100 and member.blacklisted
    actions = f.read(store, lambda: f.db_session().scalars(select(MemberEvent.action).where(
        MemberEvent.member_id == ann.id)).all())
    assert {"points_adjusted", "note", "blacklisted", "level_set"} <= set(actions)
    assert "prefers SF Express" in owner.get(url).get_data(as_text=True)
    clerk = f.staff_client(store, permissions=["members.view"])     # may look, may not act
    assert clerk.get(url).status_code == 200
    assert clerk.form(url + "/points", {"points": "999", "reason": "x"}).status_code == 403
    assert f.get(store, Member, ann.id).points == 100


def test_a_shopper_sees_only_their_own_points(app, store):
    ann, bob = _people(store)
    with f.bound(store, request=True):
        services.earn_points(ann.id, 777, order_id=1)
        services.earn_points(bob.id, 333, order_id=2)
    page = f.shopper_client(store, bob).get(f"/shop/{store.slug}/account/points").get_data(as_text=True)
    assert "data-points>333<" in page and "777" not in page


def test_the_member_page_lists_the_members_after_sales_and_coupons(app, store):
    from app.blueprints.aftersales import services as aftersales
    from app.blueprints.promotions import coupons

    ann, bob = _people(store)
    sku = f.sku(store, price=5_000, stock=10)
    paying = f.order(store, lines=[(sku, 2)], member_obj=ann)
    f.payment(store, paying)
    with f.bound(store, request=True):
        template = coupons.save_template(None, None, {"name": "会员专享券", "kind": "amount_off", "amount": 500,
                                                      "quantity": 5, "valid_days": 7})
        coupons.grant(None, template, [ann.id])
        request = aftersales.create_request(ann, ann.id, paying.number, aftersales.Ask(
            "refund_only", {paying.lines[0].id: 1}, aftersales.reasons()[0].id, "不想要了", ()))
        number = request.number
    owner = f.client("store", store=store)
    html = owner.get(f"/store/{store.slug}/members/{ann.id}").get_data(as_text=True)
    block = html.split('id="member-aftersales"', 1)[1].split("</table>", 1)[0]
    assert number in block and paying.number in block
    coupons_block = html.split('id="member-coupons"', 1)[1].split("</table>", 1)[0]
    assert "会员专享券" in coupons_block and "Unused" in coupons_block
    other = owner.get(f"/store/{store.slug}/members/{bob.id}").get_data(as_text=True)
    assert number not in other and "会员专享券" not in other.split('id="member-coupons"', 1)[1].split("</table>")[0]
