"""Purchasing's periodic work: replenishment suggestions and supplier scorecards, nightly
(the job runner commits)."""
from app.core.periodic import every


@every(86400)
def nightly_suggestions() -> int:
    """Recompute every SKU's replenishment suggestion in every warehouse."""
    from app.blueprints.purchasing import replenishment

    return replenishment.compute(trigger="nightly")


@every(86400)
def nightly_scorecards() -> int:
    """Score every supplier over the last 90 days."""
    from app.blueprints.purchasing import scorecard

    return len(scorecard.compute())
