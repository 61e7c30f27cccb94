"""The shop a phone user sees: stock said in words, SKU chips by attribute, cart steppers that stop
at what is available, the categories tab; and what a shopper shares: a link with their code, a
poster with the picture, price and QR code, OpenGraph tags, the sitemap and robots.txt."""
import io
import re
import xml.etree.ElementTree as ET

import pytest

from tests import factories as f


@pytest.fixture(scope="module")
def shop(app, module_store):
    store = module_store
    wh = f.warehouse(store)
    dress = f.product(store, title="碎花连衣裙", price=19900, options={"颜色": ["红", "蓝"], "尺码": ["S", "M"]},
                      warehouse=wh)
    f.image(store, dress)
    levels = dict(zip([s.id for s in dress.skus], (12, 3, 0, 7)))
    for sku in dress.skus:
        if levels[sku.id]:
            f.stock(store, sku, wh, levels[sku.id])
    draft = f.product(store, title="未上架", status="draft")
    member = f.member(store, name="分享人")
    return {"store": store, "slug": store.slug, "dress": dress, "levels": levels, "draft": draft, "member": member,
            "wh": wh}


def test_product_page_says_stock_in_words_and_offers_a_chip_per_attribute_value(app, shop):
    client = app.test_client()
    html = client.get(f"/shop/{shop['slug']}/p/{shop['dress'].id}").get_data(as_text=True)
    words = {s.id: re.search(rf'value="{s.id}"[^>]*>.*?<span class="stock-level"[^>]*>([^<]+)<', html, re.S).group(1)
             for s in shop["dress"].skus}
    assert sorted(words.values()) == ["In stock", "In stock", "Only a few left", "Sold out"]
    assert not re.search(r"\b(12|7) available", html)           # no exact counts
    sold_out = next(s for s in shop["dress"].skus if shop["levels"][s.id] == 0)
    assert re.search(rf'value="{sold_out.id}"[^>]*disabled', html, re.S)
    chips = re.findall(r'<label class="chip"><input type="radio" name="[^"]+" value="([^"]+)" data-attribute="([^"]+)"', html)
    assert sorted(chips) == sorted([("红", "颜色"), ("蓝", "颜色"), ("S", "尺码"), ("M", "尺码")])
    assert 'id="buy-bar"' in html and 'class="tab-bar"' not in html   # the buy bar stands in for the tabs


def test_every_other_shop_page_has_the_bottom_tab_bar_with_the_current_tab_marked(app, shop):
    client = app.test_client()
    html = client.get(f"/shop/{shop['slug']}/cart").get_data(as_text=True)
    tabs = re.findall(r'<a href="([^"]+)" data-tab="(\w+)"( aria-current="page")?', html)
    assert [t[1] for t in tabs] == ["home", "categories", "cart", "me"]
    assert [t[1] for t in tabs if t[2]] == ["cart"]
    assert tabs[3][0].endswith("/login")                          # a guest's "me" is the sign-in page


def test_categories_tab_lists_each_category_with_its_subcategories(app, shop):
    store = shop["store"]
    top = f.category(store, name="女装")
    child = f.category(store, name="连衣裙", parent=top)
    html = app.test_client().get(f"/shop/{shop['slug']}/categories").get_data(as_text=True)
    item = re.search(rf'<li><a class="category-top" href="[^"]*/c/{top.id}">女装</a>(.*?)\n  </li>', html, re.S)
    assert item and f'/c/{child.id}">连衣裙</a>' in item.group(1)


def test_cart_steppers_add_and_remove_one_and_stop_at_what_is_available(app, shop):
    client = f.shopper_client(shop["store"], shop["member"])
    few = next(s for s in shop["dress"].skus if shop["levels"][s.id] == 3)
    url = f"/shop/{shop['slug']}/cart"
    client.form(url, {"sku_id": few.id, "quantity": 1, "mode": "add"})
    for _ in range(2):
        client.form(url, {"sku_id": few.id, "quantity": 1, "mode": "set", "step": "1"})
    html = client.get(url).get_data(as_text=True)
    assert re.search(r'name="quantity" value="3"', html)
    assert re.search(r'value="1"[^>]*data-step-more disabled', html)   # at the limit, + is off
    assert "That is all that can be bought now." in html
    response = client.form(url, {"sku_id": few.id, "quantity": 3, "mode": "set", "step": "1"})
    assert response.status_code == 303
    assert re.search(r'name="quantity" value="3"', client.get(url).get_data(as_text=True))   # the server clamps too
    client.form(url, {"sku_id": few.id, "quantity": 3, "mode": "set", "step": "-1"})
    assert re.search(r'name="quantity" value="2"', client.get(url).get_data(as_text=True))
    client.form(url, {"sku_id": few.id, "quantity": 2, "mode": "set", "step": "remove"})
    assert "Your cart is empty." in client.get(url).get_data(as_text=True)


