"""Inventory background work."""
from app.blueprints.inventory import services
from app.core.periodic import every


@every(60, queue="stock")
def expire_reservations() -> int:
    """Release reservations whose time ran out."""
    return services.expire_reservations()


@every(3600, queue="stock")
def verify_ledger() -> int:
    """Hourly: does every level equal the sum of its ledger? Drift is recorded and audited."""
    return len(services.verify_ledger().drift)
