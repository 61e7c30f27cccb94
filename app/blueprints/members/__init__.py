"""Member center (会员中心): shopper accounts and addresses, the member admin (list, detail,
tags, notes, blacklist), segments, levels by growth value with their benefits, the points
ledger, and stored-value / gift cards (a payment gateway of the payment center)."""
from flask_babel import lazy_gettext as _l

from app.core.centers import Center, Entry, Perm
from app.core.tenancy import StoreBlueprint

bp = StoreBlueprint("members", __name__, url_prefix="/members")
shop_bp = StoreBlueprint("members_shop", __name__, base="/shop")   # the shopper's points and cards

center = Center(
    __name__, _l("Members"), position=75, blueprints=[bp, shop_bp], models=["models"], jobs=["jobs"], handlers=["handlers"],
    topics={"member.registered": _l("A shopper signed up"),
            "card.activated": _l("Stored-value or gift cards were activated (sold)"),
            "member.level_changed": _l("A member's level changed"),
            "member.birthday": _l("A member on a level with a birthday benefit has a birthday")},
    permissions=[Perm("members.view", _l("See members, segments, levels and cards"),
                      ("operations", "customer_service", "finance")),
                 Perm("members.manage", _l("Note, tag and blacklist members; edit segments"),
                      ("operations", "customer_service")),
                 Perm("members.points", _l("Adjust members' points and levels"), ("operations",)),
                 Perm("members.settings", _l("Set levels, growth and points rules")),
                 Perm("members.cards", _l("Issue and activate stored-value and gift cards"), ("finance",))],
    menu=[Entry("members.members", _l("Members"), "members.view", order=75),
          Entry("members.segments", _l("Segments"), "members.view", order=76),
          Entry("members.levels", _l("Levels and points"), "members.view", order=77),
          Entry("members.points_ledger", _l("Points ledger"), "members.view", order=78),
          Entry("members.card_batches", _l("Cards"), "members.view", order=79)],
    audit_actions={"member.*": _l("Member"), "members.settings_saved": _l("Growth and points rules saved"),
                   "card.*": _l("Card")},
    audit_fields={"points": _l("Points"), "level": _l("Level"), "blacklisted": _l("Blacklisted"),
                  "threshold": _l("Growth value"), "discount_percent": _l("Level price (percent of the sale price)"),
                  "points_multiplier": _l("Points multiplier (percent)")},
)

from app.blueprints.members import views, card_gateway  # noqa: E402,F401
