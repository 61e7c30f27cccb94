"""Customer service periodic work: SLA warnings and breaches, handing waiting tickets to agents
who came online, and mail about messages the other side has not read."""
from app.blueprints.service import services
from app.core.periodic import every


@every(60)
def sweep_sla() -> dict:
    """Warn before an SLA deadline, alert and escalate when it passes, close long-resolved tickets."""
    return services.sweep_sla()


@every(60)
def assign_waiting() -> int:
    """Unassigned tickets go to the agents online now."""
    return services.assign_waiting()


@every(60)
def notify_unread() -> int:
    """Mail whoever has not read a thread within the store's minutes."""
    return services.notify_unread()
