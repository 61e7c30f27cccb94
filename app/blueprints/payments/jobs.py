"""Payment jobs: the sandbox gateway's notification delivery, refunds sent to gateways,
active queries of stale payments, and the daily reconciliation."""
from __future__ import annotations

import threading
import urllib.error
import urllib.parse
import urllib.request

from flask import current_app

from app.blueprints.payments import refunds, services
from app.blueprints.payments.gateways import sandbox
from app.blueprints.payments.models import SandboxTrade
from app.core.db import utcnow
from app.core.jobs import BadJobInput, enqueue, job
from app.core.periodic import every
from app.core.tenancy import current_store
from app.extensions import db


def _post(path: str, fields: dict) -> tuple[int, str]:
    """POST a form to our own endpoint: over HTTP when PUBLIC_URL is set (as a real gateway
    would), else through the WSGI app in a fresh thread (its own app context and session)."""
    base = current_app.config.get("PUBLIC_URL")
    if base:
        request = urllib.request.Request(base.rstrip("/") + path, data=urllib.parse.urlencode(fields).encode())
        try:
            with urllib.request.urlopen(request, timeout=10) as answer:
                return answer.status, answer.read().decode()
        except urllib.error.HTTPError as err:
            return err.code, err.read().decode()
        except (urllib.error.URLError, TimeoutError) as err:
            return 0, str(err)
    app, out = current_app._get_current_object(), {}

    def call():
        answer = app.test_client().post(path, data=fields)
        out["answer"] = (answer.status_code, answer.get_data(as_text=True))

    worker = threading.Thread(target=call)
    worker.start()
    worker.join(30)
    return out.get("answer", (0, "no answer"))


@job(queue="webhooks", retry=())
def deliver_sandbox_notice(trade_id: int) -> str:
    """One delivery of a sandbox notification; until the shop answers `success`, the next one is
    scheduled on SANDBOX_NOTIFY_SCHEDULE (Alipay's 4m,10m,10m,1h,2h,6h,15h, compressed)."""
    trade = db.session.get(SandboxTrade, trade_id)
    if trade is None:
        raise BadJobInput(f"no sandbox trade {trade_id}")
    if trade.notified_at is not None:
        return "already acknowledged"
    store = current_store()
    trade.notify_attempts += 1
    status, body = _post(f"/pay/{store.slug}/notify/sandbox", sandbox.notice_fields(trade, store.id))
    if status == 200 and body.strip() == "success":
        trade.notified_at = utcnow()
        return "acknowledged"
    schedule = current_app.config["SANDBOX_NOTIFY_SCHEDULE"]
    if trade.notify_attempts <= len(schedule):
        enqueue(deliver_sandbox_notice, trade_id, store_id=store.id, delay=schedule[trade.notify_attempts - 1])
        return f"answered {status}; next try in {schedule[trade.notify_attempts - 1]}s"
    return f"answered {status}; giving up after {trade.notify_attempts} tries"


@job(queue="finance", retry=(10, 60, 300, 900))
def send_refund(refund_id: int) -> str:
    """Send a pending refund; a gateway error retries with the same request id."""
    return refunds.send(refund_id)


@every(300, queue="finance")
def query_pending_payments() -> int:
    """Active query: payments pending too long are settled from the gateway's answer, each
    committed on its own so no payment stays locked while the next one is asked about."""
    return services.query_stale(after_each=db.session.commit)


@every(600, queue="finance")
def query_pending_refunds() -> int:
    """Active query of refunds pending over ten minutes (a lost answer or webhook)."""
    return refunds.query_pending(after_each=db.session.commit)


@every(3600, queue="finance")
def flag_stuck_refunds() -> int:
    """Refunds pending for over an hour are put in front of a person."""
    return refunds.flag_stuck()


@every(3600, queue="finance")
def reconcile_yesterday() -> int:
    """Daily reconciliation of each enabled gateway for the store's yesterday, once per day."""
    from app.blueprints.payments import reconcile

    return reconcile.run_due()