def test_share_link_and_poster_carry_the_signed_in_shoppers_code(app, shop):
    from app.blueprints.members import queries as members

    client = f.shopper_client(shop["store"], shop["member"])
    html = client.get(f"/shop/{shop['slug']}/p/{shop['dress'].id}").get_data(as_text=True)
    link = re.search(r'id="share-link" type="url" readonly value="([^"]+)"', html).group(1)
    code = link.split("ref=")[1]
    with f.bound(shop["store"], request=True):
        assert members.member_for_referral(code) == shop["member"].id
        assert members.member_for_referral(code[:-1] + ("A" if code[-1] != "A" else "B")) is None   # forged
        assert members.member_for_referral("") is None and members.member_for_referral("../x") is None
    assert f"ref={code}" in re.search(r'href="([^"]+)" download data-poster', html).group(1)
    # a guest's link is the plain product address
    guest = app.test_client().get(f"/shop/{shop['slug']}/p/{shop['dress'].id}").get_data(as_text=True)
    assert "ref=" not in re.search(r'id="share-link" type="url" readonly value="([^"]+)"', guest).group(1)


def test_a_visit_through_a_share_link_keeps_the_sharers_code(app, shop):
    from app.blueprints.members import queries as members

    with f.bound(shop["store"], request=True):
        code = members.referral_code(shop["member"].id)
    visitor = app.test_client()
    visitor.get(f"/shop/{shop['slug']}/p/{shop['dress'].id}?ref={code}")
    with visitor.session_transaction() as session:
        assert session.get("referrer") == code
    forger = app.test_client()
    forger.get(f"/shop/{shop['slug']}/p/{shop['dress'].id}?ref=1ABCDE")
    with forger.session_transaction() as session:
        assert "referrer" not in session


def test_poster_is_a_png_with_the_picture_and_the_qr_code_of_the_share_link(app, shop):
    from PIL import Image, ImageChops

    from app.blueprints.members import queries as members
    from app.blueprints.storefront import poster as posters
    from app.core.barcodes import qr_png

    client = f.shopper_client(shop["store"], shop["member"])
    response = client.get(f"/shop/{shop['slug']}/p/{shop['dress'].id}/poster.png")
    assert response.status_code == 200 and response.mimetype == "image/png"
    img = Image.open(io.BytesIO(response.data)).convert("RGB")
    assert img.size == (posters.WIDTH, posters.HEIGHT)
    assert img.getpixel((20, 20)) == (255, 0, 0)          # the product's (red) picture fills the top
    with f.bound(shop["store"], request=True):
        code = members.referral_code(shop["member"].id)
    link = f"http://localhost/shop/{shop['slug']}/p/{shop['dress'].id}?ref={code}"
    expected = Image.open(io.BytesIO(qr_png(link, scale=6, border=2))).convert("RGB").resize((210, 210), Image.NEAREST)
    box = (posters.WIDTH - 40 - 210, posters.HEIGHT - 40 - 210, posters.WIDTH - 40, posters.HEIGHT - 40)
    assert ImageChops.difference(img.crop(box), expected).getbbox() is None
    # the price is drawn in the brand colour below the picture
    below = img.crop((0, posters.PICTURE, posters.WIDTH, posters.HEIGHT - 260))
    assert posters.BRAND in {c for _n, c in below.getcolors(1 << 16)}
    assert app.test_client().get(f"/shop/{shop['slug']}/p/{shop['draft'].id}/poster.png").status_code == 404


def test_product_page_has_opengraph_tags_and_a_canonical_address(app, shop):
    html = app.test_client().get(f"/shop/{shop['slug']}/p/{shop['dress'].id}?ref=X").get_data(as_text=True)
    meta = dict(re.findall(r'<meta property="([^"]+)" content="([^"]*)"', html))
    assert meta["og:title"] == "碎花连衣裙" and meta["og:type"] == "product"
    assert meta["og:url"] == f"http://localhost/shop/{shop['slug']}/p/{shop['dress'].id}"
    assert meta["og:image"].startswith(f"http://localhost/shop/{shop['slug']}/files/")
    assert meta["product:price:amount"] == "199.00" and meta["product:price:currency"] == "CNY"
    assert f'<link rel="canonical" href="{meta["og:url"]}">' in html
    assert app.test_client().get(meta["og:image"].replace("http://localhost", "")).status_code == 200


def test_sitemap_lists_the_shop_and_its_products_on_sale_and_robots_points_to_it(app, shop):
    client = app.test_client()
    response = client.get(f"/shop/{shop['slug']}/sitemap.xml")
    assert response.status_code == 200 and response.mimetype == "application/xml"
    ns = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
    urls = [u.findtext("s:loc", namespaces=ns) for u in ET.fromstring(response.data).findall("s:url", ns)]
    base = f"http://localhost/shop/{shop['slug']}"
    assert f"{base}/" in urls and f"{base}/p/{shop['dress'].id}" in urls
    assert f"{base}/p/{shop['draft'].id}" not in urls
    robots = client.get(f"/shop/{shop['slug']}/robots.txt")
    assert robots.mimetype == "text/plain"
    text = robots.get_data(as_text=True)
    assert f"Sitemap: {base}/sitemap.xml" in text
    assert f"Disallow: /shop/{shop['slug']}/checkout" in text and f"Disallow: /shop/{shop['slug']}/cart" in text
