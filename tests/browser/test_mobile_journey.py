"""In Chromium on a phone (390 x 844) and on a desktop (1440 x 900): a shopper (in Chinese on the phone, in English on the desktop) browses to a dress,
picks its colour and size with the chips (a sold-out combination is greyed out, stock is said in
words), adds two with the cart's stepper, checks out on one page with a new address through the
province -> city -> district picker and pays with WeChat Pay: on the phone through WeChat's H5
cashier (the fake's page, which notifies the shop and sends the browser back), on the desktop by
scanning the Native QR code the shop shows; the order turns paid. On the phone the tab bar and
the buy / pay bars sit at the bottom of the screen and no page scrolls sideways; on the desktop
the top bar carries the links instead."""
import re

import pytest

from tests import factories as f
from tests.browser.conftest import sign_in_shopper
from tests.conftest import wait_for

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
PHONE_AGENT = ("Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
               "Chrome/120.0.0.0 Mobile Safari/537.36")
DESKTOP = {"width": 1440, "height": 900}


@pytest.fixture(scope="module")
def shop(app, module_store, fake_wechatpay):
    from tests.payments.test_wechat import _wechat_store

    store = module_store
    merchant = _wechat_store(app, store, fake_wechatpay)
    wh = f.warehouse(store)
    dress = f.product(store, title="碎花连衣裙", price=19900, warehouse=wh, options={"颜色": ["红", "蓝"], "尺码": ["S", "M"]})
    by_options = {(s.options["颜色"], s.options["尺码"]): s for s in dress.skus}
    for combination, quantity in {("红", "S"): 12, ("红", "M"): 3, ("蓝", "S"): 8}.items():   # 蓝/M sold out
        f.stock(store, by_options[combination], wh, quantity)
    return {"store": store, "category": dress.category_id, "dress": dress, "skus": by_options, "merchant": merchant}


def _no_sideways_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")


def _at_bottom(page, selector: str, viewport: dict) -> bool:
    """Is the element shown and its lower edge the screen's (a bar fixed to the bottom)?"""
    bottom = page.evaluate("s => { const r = document.querySelector(s).getBoundingClientRect();"
                           " return r.height > 0 ? r.bottom : null; }", selector)
    return bottom is not None and abs(bottom - viewport["height"]) <= 1


