"""Order deadlines, enforced in every store."""
from app.blueprints.orders import services
from app.core.periodic import every


@every(60)
def cancel_unpaid_orders() -> int:
    """Payment timeout: unpaid orders are cancelled and their stock released."""
    return services.cancel_unpaid()


@every(3600)
def confirm_delivered_orders() -> int:
    """Automatic receipt confirmation after delivery."""
    return services.auto_confirm()
