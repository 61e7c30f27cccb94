"""Finance jobs: keep each store's line of the platform's usage summary current."""
from __future__ import annotations

from app.blueprints.finance import services
from app.core.periodic import every


@every(900, queue="finance")
def refresh_usage() -> dict:
    """Recount this store's last 30 days and database space into the platform summary."""
    return services.refresh_usage()
