"""In Chromium, one journey through the promotion center: the owner creates 满300减30 and a
coupon, tries both in the price simulator; a shopper claims the coupon, checks out seeing the
breakdown and pays; then two shoppers fill a group buy (the second through the first's share
link), each paying on the sandbox page, and the group shows it succeeded."""
import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from tests import factories as f
from tests.browser.conftest import fill_address, sign_in_owner
from tests.conftest import PASSWORD, wait_for

pytestmark = pytest.mark.browser


def _shopper(browser, shop, email, name):
    page = browser.new_context(locale="en-US").new_page()
    page.goto(f"{shop}/register")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    page.fill("input[name=name]", name)
    page.click("#main-form button[type=submit]")
    page.wait_for_url(f"{shop}/account")
    fill_address(page, name, "13900000002", "文三路 90 号")
    return page


def _pay_on_sandbox(page):
    number = page.url.rstrip("/").rsplit("/", 1)[-1].split("?")[0]
    page.click("button[name=gateway][value=sandbox]")
    page.wait_for_url(re.compile(r"/sandbox/.+/pay/"))
    page.click("button[name=choice][value=success]")
    page.wait_for_url(re.compile(rf"/orders/{number}\?paying=1$"))

    def paid():
        page.reload()
        return page.locator("[data-status=paid]").count() == 1

    wait_for(paid)


def test_the_owner_sets_up_promotions_and_shoppers_buy_with_a_coupon_and_in_a_group(app, live_server, browser, store):
    from app.blueprints.promotions import groupbuy
    from app.core.db import utcnow

    sku = f.sku(store, price=20_000, stock=20)
    owner = browser.new_context(locale="en-US").new_page()
    base = sign_in_owner(owner, live_server, store)

    owner.goto(f"{base}/promotions/new")
    owner.fill("#main-form input[name=name]", "满300减30")
    owner.select_option("#main-form select[name=kind]", "amount_off")
    owner.fill("#main-form input[name=tiers]", "300=30")
    owner.click("#main-form button[type=submit]")
    owner.locator("[data-action=publish]").click()
    owner.wait_for_selector("[data-status=active]")

    owner.goto(f"{base}/promotions/coupons/new")
    owner.fill("#main-form input[name=name]", "立减20券")
    owner.select_option("#main-form select[name=kind]", "amount_off")
    owner.fill("#main-form input[name=amount]", "20")
    owner.fill("#main-form input[name=quantity]", "10")
    owner.fill("#main-form input[name=valid_days]", "7")
    owner.click("#main-form button[type=submit]")
    owner.wait_for_url(re.compile(r"/promotions/coupons/\d+$"))

    owner.goto(f"{base}/promotions/simulator")
    owner.fill("#simulator-form textarea[name=lines]", f"{sku.code} x 2")
    owner.select_option("#simulator-form select[name=coupon_id]", label="立减20券")
    owner.click("#simulator-form button[type=submit]")
    live = owner.inner_text("#simulated-live")
    assert "满300减30" in live and "立减20券" in live and "¥350.00" in live
    assert "10 coupons left to issue" in owner.inner_text("#simulated-coupon")

    shop = f"{live_server}/shop/{store.slug}"
    buyer = _shopper(browser, shop, f"coupon@{store.slug}.cn", "领券顾客")
    buyer.goto(f"{shop}/coupons")
    buyer.locator("#claimable [data-action=claim]").first.click()
    buyer.wait_for_selector("#wallet [data-coupon]")
    buyer.goto(f"{shop}/p/{sku.product_id}")
    buyer.fill("#buy-form input[name=quantity]", "2")
    buyer.click("#buy-form button[type=submit]")
    buyer.wait_for_url(f"{shop}/cart")
    buyer.goto(f"{shop}/checkout")
    buyer.locator("#checkout-coupons input[name=coupon_id]").check()
    buyer.locator("#payable", has_text="¥350.00").wait_for()
    summary = buyer.inner_text("#checkout-summary")
    assert "满300减30" in summary and "立减20券" in summary
    buyer.click("#checkout-summary button[type=submit]")
    buyer.wait_for_url(re.compile(r"/orders/\d+$"))
    assert "¥350.00" in buyer.inner_text("main")
    _pay_on_sandbox(buyer)

    with f.bound(store, request=True):
        activity = groupbuy.save_activity(None, None, {
            "name": "双人拼团", "sku_id": sku.id, "group_price": 12_000, "group_size": 2, "time_limit_minutes": 60,
            "starts_at": utcnow() - timedelta(minutes=1), "ends_at": utcnow() + timedelta(days=1)})
        groupbuy.set_status(None, activity, "active")
    buyer.goto(f"{shop}/group-buys")
    buyer.click(f"[data-activity='{activity.id}'] [data-action=open-group]")
    buyer.wait_for_url(re.compile(r"/orders/\d+$"))
    _pay_on_sandbox(buyer)
    group_url = buyer.locator("#order-group a").get_attribute("href")
    buyer.goto(f"{live_server}{group_url}" if group_url.startswith("/") else group_url)
    assert buyer.locator("#group-poster svg").count() == 1
    clock = buyer.inner_text("#group-poster [data-clock]")            # the countdown ticks
    expect(buyer.locator("#group-poster [data-clock]")).not_to_have_text(clock)
    share = buyer.input_value("#share-link")

    friend = _shopper(browser, shop, f"friend@{store.slug}.cn", "好友")
    friend.goto(share)
    friend.click("[data-action=join-group]")
    friend.wait_for_url(re.compile(r"/orders/\d+$"))
    assert "¥120.00" in friend.inner_text("main")
    _pay_on_sandbox(friend)

    def succeeded():
        buyer.goto(share)
        return buyer.locator("[data-status=succeeded]").count() == 1

    wait_for(succeeded)
    assert "2 of 2 paid" in buyer.inner_text("#group-places")
