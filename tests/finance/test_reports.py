"""Reports read the daily summary: the trial balance balances, P&L and balance sheet agree with
the postings, exports carry numbers; closing a period locks it (in the database too) and later
postings for its days land on the first open day; pages refuse staff without the permission."""
from datetime import date, timedelta

import pytest
from sqlalchemy.exc import DBAPIError

from app.blueprints.finance import queries, services
from app.blueprints.finance.models import Entry
from app.core.errors import DomainError
from tests import factories as f


def _post(store, legs, on=None, source="manual"):
    with f.bound(store, request=True):
        entry = services.post(source, 1, legs, rule="test", on=on)
        return entry.id, entry.posted_on


def test_trial_balance_profit_and_loss_and_balance_sheet_agree(module_store, module_owner):
    dr, cr = services.dr, services.cr
    _post(module_store, [dr("1002", 100000), cr("3001", 100000)])                      # capital paid in
    _post(module_store, [dr("1122", 5000), cr("6001", 5000)])                          # a sale
    _post(module_store, [dr("6401", 2000), dr("6001.01", 500), cr("1405", 2500)])      # its cost and discount
    with f.bound(module_store, request=True):
        tb = queries.trial_balance()
        assert tb.debit == tb.credit
        today = services.today()
        pl = queries.profit_and_loss(today.replace(day=1), today)
        assert pl.result == 5000 - 500 - 2000
        bs = queries.balance_sheet(today)
        totals = {s: t for s, _b, t in bs.sections}
        assert totals["asset"] == totals["liability"] + totals["equity"] + bs.result
    slug = module_store.slug
    page = module_owner.get(f"/store/{slug}/finance/reports/trial-balance").get_data(as_text=True)
    assert 'data-balanced="yes"' in page
    csv = module_owner.get(f"/store/{slug}/finance/reports?export=csv").get_data(as_text=True)
    assert "25.00" in csv and "CNY" in csv                                             # profit in major units
    xlsx = module_owner.get(f"/store/{slug}/finance/reports/balance-sheet?export=xlsx")
    assert xlsx.status_code == 200 and xlsx.data[:2] == b"PK"
    for path in ("reports/margin?by=category", "reports/inventory", "receivables", "journal", "accounts",
                 "reports?since=bad"):
        assert module_owner.get(f"/store/{slug}/finance/{path}").status_code == 200, path


def test_a_closed_period_refuses_postings_and_later_ones_land_in_the_open_period(store, owner):
    yesterday = date.today() - timedelta(days=1)
    r = owner.form(f"/store/{store.slug}/finance/close", {"through": (date.today() + timedelta(days=1)).isoformat()})
    assert r.status_code == 422 and "Close a day before today." in r.get_data(as_text=True)
    r = owner.form(f"/store/{store.slug}/finance/close", {"through": yesterday.isoformat()})
    assert r.status_code in (200, 303)
    with f.bound(store, request=True):
        assert services.period().closed_through == yesterday
    _id, day = _post(store, [services.dr("1002", 100), services.cr("3001", 100)], on=yesterday - timedelta(days=3))
    assert day == yesterday + timedelta(days=1)                                        # the first open day
    with pytest.raises(DBAPIError, match="closed through"):                           # the database refuses too
        with f.bound(store) as session:
            session.add(Entry(posted_on=yesterday, source_kind="manual", source_id="x", rule="sneak", currency="CNY"))
            session.flush()
    with pytest.raises(DomainError):
        with f.bound(store, request=True):
            services.close_period(None, yesterday - timedelta(days=5))                 # never moves back


def test_finance_pages_need_their_permission(store):
    warehouse = f.staff_client(store, "warehouse")
    for path in ("journal", "accounts", "reports", "receivables", "close"):
        assert warehouse.get(f"/store/{store.slug}/finance/{path}").status_code == 403, path
    clerk = f.staff_client(store, "finance")
    assert clerk.get(f"/store/{store.slug}/finance/close").status_code == 200
    page = warehouse.get(f"/store/{store.slug}/").get_data(as_text=True)
    assert 'id="sales"' not in page                                                    # sales figures are finance's


def test_receivables_list_the_days_where_the_ledger_and_the_statement_differ(store, owner):
    from app.blueprints.payments.models import ReconciliationRun
    from tests.finance.conftest import settle

    f.payment(store, f.order(store, price=2000))
    settle(store)
    with f.bound(store, request=True) as session:
        today = services.today()
        session.add_all([ReconciliationRun(gateway="sandbox", day=today, status="done", gateway_total=2000,
                                           our_total=2000),
                         ReconciliationRun(gateway="sandbox", day=today - timedelta(days=1), status="done",
                                           gateway_total=1500, our_total=0)])
        assert queries.gateway_balances() == {"sandbox": 2000}
    page = owner.get(f"/store/{store.slug}/finance/receivables").get_data(as_text=True)
    assert page.count('data-differs="no"') == 1 and page.count('data-differs="yes"') == 1
    assert 'id="differing"' in page


def test_platform_staff_see_each_stores_usage_without_its_ledger(store, platform_admin):
    f.payment(store, f.order(store, price=4200))
    from app.core import jobs

    jobs.run_job("app.blueprints.finance.jobs.refresh_usage", store.id, [], {})     # the periodic recount
    page = platform_admin.get("/platform/usage/").get_data(as_text=True)
    row = page[page.index(f'data-store="{store.slug}"'):]
    assert 'data-gmv="4200"' in row[:600] and 'data-orders="1"' in row[:600]
