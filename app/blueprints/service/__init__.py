"""Customer service center (客服中心): tickets with queues, skills, assignment and SLAs, canned
replies, shopper <-> store conversations with an agent inbox, and the service dashboard."""
from flask_babel import lazy_gettext as _l, lazy_pgettext as _lp

from app.core.centers import Center, Entry, Perm
from app.core.tenancy import StoreBlueprint

bp = StoreBlueprint("service", __name__, url_prefix="/service")
shop_bp = StoreBlueprint("service_shop", __name__, url_prefix="/service", base="/shop")

center = Center(
    __name__, _l("Customer service"), position=78, blueprints=[bp, shop_bp], models=["models"], jobs=["jobs"],
    handlers=["handlers"],
    permissions=[Perm("service.view", _l("See tickets, conversations and the service dashboard"),
                      ("operations", "customer_service")),
                 Perm("service.reply", _l("Answer shoppers, add notes, resolve and escalate tickets"),
                      ("customer_service",)),
                 Perm("service.manage", _l("Assign, merge and re-prioritise tickets; manage agents"),
                      ("operations",)),
                 Perm("service.settings", _l("Set up queues, SLA policies, canned replies and service settings"))],
    menu=[Entry("service.dashboard", _l("Service dashboard"), "service.view", order=70),
          Entry("service.inbox", _l("Inbox"), "service.view", order=71),
          Entry("service.tickets", _l("Tickets"), "service.view", order=72),
          Entry("service.agents", _l("Agents"), "service.manage", order=73),
          Entry("service.queues", _l("Queues"), "service.settings", order=74),
          Entry("service.policies", _l("SLA policies"), "service.settings", order=75),
          Entry("service.canned", _l("Canned replies"), "service.settings", order=76),
          Entry("service.settings_page", _l("Service settings"), "service.settings", order=77)],
    audit_actions={"ticket.*": _lp("noun", "Ticket"), "service.settings_changed": _l("Service settings changed"),
                   "service.queue_saved": _l("Queue saved"), "service.sla_saved": _l("SLA policy saved"),
                   "service.canned_saved": _l("Canned reply saved"), "service.agent_saved": _l("Agent saved")},
)

from app.blueprints.service import shop_views, views  # noqa: E402,F401
