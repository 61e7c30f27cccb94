"""The platform's list and edit pages through the shared page test base."""
from app.blueprints.platform.models import PlatformUser, Store, SupplierAccount
from app.core.audit import PlatformAuditEntry
from tests import factories as f
from tests.support.crud import PlatformPages


class TestStorePages(PlatformPages):
    list_path = "stores"
    create_path = "stores/new"
    detail_path = "stores/{id}"
    model = Store
    few, many = 2, 6       # stores are dear to make; the same statements for 2 and 6 rows still prove it
    bad_form = {"slug": "NOT A SLUG!"}

    def make(self, prefix, i):
        return f.store(slug=f"{prefix}-{i}")

    def create_data(self):
        slug = f.unique("made")
        return {"slug": slug, "name": "Made here", "owner_email": f"owner@{slug}.cn",
                "owner_password": f.PASSWORD, "plan": "standard", "default_locale": "en", "currency": "CNY"}


class TestPlatformUserPages(PlatformPages):
    list_path = "users"
    create_path = "users/new"
    model = PlatformUser
    bad_form = {"email": "not-an-email"}

    def make(self, prefix, i):
        return f.platform_user(f"{prefix}{i}@houtai.cn")

    def create_data(self):
        return {"email": f"{f.unique('new')}@houtai.cn", "name": "New admin", "password": f.PASSWORD}


class TestSupplierPages(PlatformPages):
    list_path = "suppliers"
    create_path = "suppliers/new"
    detail_path = "suppliers/{id}"
    detail_posts = True
    model = SupplierAccount
    bad_form = {"email": "not-an-email"}

    def make(self, prefix, i):
        return f.supplier(f"{prefix}{i}@supplier.cn")

    def create_data(self):
        return {"email": f"{f.unique('sup')}@supplier.cn", "name": "Supplier", "company": "Co", "password": f.PASSWORD}


class TestPlatformAuditPages(PlatformPages):
    """The platform audit log: entries found by their label, in a fixed number of queries."""
    list_path = "audit"
    model = PlatformAuditEntry

    def make(self, prefix, i):
        return f.platform_audit_entry(f"{prefix}-{i}")
