"""axe-core (through axe-playwright-python) on every shop page at phone size (390 x 844), in both
languages: no critical or serious violation. The same pass checks that no page scrolls sideways
at 390 px nor at 360 px, the narrowest phone the shop is made for."""
import pytest

from tests import factories as f
from tests.browser.test_accessibility import _violations
from tests.browser.conftest import sign_in_shopper

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
NARROW = {"width": 360, "height": 780}


@pytest.fixture(scope="module")
def axe():
    from axe_playwright_python.sync_playwright import Axe

    return Axe()


def _shop_data(store):
    wh = f.warehouse(store)
    product = f.product(store, title="碎花连衣裙 夏季新款 雪纺长裙 ZX9000.PRO.MAX.ULTRA", price=19900, stock=8,
                        warehouse=wh, options={"颜色": ["红", "蓝"], "尺码": ["S", "M"]})
    f.image(store, product)
    shopper = f.member(store, name="顾客")
    f.address(store, shopper)
    pending = f.order(store, lines=[(product.skus[0], 1)], member_obj=shopper)
    delivered = f.order(store, "delivered", lines=[(product.skus[1], 1)], member_obj=shopper)
    return {"product": product.id, "category": product.category_id, "shopper": shopper.email,
            "pending": pending.number, "delivered": delivered.number}


@pytest.mark.parametrize("locale", ["zh_CN", "en"])
def test_every_shop_page_at_phone_size_has_no_serious_accessibility_violation_nor_sideways_scroll(
        app, live_server, browser, axe, locale):
    store = f.store(default_locale=locale)
    data = _shop_data(store)
    context = browser.new_context(locale="zh-CN" if locale == "zh_CN" else "en-US", viewport=PHONE,
                                  is_mobile=True, has_touch=True)
    page = context.new_page()
    shop = f"{live_server}/shop/{store.slug}"
    found, sideways = [], []

    def check(name: str) -> None:
        found.extend(_violations(axe, page, name))
        for viewport in (PHONE, NARROW):
            page.set_viewport_size(viewport)
            if page.evaluate("document.documentElement.scrollWidth > document.documentElement.clientWidth"):
                sideways.append(f"{name} at {viewport['width']} px")
        page.set_viewport_size(PHONE)

    try:
        for name, path in (("sign in", "/login"), ("register", "/register"), ("home (guest)", "/")):
            page.goto(shop + path)
            check(name)
        sign_in_shopper(page, shop, data["shopper"])
        page.goto(f"{shop}/p/{data['product']}")
        check("product")
        page.click("#buy-bar button[type=submit]")
        page.wait_for_url(f"{shop}/cart")
        check("cart")
        pages = {"home": "/", "categories": "/categories", "category": f"/c/{data['category']}",
                 "search": "/?q=连衣裙", "checkout": "/checkout", "account": "/account", "orders": "/orders",
                 "order (to pay)": f"/orders/{data['pending']}", "order (delivered)": f"/orders/{data['delivered']}",
                 "coupons": "/coupons", "flash sales": "/flash", "points": "/account/points", "cards": "/account/cards",
                 "service": "/service/", "messages": "/service/messages",
                 "order question": f"/service/orders/{data['delivered']}", "after-sales": "/aftersales/",
                 "after-sales request": f"/aftersales/new/{data['delivered']}"}
        for name, path in pages.items():
            response = page.goto(shop + path)
            assert response.status == 200, (name, response.status)
            check(name)
    finally:
        context.close()
    assert found == [], "\n" + "\n".join(found)
    assert sideways == []
