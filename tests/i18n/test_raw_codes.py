"""No raw codes on a Chinese page: audit actions and their changes, job results, order source,
delivery method and price rule, amounts that do not parse; money always with its currency;
the owner's invitation in the store's language."""
import pytest

from tests import factories as f
from tests.conftest import last_mail, unique
from tests.i18n.pages import Page


@pytest.fixture()
def zh_owner(app, make_store):
    store = make_store(default_locale="zh_CN", owner_name="王五")
    owner = f.client("store", store=store)
    owner.form(f"/store/{store.slug}/account/locale", {"locale": "zh_CN"})
    return store, owner


def test_audit_log_reads_actions_fields_and_states_in_chinese(zh_owner):
    store, owner = zh_owner
    f.product(store)                       # created, then put on sale: product.created, product.on_sale
    f.staff(store, "warehouse", status="invited", name="李四")
    text = Page(owner.get(f"/store/{store.slug}/audit").get_data(as_text=True)).texts
    for words in ("创建商品", "商品：在售", "邀请员工", "登录", "状态", "草稿", "在售", "系统"):
        assert words in text, words
    for code in ("product.created", "product.on_sale", "staff.invited", "auth.login", "system", "on_sale", "status"):
        assert code not in text, code
    dashboard = Page(owner.get(f"/store/{store.slug}/").get_data(as_text=True)).texts
    assert "创建商品" in dashboard and "product.created" not in dashboard


def test_job_results_read_in_chinese(zh_owner, app):
    from app.core.tasks import Task
    from app.extensions import db

    store, owner = zh_owner
    row = f.task(store, kind="catalog.import", title="商品导入：products.xlsx")
    with f.bound(store):
        db.session.get(Task, row.id).result = {"products": 3, "skus_created": 5, "skus_updated": 1, "skipped_rows": 2}
        db.session.commit()
    html = owner.get(f"/store/{store.slug}/jobs/{row.id}").get_data(as_text=True)
    assert "新建 SKU" in html and "跳过的行" in html
    assert "skus_created" not in html and "skipped_rows" not in html


def test_order_source_delivery_and_price_rule_read_in_chinese(zh_owner):
    store, owner = zh_owner
    order = f.order(store, "paid")
    html = owner.get(f"/store/{store.slug}/orders/{order.id}").get_data(as_text=True)
    assert "快递" in html and "店铺前台" in html and "售价" in html
    assert "express" not in html.replace('value="express"', "") and "storefront ·" not in html
    assert "sale price" not in html
    listing = owner.get(f"/store/{store.slug}/orders/").get_data(as_text=True)
    assert "店铺前台" in listing and ">storefront<" not in listing.replace(" ", "")


def test_an_amount_that_does_not_parse_says_so_in_chinese(zh_owner):
    store, owner = zh_owner
    product = f.product(store)
    response = owner.form(f"/store/{store.slug}/catalog/products/{product.id}/prices",
                          {"sale_price": "abc", "list_price": "", "cost_price": ""})
    assert response.status_code == 422          # the form comes back with the error under the field
    html = response.get_data(as_text=True)
    assert "请填写金额，如 12.00。" in html
    assert "not an amount" not in html and "Not a valid" not in html and "abc" in html   # what was typed stays


def test_money_is_shown_with_the_store_currency(app, make_store):
    from app.core.money import format_money

    assert format_money(1000, "JPY") == "JP¥1,000" and format_money(1000, "CNY") == "¥10.00"
    store = make_store(currency="USD")
    order = f.order(store, "paid", price=1250)
    page = f.client("store", store=store).get(f"/store/{store.slug}/orders/{order.id}").get_data(as_text=True)
    assert "$12.50" in page and "¥" not in page


def test_the_owner_invitation_is_in_the_store_language(app, platform_admin):
    slug = unique("zhinv")
    platform_admin.form("/platform/stores/new", {"slug": slug, "name": "中文店", "owner_email": f"o@{slug}.cn",
                                                 "plan": "standard", "default_locale": "zh_CN", "currency": "CNY"})
    body = last_mail(app, f"o@{slug}.cn")
    assert f"/store/{slug}/invitation/" in body and "Open this link" not in body and "打开" in body


def test_a_staff_invitation_is_in_the_store_language(app, zh_owner):
    store, owner = zh_owner
    owner.form(f"/store/{store.slug}/account/locale", {"locale": "en"})   # the owner works in English
    email = f"{unique('new')}@{store.slug}.cn"
    owner.form(f"/store/{store.slug}/staff/invite", {"email": email, "name": "赵六", "role_id": f.role(store).id})
    body = last_mail(app, email)
    assert "/invitation/" in body and "you have been invited" not in body

