"""Builders for the promotion tests: a live promotion in one line."""
import pytest

from tests import factories as f


def promotion(store, kind="amount_off", params=None, status="active", name=None, **values):
    """A promotion saved through the service and (by default) published."""
    from app.blueprints.promotions import services

    params = params if params is not None else {"tiers": [[30_000, 3_000]]}
    with f._within(store) as session:
        row = services.save_promotion(None, None, {"name": name or f.unique("促销"), "kind": kind, "params": params,
                                                   **values})
        if status != "draft":
            services.set_status(None, row, "active")
        if status in ("paused", "ended"):
            services.set_status(None, row, status)
        session.flush()
        return row


@pytest.fixture()
def promo():
    return promotion
