"""Member center (会员中心): shopper accounts and their addresses. Its pages come with the
members issue; the storefront signs shoppers up and in through its services."""
from flask_babel import lazy_gettext as _l

from app.core.centers import Center

center = Center(__name__, _l("Members"), position=75, models=["models"],
                topics={"member.registered": _l("A shopper signed up")})
