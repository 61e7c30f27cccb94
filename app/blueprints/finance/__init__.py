"""Finance center (财务): a double-entry ledger posted from other centers' events (balanced,
idempotent per event and rule, immutable, enforced in the database), moving-average cost and
margin, gateway receivables against the payment center's reconciliation, the sales dashboard
that is the store's home page, the financial reports and the period close."""
from flask_babel import lazy_gettext as _l

from app.core.centers import Center, Entry, Perm
from app.core.tenancy import StoreBlueprint

bp = StoreBlueprint("finance", __name__, url_prefix="/finance")

center = Center(
    __name__, _l("Finance"), position=75, blueprints=[bp, "platform_views:platform_bp"], models=["models"], handlers=["handlers"],
    jobs=["jobs"],
    permissions=[Perm("finance.view", _l("See the sales dashboard, the journal, accounts and financial reports"),
                      ("operations", "finance")),
                 Perm("finance.post", _l("Edit the chart of accounts and post reversing entries"), ("finance",)),
                 Perm("finance.close", _l("Close accounting periods"), ("finance",))],
    menu=[Entry("finance.journal", _l("Journal"), "finance.view", order=80),
          Entry("finance.accounts", _l("Chart of accounts"), "finance.view", order=81),
          Entry("finance.receivables", _l("Gateway receivables"), "finance.view", order=82),
          Entry("finance.reports", _l("Financial reports"), "finance.view", order=83),
          Entry("finance.close_page", _l("Period close"), "finance.close", order=84)],
    audit_actions={"account.created": _l("Account added"), "account.updated": _l("Account edited"),
                   "entry.reversed": _l("Journal entry reversed"), "period.closed": _l("Period closed")},
    audit_fields={"name_zh": _l("Chinese name"), "name_en": _l("English name"), "closed_through": _l("Closed through")},
)

from app.blueprints.finance import report_views, views  # noqa: E402,F401
