"""Suppliers: the directory, applications through the portal, the store's decision, supplier users."""
import io

import pytest
from sqlalchemy import select

from app.blueprints.purchasing import services
from app.blueprints.purchasing.models import Supplier, SupplierApplication, SupplierDocument, SupplierPrice, SupplierSku
from app.core.errors import DomainError
from tests import factories as f
from tests.conftest import PASSWORD

VALID_CODE = "91110000600037341L"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF"


def test_credit_code_is_checked_by_its_check_character(app):
    with app.test_request_context(headers={"Accept-Language": "en"}):
        _check_codes()


def _check_codes():
    assert services.check_credit_code(" 91110000600037341l ") == VALID_CODE
    with pytest.raises(DomainError) as err:
        services.check_credit_code("91110000600037341M")     # one typo in the check character
    assert "check character" in err.value.message and err.value.field == "credit_code"
    with pytest.raises(DomainError) as err:
        services.check_credit_code("9111000060003734")
    assert "18 characters" in err.value.message


def _apply_form(**changes):
    data = {"company": "上海好货贸易有限公司", "credit_code": VALID_CODE, "contact_name": "王经理",
            "contact_email": "wang@haohuo.cn", "contact_phone": "13800000000", "bank_name": "工商银行",
            "bank_account": "6222 0000 1111 2222", "bank_holder": "上海好货贸易有限公司", "categories": "零食, 饮料"}
    data.update(changes)
    return data


def _supplier_client(app, email):
    client = app.test_client()
    client.login("supplier", email)
    return client


def test_a_supplier_registers_applies_and_is_approved_into_the_directory_and_the_portal(app, store, owner):
    client = app.test_client()
    email = f"{f.unique('boss')}@haohuo.cn"
    response = client.form("/supplier/register", {"company": "好货", "name": "老板", "email": email,
                                                   "password": PASSWORD})
    assert response.status_code == 303
    # the store takes applications by invitation only: the page does not exist for it
    assert client.get(f"/supplier/stores/{store.slug}/apply").status_code == 404
    owner.form(f"/store/{store.slug}/purchasing/applications/invite", {"email": email})
    assert client.get(f"/supplier/stores/{store.slug}/apply").status_code == 200
    bad = client.post(f"/supplier/stores/{store.slug}/apply",
                      data={**_apply_form(credit_code="91110000600037341M"), "csrf_token": client.csrf_token(),
                            "files": (io.BytesIO(PDF), "licence.pdf")}, content_type="multipart/form-data")
    assert bad.status_code == 422 and "check character" in bad.get_data(as_text=True)
    exe = client.post(f"/supplier/stores/{store.slug}/apply",
                      data={**_apply_form(), "csrf_token": client.csrf_token(),
                            "files": (io.BytesIO(b"MZ\x90\x00"), "licence.exe")}, content_type="multipart/form-data")
    assert exe.status_code == 422 and "not a PDF, PNG or JPEG" in exe.get_data(as_text=True)
    assert f.count(store, SupplierApplication) == 0
    ok = client.post(f"/supplier/stores/{store.slug}/apply",
                     data={**_apply_form(), "csrf_token": client.csrf_token(),
                           "files": (io.BytesIO(PDF), "licence.pdf")}, content_type="multipart/form-data")
    assert ok.status_code == 303
    application = f.read(store, lambda: f.db_session().scalar(select(SupplierApplication)))
    assert application.status == "pending" and application.bank_account == "6222000011112222"
    page = owner.get(f"/store/{store.slug}/purchasing/applications/{application.id}").get_data(as_text=True)
    assert "上海好货贸易有限公司" in page and "licence.pdf" in page
    assert owner.get(f"/store/{store.slug}/purchasing/applications/{application.id}/files/0").data == PDF
    # not yet a supplier: the store's pages stay closed to it
    assert client.get(f"/supplier/stores/{store.slug}/orders").status_code == 404
    response = owner.form(f"/store/{store.slug}/purchasing/applications/{application.id}/approve", {"code": "HH01"})
    assert response.status_code == 303
    supplier = f.read(store, lambda: f.db_session().scalar(select(Supplier).where(Supplier.code == "HH01")))
    assert supplier.credit_code == VALID_CODE and supplier.categories == ["零食", "饮料"]
    assert f.count(store, SupplierDocument, SupplierDocument.supplier_id == supplier.id) == 1
    home = client.get("/supplier/").get_data(as_text=True)
    assert store.name in home and "HH01" in home
    assert client.get(f"/supplier/stores/{store.slug}/orders").status_code == 200


