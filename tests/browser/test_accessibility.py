"""axe-core (through axe-playwright-python) on the main back-office and shop pages, in
both languages: no critical or serious violation. One page load per page and language,
one browser for the run."""
import pytest

from tests import factories as f
from tests.browser.conftest import sign_in_owner, sign_in_shopper

pytestmark = pytest.mark.browser

BLOCKING = ("critical", "serious")


@pytest.fixture(scope="module")
def axe():
    from axe_playwright_python.sync_playwright import Axe

    return Axe()


def _group_refund(store, sku) -> int:
    """A failed group whose order waits for a refund by hand (as after an offline payment):
    a row on the group refunds page. Returns the place's id."""
    from datetime import timedelta

    from app.blueprints.promotions import groupbuy
    from app.core.db import utcnow

    now = utcnow()
    with f.bound(store, request=True) as session:
        activity = groupbuy.save_activity(None, None, {
            "name": "两人拼团", "sku_id": sku.id, "group_price": 6_000, "group_size": 2, "time_limit_minutes": 60,
            "starts_at": now - timedelta(minutes=5), "ends_at": now + timedelta(days=3)})
        groupbuy.set_status(None, activity, "active")
        session.flush()
        team, order = groupbuy.open_group(activity.id, f.member(store).id, f.ADDRESS, f.SHOPPER)
        session.flush()
        place = groupbuy.places(team.id)[0]
        team.status, place.status, place.refund_note = "failed", "refund_due", "线下付款：请手工退款"
        session.flush()
        return place.id


def _data(store):
    """Something on every page: a product with a SKU grid and stock, an order with its
    payment, a stocktake, a finished job, a shopper with an address, a group order to
    refund by hand."""
    wh = f.warehouse(store, priority=1)
    product = f.product(store, title="碎花连衣裙", price=19900, stock=8, warehouse=wh,
                        options={"颜色": ["红", "蓝"], "尺码": ["S", "M"]})
    order = f.order(store, lines=[(product.skus[0], 1)])
    f.payment(store, order)
    stocktake = f.document(store, "stocktake", warehouse_obj=wh)
    f.task(store)
    shopper = f.member(store, name="顾客")
    f.address(store, shopper)
    return {"product": product.id, "order": order.id, "stocktake": stocktake.id, "shopper": shopper.email,
            "group_refund": _group_refund(store, product.skus[1])}


def _violations(axe, page, name: str) -> list[str]:
    results = axe.run(page)
    found = []
    for v in results.response["violations"]:
        if v["impact"] in BLOCKING:
            targets = ", ".join(" ".join(map(str, n["target"])) for n in v["nodes"][:3])
            found.append(f"{name}: {v['impact']} {v['id']} ({len(v['nodes'])}×: {targets}) — {v['help']}")
    return found


@pytest.mark.parametrize("locale", ["zh_CN", "en"])
def test_main_pages_have_no_serious_accessibility_violations(app, live_server, browser, axe, locale):
    store = f.store(default_locale=locale)
    data = _data(store)
    context = browser.new_context(locale="zh-CN" if locale == "zh_CN" else "en-US")
    page = context.new_page()
    found = []
    try:
        base = sign_in_owner(page, live_server, store)
        admin = {
            "dashboard": "/", "product list": "/catalog/products", "product edit": f"/catalog/products/{data['product']}",
            "order list": "/orders/", "order detail": f"/orders/{data['order']}", "stock": "/inventory/stock",
            "stocktake": f"/inventory/documents/{data['stocktake']}", "payments": "/payments/", "staff": "/staff",
            "settings": "/settings", "jobs": "/jobs", "group refunds": "/promotions/group-buys/refunds",
        }
        for name, path in admin.items():
            page.goto(base + path)
            if name == "group refunds":   # the row with its refund form, not the empty table
                assert page.locator(f"tr[data-place='{data['group_refund']}'] input[name$=reference]").count() == 1
            assert page.locator("html").get_attribute("lang") == ("zh-CN" if locale == "zh_CN" else "en"), name
            found += _violations(axe, page, name)

        shop = f"{live_server}/shop/{store.slug}"
        page.goto(f"{shop}/")
        found += _violations(axe, page, "shop home")
        sign_in_shopper(page, shop, data["shopper"])
        page.goto(f"{shop}/p/{data['product']}")
        found += _violations(axe, page, "shop product")
        page.click("#buy-form button[type=submit]")
        page.wait_for_url(f"{shop}/cart")
        found += _violations(axe, page, "cart")
        page.goto(f"{shop}/checkout")
        found += _violations(axe, page, "checkout")
    finally:
        context.close()
    assert found == [], "\n" + "\n".join(found)
