"""Product center background work."""
from app.blueprints.catalog import services
from app.core.periodic import every


@every(60)
def apply_product_schedules() -> dict:
    """Scheduled on-sale and off-sale times, applied every minute in every store."""
    return services.apply_schedules()