def test_a_rejected_application_shows_its_reason_to_the_supplier(app, store, owner):
    account = f.supplier()
    with f.bound(store, request=True):
        services.invite(None, account.email)
    client = _supplier_client(app, account.email)
    client.post(f"/supplier/stores/{store.slug}/apply",
                data={**_apply_form(), "csrf_token": client.csrf_token(), "files": (io.BytesIO(PDF), "l.pdf")},
                content_type="multipart/form-data")
    application_id = f.read(store, lambda: f.db_session().scalar(select(SupplierApplication.id)))
    no_reason = owner.form(f"/store/{store.slug}/purchasing/applications/{application_id}/reject", {"reason": ""})
    assert no_reason.status_code == 422
    owner.form(f"/store/{store.slug}/purchasing/applications/{application_id}/reject",
               {"reason": "营业执照已过期"})
    page = client.get(f"/supplier/stores/{store.slug}/apply").get_data(as_text=True)
    assert "Rejected" in page and "营业执照已过期" in page
    assert f.count(store, Supplier) == 0


def test_a_store_open_to_applications_takes_them_without_an_invitation(app, store):
    account = f.supplier()
    with f.bound(store, request=True):
        row = services.settings()
        services.save_settings(None, open_to_applications=True, approval_threshold=row.approval_threshold,
                               over_tolerance_pct=5, under_tolerance_pct=5, velocity_days=30, cover_days=14,
                               default_tax_rate=1300)
    client = _supplier_client(app, account.email)
    assert client.get(f"/supplier/stores/{store.slug}/apply").status_code == 200


def test_the_supplier_admin_adds_users_with_roles_and_only_its_own(app, store):
    admin = f.supplier()
    other = f.supplier()
    f.supplier_record(store, admin)
    client = _supplier_client(app, admin.email)
    sales_email = f"{f.unique('sales')}@supplier.cn"
    assert client.form("/supplier/users", {"name": "销售", "email": sales_email, "role": "sales",
                                           "password": PASSWORD}).status_code == 303
    sales = _supplier_client(app, sales_email)
    # the same stores as its company, and no user management
    assert sales.get(f"/supplier/stores/{store.slug}/").status_code == 200
    assert sales.get("/supplier/users").status_code == 403
    # sales confirm orders but do not announce shipments
    assert sales.get(f"/supplier/stores/{store.slug}/asns/new").status_code == 403
    # an admin cannot touch another supplier's users
    other_client = _supplier_client(app, other.email)
    with app.app_context():
        from app.blueprints.platform.queries import supplier_users

        sales_id = [u.id for u in supplier_users(admin.id) if u.email == sales_email][0]
    other_client.form(f"/supplier/users/{sales_id}", {"role": "admin", "active": "y"})
    with app.app_context():
        from app.blueprints.platform.queries import supplier_account

        assert supplier_account(sales_id).role == "sales"
    client.form(f"/supplier/users/{sales_id}", {"role": "warehouse"})     # active unchecked: switched off
    with app.app_context():
        user = supplier_account(sales_id)
        assert user.role == "warehouse" and not user.active


def test_supplier_sku_keeps_its_price_history_and_one_preferred_supplier(store):
    with f.bound(store, request=True) as session:
        a, b = f.supplier_record(store), f.supplier_record(store)
        sku = f.sku(store)
        link_a = f.supplier_sku(store, a, sku, price=500, preferred=True)
        f.supplier_sku(store, b, sku, price=480, preferred=True)
        session.refresh(link_a)
        assert not link_a.preferred
        services.save_supplier_sku(None, link_a, supplier_id=a.id, sku_code=sku.code, price=450, moq=10, pack_size=6)
        prices = session.scalars(select(SupplierPrice.price).where(SupplierPrice.supplier_sku_id == link_a.id)
                                 .order_by(SupplierPrice.id)).all()
        assert prices == [500, 450]
        with pytest.raises(DomainError):
            services.save_supplier_sku(None, None, supplier_id=a.id, sku_code=sku.code, price=1)
        assert session.scalar(select(SupplierSku.supplier_id).where(SupplierSku.sku_id == sku.id,
                                                                    SupplierSku.preferred)) == b.id


def test_supplier_pages_add_contacts_documents_and_notes(store, owner):
    supplier = f.supplier_record(store)
    base = f"/store/{store.slug}/purchasing/suppliers/{supplier.id}"
    assert owner.form(f"{base}/contacts", {"name": "李四", "phone": ""}).status_code == 422
    assert owner.form(f"{base}/contacts", {"name": "李四", "phone": "13900000000"}).status_code == 303
    response = owner.post(f"{base}/documents", data={"kind": "contract", "csrf_token": owner.csrf_token(),
                                                     "file": (io.BytesIO(PDF), "合同.pdf")},
                          content_type="multipart/form-data")
    assert response.status_code == 303
    owner.form(f"{base}/notes", {"body": "每月对账一次"})
    page = owner.get(base).get_data(as_text=True)
    assert "李四" in page and "合同.pdf" in page and "每月对账一次" in page
