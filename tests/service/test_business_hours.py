"""SLA clocks that count only the store's service hours (in its time zone): a ticket opened on
Friday evening is due after Monday's opening, and the periodic job breaches it only then."""
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import time_machine

from app.blueprints.service import jobs as service_jobs, services
from app.blueprints.service.models import SlaPolicy, Ticket
from app.core import jobs
from app.extensions import db
from tests import factories as f

SHANGHAI = ZoneInfo("Asia/Shanghai")
WEEK = {1, 2, 3, 4, 5}


def _at(y, m, d, hh, mm):
    return datetime(y, m, d, hh, mm, tzinfo=SHANGHAI)


def test_service_minutes_skip_nights_and_weekends():
    friday = _at(2026, 12, 4, 17, 30)
    assert services.business_deadline(friday, 60, WEEK, 540, 1080, SHANGHAI) == _at(2026, 12, 7, 9, 30)
    assert services.business_deadline(_at(2026, 12, 8, 8, 0), 30, WEEK, 540, 1080, SHANGHAI) == _at(2026, 12, 8, 9, 30)
    # ten hours from Monday 10:00: eight on Monday, two on Tuesday
    assert services.business_deadline(_at(2026, 12, 7, 10, 0), 600, WEEK, 540, 1080, SHANGHAI) == \
        _at(2026, 12, 8, 11, 0)
    # exactly at closing time is still that day; a minute more is the next service day
    assert services.business_deadline(_at(2026, 12, 7, 17, 0), 60, WEEK, 540, 1080, SHANGHAI) == \
        _at(2026, 12, 7, 18, 0)
    assert services.business_deadline(_at(2026, 12, 7, 17, 0), 61, WEEK, 540, 1080, SHANGHAI) == \
        _at(2026, 12, 8, 9, 1)
    # a week of service hours (5 × 9 h) ends one calendar week later
    assert services.business_deadline(_at(2026, 12, 7, 9, 0), 5 * 540, WEEK, 540, 1080, SHANGHAI) == \
        _at(2026, 12, 11, 18, 0)
    # round the clock every day is calendar time
    assert services.business_deadline(friday, 90, set(range(1, 8)), 0, 1440, SHANGHAI) == friday + timedelta(minutes=90)


def _run_job(app, store):
    with app.test_request_context(headers={"Accept-Language": "en"}):
        return jobs.run_job(service_jobs.sweep_sla.job_name, store.id, [], {})


def test_a_business_hours_policy_breaches_only_after_service_hours_have_passed(app, store, owner):
    response = owner.form(f"/store/{store.slug}/service/settings", {
        "unread_mail_minutes": "15", "auto_close_days": "3", "business_days": ["1", "2", "3", "4", "5"],
        "business_opens": "09:00", "business_closes": "18:00", "message_queue_id": "0", "order_queue_id": "0",
        "aftersales_queue_id": "0"})
    assert response.status_code == 303, response.get_data(as_text=True)[:3000]
    response = owner.form(f"/store/{store.slug}/service/sla-policies/new", {
        "name": "工作时间", "priority": "high", "queue_id": "0", "first_response_minutes": "60",
        "resolution_minutes": "480", "warn_minutes": "10", "active": "y", "business_hours": "y"})
    assert response.status_code == 303, response.get_data(as_text=True)[:3000]
    assert f.read(store, lambda: db.session.query(SlaPolicy).one().business_hours) is True

    friday_evening = _at(2026, 12, 4, 17, 30).astimezone(timezone.utc)
    with time_machine.travel(friday_evening, tick=False):
        ticket = f.ticket(store, priority="high")
    assert ticket.first_response_due_at == _at(2026, 12, 7, 9, 30)
    assert ticket.resolution_due_at == _at(2026, 12, 7, 16, 30)          # 30 min Friday + 7.5 h Monday
    with time_machine.travel(_at(2026, 12, 6, 23, 0).astimezone(timezone.utc), tick=False):   # Sunday night
        assert _run_job(app, store) == {"warned": 0, "breached": 0, "closed": 0}
    with time_machine.travel(_at(2026, 12, 7, 9, 31).astimezone(timezone.utc), tick=False):   # Monday 09:31
        assert _run_job(app, store)["breached"] == 1
    assert f.get(store, Ticket, ticket.id).first_response_breached

    bad = owner.form(f"/store/{store.slug}/service/settings", {
        "unread_mail_minutes": "15", "auto_close_days": "3", "business_days": ["1"], "business_opens": "18:00",
        "business_closes": "09:00", "message_queue_id": "0", "order_queue_id": "0", "aftersales_queue_id": "0"})
    assert bad.status_code == 422
    assert f.read(store, lambda: services.settings().business_days) == "12345"
