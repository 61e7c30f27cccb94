"""Member deadlines, in every store: points expire, levels are reviewed, birthdays are greeted."""
from datetime import datetime
from zoneinfo import ZoneInfo

from app.blueprints.members import loyalty
from app.core.periodic import every
from app.core.tenancy import current_store


@every(3600)
def expire_points() -> int:
    """Points older than the store's expiry period lapse (oldest first)."""
    return loyalty.expire_points()


@every(3600)
def review_levels() -> int:
    """Members whose level is older than the review period keep it or drop to what their recent growth reaches."""
    return loyalty.review_levels()


@every(3600)
def greet_birthdays() -> int:
    """`member.birthday` once a year for members on a level with the birthday benefit (promotions issues the coupon)."""
    today = datetime.now(ZoneInfo(current_store().timezone or "Asia/Shanghai")).date()
    return len(loyalty.birthdays(today, today.year))
