"""What crawlers read: the root host's robots.txt (the shops yes; back office, portal, API, carts,
checkouts and accounts no) and its sitemap index of every active shop's sitemap; and every link
of a shop's sitemap answers 200 (nothing listed that the shop would refuse)."""
import xml.etree.ElementTree as ET
from urllib.parse import urlsplit

from tests import factories as f

NS = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}


def test_the_root_robots_txt_opens_the_shops_and_closes_the_rest(client):
    answer = client.get("/robots.txt")
    assert answer.status_code == 200 and answer.mimetype == "text/plain"
    lines = answer.get_data(as_text=True).splitlines()
    assert lines[0] == "User-agent: *" and "Allow: /shop/" in lines
    for closed in ("/platform/", "/store/", "/supplier/", "/api/", "/pay/"):
        assert f"Disallow: {closed}" in lines
    for private in ("cart", "checkout", "account", "orders", "login"):
        assert f"Disallow: /shop/*/{private}" in lines
    assert "Sitemap: http://localhost/sitemap.xml" in lines


def test_the_sitemap_index_names_active_shops_and_every_shop_link_answers(app, store):
    from app.blueprints.catalog.models import Category
    from app.blueprints.platform.models import Store
    from app.blueprints.platform.services import suspend_store
    from app.extensions import db

    on_sale = f.product(store, title="在售")
    draft = f.product(store, title="草稿", status="draft")
    hidden = f.category(store, name="停用类目")
    hidden_child = f.category(store, name="停用类目的子类", parent=hidden)
    in_hidden = f.product(store, title="停用类目里的在售商品", category_obj=hidden_child)
    with f.bound(store) as session:
        session.get(Category, hidden.id).enabled = False
    closed = f.store()
    with app.app_context():
        suspend_store(None, db.session.get(Store, closed.id), "test")
        db.session.commit()
    try:
        client = app.test_client()
        index = client.get("/sitemap.xml")
        assert index.status_code == 200 and index.mimetype == "application/xml"
        sitemaps = [s.findtext("s:loc", namespaces=NS) for s in ET.fromstring(index.data).findall("s:sitemap", NS)]
        ours = f"http://localhost/shop/{store.slug}/sitemap.xml"
        assert ours in sitemaps and f"http://localhost/shop/{closed.slug}/sitemap.xml" not in sitemaps

        shop = client.get(urlsplit(ours).path)
        urls = [u.findtext("s:loc", namespaces=NS) for u in ET.fromstring(shop.data).findall("s:url", NS)]
        base = f"http://localhost/shop/{store.slug}"
        assert f"{base}/p/{on_sale.id}" in urls and f"{base}/p/{in_hidden.id}" in urls
        assert f"{base}/p/{draft.id}" not in urls
        assert f"{base}/c/{hidden.id}" not in urls and f"{base}/c/{hidden_child.id}" not in urls
        answers = {url: client.get(urlsplit(url).path).status_code for url in urls}
        assert set(answers.values()) == {200}, {u: s for u, s in answers.items() if s != 200}
        # the shop's own robots.txt (behind its own domain) names its sitemap
        assert f"Sitemap: {ours}" in client.get(f"/shop/{store.slug}/robots.txt").get_data(as_text=True)
    finally:
        f.drop_store(closed)
