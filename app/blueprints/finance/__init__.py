"""Finance center (财务): a double-entry ledger posted from other centers' events (balanced,
idempotent per event and rule, immutable, enforced in the database), moving-average cost and
margin, gateway receivables against the payment center's reconciliation, the sales dashboard
that is the store's home page, the financial reports and the period close.

Policies (the posting rules themselves are described in `handlers`):

- Revenue, discounts and COGS are recognised per parcel when it ships; what a shopper pays is an
  advance (预收账款) until then.
- Points cost is booked when points are spent, not set aside when they are earned: the part of a
  line that points paid for is 销售费用—积分抵现 (6601.01) at the parcel's shipment, and a refund of
  those units takes it back. Points earned carry no fixed value yet: what 100 points are worth
  (`points_value`) is a store setting that may change before they are spent, points expire
  (`points_expiry_months`), many are never spent, and a refund takes back what its order earned.
  Setting the cost aside at earning would need an estimate of all three and a provision to
  unwind at each spend, expiry and refund; the member center emits no event for earning yet. So
  the P&L carries the cost in the period the points are used, and the points still outstanding
  are not a liability on the balance sheet (the member center's points ledger holds them).
- COGS after a return: a refund of shipped units reverses their revenue and discounts at once
  (销售退回 6001.02 and the shares of 6001.01/6001.03/6601.01, by order line), but their cost stays
  in COGS until the goods come back: the return's receipt (inventory's `inbound.completed`, kind
  return) puts them back into 库存商品 at that day's moving-average cost and takes the same amount
  out of COGS for the SKU. The receipt names no order, so an order's own lines keep the COGS
  their shipment booked; margin by SKU, product and category (`queries.margin_by_sku`) nets the
  refunded units and the returned cost, and a refund without the goods back (仅退款) leaves
  their cost as this period's COGS. A return valued at an average other than the shipment's
  leaves the difference in COGS of the return's period.
- Supplier invoices become payables when matched (or their exception accepted), on that day;
  the payables ageing is as of a day's end: invoices matched by then, less the payments dated
  up to then (`purchasing.queries.open_payables`)."""
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
