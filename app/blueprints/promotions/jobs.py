"""Promotion deadlines, run in every store."""
from app.blueprints.promotions import coupons
from app.core.periodic import every


@every(300)
def expire_coupons() -> int:
    """Unused coupons past their validity turn expired."""
    return coupons.expire_coupons()


@every(60)
def end_flash_sessions() -> int:
    """Flash sessions past their end give what their pools hold back to inventory."""
    from app.blueprints.promotions import flash

    return flash.end_due()


@every(60)
def fail_expired_groups() -> int:
    """Group buys whose time ran out before they filled: refund every paid order, cancel the rest."""
    from app.blueprints.promotions import groupbuy

    return groupbuy.fail_expired()