def _chip(page, attribute: str, value: str):
    return page.locator(f'#sku-picker fieldset[data-attribute="{attribute}"] label.chip:has(input[value="{value}"])')


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_shopper_browses_picks_chips_checks_out_with_the_region_picker_and_pays_with_wechat(
        app, live_server, browser, shop, fake_wechatpay, viewport):
    from app.blueprints.orders.models import Order

    store = shop["store"]
    phone = viewport is PHONE
    member = f.member(store, name="手机顾客")
    context = browser.new_context(locale="zh-CN" if phone else "en-US", viewport=viewport, is_mobile=phone,
                                  has_touch=phone, **({"user_agent": PHONE_AGENT} if phone else {}))
    page = context.new_page()
    base = f"{live_server}/shop/{store.slug}"
    try:
        sign_in_shopper(page, base, member.email)
        if phone:   # the phone shops in Chinese, the desktop in English
            page.click("form.lang-switch button[value=zh_CN]")
            page.wait_for_load_state()
        words = {"in": "有货", "few": "仅剩少量"} if phone else {"in": "In stock", "few": "Only a few left"}

        # browse: on the phone through the categories tab, on the desktop from the home page's category bar
        page.goto(f"{base}/")
        if phone:
            assert _at_bottom(page, "nav.tab-bar", viewport) and not page.locator("nav.shop-links").is_visible()
            page.click("nav.tab-bar a[data-tab=categories]")
            page.wait_for_url(f"{base}/categories")
            assert page.locator("nav.tab-bar a[data-tab=categories]").get_attribute("aria-current") == "page"
            page.click(f"#categories a[href$='/c/{shop['category']}']")
        else:
            assert not page.locator("nav.tab-bar").is_visible() and page.locator("nav.shop-links").is_visible()
            page.click(f".category-bar a[href$='/c/{shop['category']}']")
        page.wait_for_url(re.compile(rf"/c/{shop['category']}$"))
        assert _no_sideways_scroll(page)
        page.click(f"a.product-card[data-product='{shop['dress'].id}']")
        page.wait_for_url(re.compile(rf"/p/{shop['dress'].id}$"))

        # the chips: the plain SKU list is replaced, the first combination in stock is chosen
        assert page.locator("#sku-picker").is_visible() and not page.locator("#sku-list").is_visible()
        if phone:
            assert _at_bottom(page, "#buy-bar", viewport)
        _chip(page, "颜色", "蓝").click()
        # blue comes in S only: M is greyed out while blue is chosen, and S is what is chosen
        assert "unavailable" in _chip(page, "尺码", "M").get_attribute("class")
        _chip(page, "尺码", "S").click()
        assert page.inner_text("[data-chosen-level]") == words["in"]
        assert page.locator(f"input[name=sku_id][value='{shop['skus'][('蓝', 'S')].id}']").is_checked()
        # picking M anyway moves the colour to one that has M: red, of which only a few are left
        _chip(page, "尺码", "M").click()
        assert page.locator(f"#sku-picker input[value='红']").is_checked()
        assert page.inner_text("[data-chosen-level]") == words["few"]
        assert "3" not in page.inner_text("[data-chosen-level]")        # words, not counts
        _chip(page, "颜色", "蓝").click()
        _chip(page, "尺码", "S").click()
        assert _no_sideways_scroll(page)
        page.click("#buy-bar button[type=submit]")
        page.wait_for_url(f"{base}/cart")

        # the cart's stepper: one more
        assert page.locator("#cart tr[data-sku]").count() == 1
        page.click("#cart button[data-step-more]")
        page.wait_for_url(f"{base}/cart")
        assert page.locator("#cart input[name=quantity]").input_value() == "2"
        assert _no_sideways_scroll(page)
        page.click(".cart-bar a")
        page.wait_for_url(f"{base}/checkout")

        # one page: a new address through the region picker, the freight and total, then the order
        page.check("input[name=address_id][value=new]")
        page.fill("#address-form input[name=name]", "手机顾客")
        page.fill("#address-form input[name=phone]", "13900000002")
        for select, code in zip(("province", "city", "district"), ("330000", "330100", "330106")):
            page.locator(f'#address-form select[name={select}] option[value="{code}"]').wait_for(state="attached")
            page.select_option(f"#address-form select[name={select}]", code)
        page.locator('#address-form select[name=district] option[value="330106"][selected]').wait_for(state="attached")
        page.fill("#address-form input[name=street]", "文三路 100 号")
        page.locator("#checkout-summary #freight").wait_for()
        if phone:
            assert _at_bottom(page, "#checkout-summary .pay-bar", viewport)
        assert _no_sideways_scroll(page)
        page.click("#checkout-summary button[type=submit]")
        page.wait_for_url(re.compile(r"/orders/[^/?]+$"))
        number = page.url.rsplit("/", 1)[1]
        assert _no_sideways_scroll(page)

        # pay with WeChat Pay: the phone goes to WeChat's H5 cashier and comes back, the desktop
        # shows the Native QR code, which the payer scans with WeChat
        mchid = shop["merchant"].mchid
        page.click("button[name=gateway][value=wechat]")
        if phone:
            page.wait_for_url(re.compile(r"/h5pay\?prepay_id="))
            trade = next(t for t in fake_wechatpay.trades.values() if t["mchid"] == mchid and t["trade_state"] == "NOTPAY")
            assert trade["trade_type"] == "H5" and trade["scene_info"]["h5_info"] == {"type": "Wap"}
            page.click("button[type=submit]")                      # 确认支付 on WeChat's page
            # WeChat notifies the shop before it sends the browser back: give a loaded machine time
            page.wait_for_url(re.compile(rf"/orders/{number}"), timeout=45000)
        else:
            qr = page.locator("figure.wechat-qr")
            qr.wait_for()
            assert qr.locator("svg").count() == 1
            trade = next(t for t in fake_wechatpay.trades.values() if t.get("code_url") == qr.get_attribute("data-code-url"))
            assert trade["trade_type"] == "NATIVE"
            assert fake_wechatpay.scan(trade["code_url"]) == trade["out_trade_no"]     # the payer scans and pays
            page.click("figure.wechat-qr ~ p a.button")             # "I have paid"
            page.wait_for_url(re.compile(rf"/orders/{number}"))
        assert trade["amount"] == {"total": 39800, "currency": "CNY", "payer_total": 39800, "payer_currency": "CNY"}
        assert trade["trade_state"] == "SUCCESS"

        def paid():
            page.reload()
            return page.locator("[data-status=paid]").count() == 1

        wait_for(paid)
        def placed():
            order = f.db_session().query(Order).filter_by(number=number).one()
            return order.status, order.payable, order.address.get("region_code")

        assert f.read(store, placed) == ("paid", 39800, "330106")
    except Exception:
        page.screenshot(path="/tmp/mobile_shots/fail.png", full_page=True)
        raise
    finally:
        context.close()
