"""The chart of accounts and the journal through the shared page test base: rows shown in a fixed number of
queries, permission, another store's account out of reach, a bad form refused."""
from app.blueprints.finance.models import Account, Entry
from tests import factories as f
from tests.support.crud import StorePages


class TestAccountPages(StorePages):
    list_path = "finance/accounts"
    create_path = "finance/accounts/new"
    edit_path = "finance/accounts/{id}"
    permission = "finance.post"
    list_permission = "finance.view"
    model = Account
    form = {"code": "6602.90", "name_zh": "测试费用", "name_en": "Test expense", "type": "expense", "active": "y"}
    edit_form = {"name_zh": "改名费用", "name_en": "Renamed expense", "active": "y"}
    bad_form = {"name_zh": ""}

    def make(self, store, i):
        from app.blueprints.finance import services

        with f.bound(store, request=True):
            return services.create_account(None, f"9{i:03d}.01", f"科目{i}", f"Account {i}", "expense")

    def shown(self, row):
        return row.code


class TestJournalPages(StorePages):
    list_path = "finance/journal"
    permission = "finance.view"
    model = Entry

    def make(self, store, i):
        from app.blueprints.finance import services

        with f.bound(store, request=True):
            return services.post("manual", 100 + i, [services.dr("1002", 100 + i), services.cr("3001", 100 + i)],
                                 rule="capital")

    def shown(self, row):
        return row.number
