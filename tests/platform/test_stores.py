"""Platform administration of stores, and the tenants CLI."""
from sqlalchemy import select, text

from app.blueprints.platform.models import Store
from app.core.audit import PlatformAuditEntry
from app.extensions import db
from tests.conftest import PASSWORD, unique


def _store(app, slug):
    with app.app_context():
        return db.session.scalar(select(Store).where(Store.slug == slug).order_by(Store.id.desc()))


def test_platform_admin_creates_a_store_whose_owner_can_sign_in(app, platform_admin):
    slug = unique("ui")
    response = platform_admin.form("/platform/stores/new", {
        "slug": slug, "name": "UI Store", "owner_email": f"boss@{slug}.cn", "owner_password": PASSWORD,
        "plan": "standard", "default_locale": "en", "currency": "CNY"})
    assert response.status_code == 303
    store = _store(app, slug)
    assert store.schema_name == f"store_{store.id}" and store.staff_count == 1
    app.test_client().login("store", f"boss@{slug}.cn", slug=slug)
    html = platform_admin.get(f"/platform/stores?q={slug}").get_data(as_text=True)
    assert "UI Store" in html


def test_store_form_errors_keep_the_input(platform_admin, store):
    response = platform_admin.form("/platform/stores/new", {
        "slug": store.slug, "name": "Dup", "owner_email": "x@y.cn", "plan": "standard",
        "default_locale": "en", "currency": "CNY"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and "is taken" in html and 'value="Dup"' in html


def test_store_without_owner_password_mails_an_invitation(app, platform_admin):
    from tests.conftest import last_mail
    slug = unique("inv")
    platform_admin.form("/platform/stores/new", {"slug": slug, "name": "Invited", "owner_email": f"o@{slug}.cn",
                                                 "plan": "standard", "default_locale": "en", "currency": "CNY"})
    assert f"/store/{slug}/invitation/" in last_mail(app, f"o@{slug}.cn")


def test_delete_needs_the_typed_slug_then_drops_the_schema_and_keeps_the_record(app, platform_admin, store):
    response = platform_admin.form(f"/platform/stores/{store.id}/delete", {"confirmation": "wrong"})
    assert _store(app, store.slug).status == "active"
    page = platform_admin.get(response.headers["Location"]).get_data(as_text=True)
    assert "exactly to confirm" in page
    platform_admin.form(f"/platform/stores/{store.id}/delete", {"confirmation": store.slug})
    record = _store(app, store.slug)
    assert record.status == "deleted" and record.deleted_at is not None
    with app.app_context():
        exists = db.session.execute(text("SELECT 1 FROM pg_namespace WHERE nspname = :s"), {"s": store.schema}).first()
        assert exists is None
        actions = db.session.scalars(select(PlatformAuditEntry.action).where(
            PlatformAuditEntry.object_id == str(store.id), PlatformAuditEntry.object_type == "Store")).all()
        assert "store.deleted" in actions
    assert app.test_client().get(f"/store/{store.slug}/login").status_code == 404


def test_bulk_suspend_from_the_store_list(app, platform_admin, make_store):
    a, b = make_store(), make_store()
    platform_admin.form("/platform/stores", {"bulk_action": "suspend", "ids": [str(a.id), str(b.id)]})
    assert _store(app, a.slug).status == "suspended" and _store(app, b.slug).status == "suspended"
    html = platform_admin.get("/platform/stores?status=suspended").get_data(as_text=True)
    assert a.slug in html and b.slug in html


def test_platform_pages_render(platform_admin):
    for url in ("/platform/", "/platform/users", "/platform/suppliers", "/platform/health", "/platform/mail",
                "/platform/audit", "/platform/users/new", "/platform/suppliers/new"):
        assert platform_admin.get(url).status_code == 200, url


def test_supplier_account_linked_to_a_store_sees_it_in_the_portal(app, platform_admin, store):
    email = f"{unique('sup')}@acme.cn"
    response = platform_admin.form("/platform/suppliers/new", {"email": email, "name": "S", "company": "Acme",
                                                               "password": PASSWORD})
    detail = response.headers["Location"]
    platform_admin.form(detail, {"store_slug": store.slug, "supplier_code": "SUP-9"})
    supplier = app.test_client()
    supplier.login("supplier", email)
    html = supplier.get("/supplier/").get_data(as_text=True)
    assert store.name in html and "SUP-9" in html


def test_cli_create_list_migrate_suspend(app, tmp_path):
    runner = app.test_cli_runner()
    slug = unique("cli")
    result = runner.invoke(args=["tenants", "create", slug, "--name", "CLI", "--owner-email", f"o@{slug}.cn",
                                 "--owner-password", PASSWORD])
    assert result.exit_code == 0, result.output
    assert slug in runner.invoke(args=["tenants", "list"]).output
    result = runner.invoke(args=["tenants", "migrate", "--store", slug, "-j", "1"])
    assert result.exit_code == 0 and "up to date" in result.output
    assert runner.invoke(args=["tenants", "suspend", slug]).exit_code == 0
    assert _store(app, slug).status == "suspended"
    bad = runner.invoke(args=["tenants", "create", "Bad Slug!", "--name", "x", "--owner-email", "a@b.cn",
                              "--owner-password", PASSWORD])
    assert bad.exit_code != 0 and "slug" in bad.output


def test_migrate_continues_past_a_broken_store_and_fails_the_run(app, make_store):
    good, broken = make_store(), make_store()
    with app.app_context():
        db.session.execute(text(f"DROP TABLE {broken.schema}.alembic_version"))
        db.session.execute(text(f"DROP TABLE {broken.schema}.audit_log"))
        db.session.commit()
    result = app.test_cli_runner().invoke(args=["tenants", "migrate", "--store", good.slug, "--store", broken.slug,
                                                "-j", "2"])
    assert result.exit_code == 1
    assert f"ok      {good.slug}" in result.output
    assert f"FAILED  {broken.slug}" in result.output


def test_platform_user_cannot_disable_self_and_can_create_others(app, platform_admin):
    email = f"{unique('ops')}@houtai.cn"
    assert platform_admin.form("/platform/users/new", {"email": email, "name": "Ops", "password": PASSWORD}).status_code == 303
    app.test_client().login("platform", email)


def test_demo_seed_is_idempotent_and_gives_a_shop_to_browse(app):
    runner = app.test_cli_runner()
    assert runner.invoke(args=["demo", "seed"]).exit_code == 0
    assert runner.invoke(args=["demo", "seed"]).exit_code == 0
    html = app.test_client().get("/shop/demo/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert html.count("product-card") == 3 and "纯棉圆领T恤" in html
    app.test_client().login("store", "owner@demo.houtai.cn", password="owner-password", slug="demo")


def test_demo_seed_gives_the_demo_supplier_purchase_orders_in_the_portal(app):
    runner = app.test_cli_runner()
    assert runner.invoke(args=["demo", "seed"]).exit_code == 0
    client = app.test_client()
    client.login("supplier", "supplier@houtai.cn", password="supplier-password")
    html = client.get("/supplier/stores/demo/orders").get_data(as_text=True)
    assert html.count("PO-0") >= 3
    assert "SUP-001" in client.get("/supplier/").get_data(as_text=True)


def test_demo_seed_gives_the_demo_supplier_invoices_and_a_payment_once(app):
    from app.blueprints.platform.models import Store
    from app.blueprints.purchasing.models import SupplierInvoice, SupplierPayment
    from app.core.tenancy import store_context
    from app.extensions import db
    from sqlalchemy import select

    runner = app.test_cli_runner()
    assert runner.invoke(args=["demo", "seed"]).exit_code == 0
    assert runner.invoke(args=["demo", "seed"]).exit_code == 0
    with app.app_context():
        store = db.session.scalar(select(Store).where(Store.slug == "demo"))
        with store_context(store):
            invoices = {i.number: (i.match_status, i.status) for i in db.session.scalars(select(SupplierInvoice))}
            payments = db.session.scalars(select(SupplierPayment)).all()
            assert invoices["DS-INV-0001"] == ("matched", "partially_paid")
            assert invoices["DS-INV-0002"][0] != "matched" and invoices["DS-INV-0002"][1] == "unpaid"
            assert [p.reference for p in payments] == ["ICBC-DEMO-0001"]
    client = app.test_client()
    client.login("supplier", "supplier@houtai.cn", password="supplier-password")
    html = client.get("/supplier/stores/demo/invoices", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "DS-INV-0001" in html
    assert "DS-INV-0002" in html
    assert "ICBC-DEMO-0001" in client.get("/supplier/stores/demo/payments").get_data(as_text=True)


def test_a_big_platform_export_runs_in_the_background_for_the_operator_who_started_it(app, platform_admin, monkeypatch):
    """Over the inline limit the store list is exported by a worker (the platform has no schema
    for tasks: an RQ job keeps its progress), followed and downloaded on the platform's pages by
    the operator who started it only."""
    import io
    import re

    from openpyxl import load_workbook

    from app.blueprints.platform.services import create_platform_user
    from tests import factories as f
    from tests.conftest import wait_for

    f.use_app(app)
    marker = unique("fleet")
    stores = [f.store(name=f"{marker} {n}") for n in range(3)]
    monkeypatch.setitem(app.config, "EXPORT_INLINE_MAX_ROWS", 2)
    url = f"/platform/stores?export=xlsx&q={marker}&sort=name"
    confirm = platform_admin.get(url).get_data(as_text=True)
    assert 'data-export-rows="3"' in confirm and 'id="export-form"' in confirm
    started = platform_admin.form(url, {"export": "xlsx"})
    assert started.status_code == 303
    job = started.headers["Location"]
    assert "/platform/exports/platform-export-" in job
    assert "progressbar" in platform_admin.get(job).get_data(as_text=True)
    download = wait_for(lambda: (m := re.search(r'href="([^"]+/exports/[^"]+/file)"',
                                                platform_admin.get(job).get_data(as_text=True))) and m.group(1),
                        timeout=45)
    file = platform_admin.get(download)
    assert file.headers["Content-Disposition"].endswith("stores.xlsx")
    rows = list(load_workbook(io.BytesIO(file.get_data())).active.iter_rows(values_only=True))
    header = rows[0]
    names = [r[header.index("Name")] for r in rows[1:]]
    assert names == sorted(s.name for s in stores)                 # the filter and the sort are kept
    other_email = f"{unique('admin')}@houtai.cn"
    with app.app_context():
        create_platform_user(None, other_email, "Other", PASSWORD)
        db.session.commit()
    other = app.test_client()
    other.login("platform", other_email)
    assert other.get(job).status_code == 404 and other.get(download).status_code == 404
    assert platform_admin.get("/platform/exports/platform-export-1-00").status_code == 404
    for store in stores:
        f.drop_store(store)
