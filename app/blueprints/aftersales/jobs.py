"""After-sales deadlines, enforced in every store."""
from app.blueprints.aftersales import services
from app.core.periodic import every


@every(300)
def approve_unanswered_requests() -> int:
    """Merchant silence: requests not answered by their deadline are approved."""
    return services.approve_unanswered()


@every(3600)
def close_unreturned_requests() -> int:
    """Shopper silence: approved returns whose goods never left close."""
    return services.close_unreturned()
