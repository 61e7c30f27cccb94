"""Shop pages stay light on a phone: the HTML of each page plus the stylesheets and scripts it
loads (pictures apart) stay within the budget, counted as they travel compressed and as they
arrive unpacked.

Budget per page: 32 KB gzip-compressed and 100 KB unpacked (measured: 23-28 KB and 73-89 KB). htmx (about 17 KB compressed) is most
of it; the page's own HTML is a few KB."""
import gzip
import re

import pytest

from tests import factories as f

BUDGET_GZIP = 32 * 1024
BUDGET_RAW = 100 * 1024


@pytest.fixture(scope="module")
def pages(app, module_store):
    store = module_store
    product = f.product(store, title="碎花连衣裙", price=19900, stock=5, options={"颜色": ["红", "蓝"], "尺码": ["S", "M"]})
    f.image(store, product)
    member = f.member(store)
    f.address(store, member)
    order = f.order(store, lines=[(product.skus[0], 1)], member_obj=member)
    client = f.shopper_client(store, member)
    client.form(f"/shop/{store.slug}/cart", {"sku_id": product.skus[0].id, "quantity": 1, "mode": "add"})
    base = f"/shop/{store.slug}"
    urls = {"home": "/", "categories": "/categories", "category": f"/c/{product.category_id}", "product": f"/p/{product.id}",
            "cart": "/cart", "checkout": "/checkout", "account": "/account", "orders": "/orders",
            "order": f"/orders/{order.number}", "coupons": "/coupons", "flash sales": "/flash"}
    return client, {name: base + path for name, path in urls.items()}


def _weight(client, url: str) -> tuple[int, int]:
    """(unpacked, gzip-compressed) bytes of the page and the CSS and JS it loads."""
    response = client.get(url)
    assert response.status_code == 200, url
    html = response.data
    assets = re.findall(rb'<link rel="stylesheet" href="([^"]+)"', html) + re.findall(rb'<script src="([^"]+)"', html)
    bodies = [html]
    for asset in assets:
        got = client.get(asset.decode())
        assert got.status_code == 200, asset
        bodies.append(got.data)
        got.close()
    return sum(len(b) for b in bodies), sum(len(gzip.compress(b, 6)) for b in bodies)


def test_every_shop_page_stays_within_the_page_weight_budget(pages):
    client, urls = pages
    weights = {name: _weight(client, url) for name, url in urls.items()}
    print("\npage weight (HTML + CSS + JS, images apart): unpacked / gzip KB")
    for name, (raw, packed) in weights.items():
        print(f"  {name:12} {raw / 1024:6.1f} / {packed / 1024:5.1f}")
    over = {name: w for name, w in weights.items() if w[0] > BUDGET_RAW or w[1] > BUDGET_GZIP}
    assert over == {}
