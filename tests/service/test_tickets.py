"""Tickets: opened from shopper messages, after-sales requests and staff; handed out fairly to
online agents; SLA warnings and breaches by the periodic job with the clock moved; escalation,
canned replies, notes, merging duplicates and the shopper's rating."""
from datetime import timedelta

import pytest
import time_machine
from sqlalchemy import select

from app.blueprints.service import jobs as service_jobs, services
from app.blueprints.service.models import Agent, Ticket, TicketEvent
from app.core import jobs
from app.core.db import utcnow
from app.core.errors import DomainError
from app.core.outbox import Event
from app.extensions import db
from tests import factories as f
from tests.conftest import last_mail, wait_for


def _run_job(app, store, fn):
    """A periodic store job, run the way the worker runs it (store bound, one commit)."""
    with app.test_request_context(headers={"Accept-Language": "en"}):
        return jobs.run_job(fn.job_name, store.id, [], {})


def _ticket(store, ticket_id) -> Ticket:
    return f.read(store, lambda: db.session.get(Ticket, ticket_id))


def _actions(store, ticket_id) -> list[str]:
    return f.read(store, lambda: db.session.scalars(select(TicketEvent.action).where(TicketEvent.ticket_id == ticket_id)
                                                    .order_by(TicketEvent.id)).all())


def _tickets_of(store, conversation_id):
    return f.read(store, lambda: db.session.scalars(select(Ticket).where(Ticket.conversation_id == conversation_id)
                                                    .order_by(Ticket.id)).all())


def test_a_shopper_message_opens_one_ticket_in_the_queue_and_an_online_agent_gets_it(store):
    queue = f.service_queue(store, skill="presales")
    agent = f.service_agent(store, [queue])
    f.service_agent(store, [queue], online=False)              # switched off: never chosen
    conversation = f.conversation(store, body="有现货吗？")
    (ticket,) = _tickets_of(store, conversation.id)
    assert (ticket.source, ticket.queue_id, ticket.assignee_id, ticket.status) == ("message", queue.id, agent.id, "open")
    # the next message lands on the same ticket
    with f.bound(store, request=True):
        from app.blueprints.members.models import Member
        from app.blueprints.service.models import Conversation

        services.post_message(db.session.get(Conversation, conversation.id), "shopper",
                              db.session.get(Member, conversation.shopper_id), "还在吗？")
    assert len(_tickets_of(store, conversation.id)) == 1
    assert conversation.staff_unread == 1 and f.read(store, lambda: services.active_ticket(conversation.id)
                                                     ).id == ticket.id


def test_round_robin_hands_tickets_out_in_turn_and_skips_agents_who_are_away_or_full(store):
    queue = f.service_queue(store)
    a, b, c = (f.service_agent(store, [queue]) for _ in range(3))
    away = f.service_agent(store, [queue], present=False)          # online switch on, not seen lately
    other_queue_agent = f.service_agent(store, [f.service_queue(store)])
    got = [f.ticket(store, queue_obj=queue).assignee_id for _ in range(9)]
    assert got == [a.id, b.id, c.id] * 3
    assert away.id not in got and other_queue_agent.id not in got
    # an agent at their limit is passed over until one of theirs is solved
    with f.bound(store, request=True):
        db.session.get(Agent, b.id).max_open = 3
    assert [f.ticket(store, queue_obj=queue).assignee_id for _ in range(2)] == [a.id, c.id]


def test_least_loaded_gives_the_ticket_to_the_agent_with_fewest_active_tickets(store):
    queue = f.service_queue(store, strategy="least_loaded")
    busy = f.service_agent(store, [queue])
    with f.bound(store, request=True):
        for _ in range(3):
            t = services.open_ticket(None, subject="x", queue_id=None)
            services.assign_ticket(None, t, busy.id)
    idle = f.service_agent(store, [queue])
    got = [f.ticket(store, queue_obj=queue).assignee_id for _ in range(6)]
    # the idle agent catches up first; then they alternate, the one who waited longer first on a tie
    assert got == [idle.id] * 3 + [busy.id, idle.id, busy.id]
    loads = f.read(store, lambda: services.loads([busy.id, idle.id]))
    assert loads == {busy.id: 5, idle.id: 4}


def test_an_agent_not_seen_for_five_minutes_is_not_online_and_gets_tickets_when_back(app, store):
    queue = f.service_queue(store)
    agent = f.service_agent(store, [queue])
    with time_machine.travel(utcnow() + timedelta(minutes=6), tick=True):
        ticket = f.ticket(store, queue_obj=queue)
        assert ticket.assignee_id is None
        f.read(store, lambda: services.touch_presence(agent.staff_id))     # they open a service page again
        assert _run_job(app, store, service_jobs.assign_waiting) == 1
    assert _ticket(store, ticket.id).assignee_id == agent.id


def test_sla_warns_before_and_alerts_on_breach_by_the_periodic_job(app, store):
    alert = f"{f.unique('alert')}@example.com"
    with f.bound(store, request=True):
        services.settings().alert_email = alert
    f.service_policy(store, "high", first=30, resolution=120, warn=10)
    queue = f.service_queue(store)
    agent = f.service_agent(store, [queue])
    ticket = f.ticket(store, priority="high", queue_obj=queue)
    assert ticket.first_response_due_at == ticket.created_at + timedelta(minutes=30)
    assert _run_job(app, store, service_jobs.sweep_sla)["warned"] == 0
    with time_machine.travel(ticket.created_at + timedelta(minutes=21), tick=False):
        assert _run_job(app, store, service_jobs.sweep_sla) == {"warned": 1, "breached": 0, "closed": 0}
        assert _run_job(app, store, service_jobs.sweep_sla)["warned"] == 0            # once per clock
    assert "is due at" in last_mail(app, agent.staff_email)
    with time_machine.travel(ticket.created_at + timedelta(minutes=31), tick=False):
        assert _run_job(app, store, service_jobs.sweep_sla)["breached"] == 1
        assert _run_job(app, store, service_jobs.sweep_sla)["breached"] == 0
    after = _ticket(store, ticket.id)
    assert after.first_response_breached and not after.resolution_breached
    assert after.status == "escalated" and after.priority == "urgent"
    # the breach alert and the escalation notice both go to the alert address, in either order
    assert wait_for(lambda: any("was due at" in body for body in _mail_bodies(app, alert)), 15)
    actions = _actions(store, ticket.id)
    assert actions.count("sla_warning") == 1 and actions.count("sla_breached") == 1 and "escalated" in actions


def test_an_answer_in_time_stops_the_first_response_clock(app, store):
    f.service_policy(store, "normal", first=30, resolution=600, warn=5)
    queue = f.service_queue(store)
    f.service_agent(store, [queue])
    conversation = f.conversation(store)
    (ticket,) = _tickets_of(store, conversation.id)
    with f.bound(store, request=True):
        staff = f.staff(store, "customer_service")
        services.reply_ticket(staff, db.session.get(Ticket, ticket.id), "马上为您查询")
    with time_machine.travel(ticket.created_at + timedelta(minutes=45), tick=False):
        assert _run_job(app, store, service_jobs.sweep_sla) == {"warned": 0, "breached": 0, "closed": 0}
    after = _ticket(store, ticket.id)
    assert after.first_responded_at is not None and not after.first_response_breached
    assert f.read(store, lambda: db.session.get(type(conversation), conversation.id).shopper_unread) == 1


def test_resolved_tickets_close_after_the_stores_days_and_a_shopper_message_reopens_a_resolved_one(app, store):
    conversation = f.conversation(store)
    (ticket,) = _tickets_of(store, conversation.id)
    with f.bound(store, request=True):
        services.resolve_ticket(None, db.session.get(Ticket, ticket.id))
    f.conversation(store, member_obj=type("M", (), {"id": conversation.shopper_id})(), body="还有一个问题")
    assert _ticket(store, ticket.id).status == "open" and "reopened" in _actions(store, ticket.id)
    with f.bound(store, request=True):
        services.resolve_ticket(None, db.session.get(Ticket, ticket.id))
    with time_machine.travel(utcnow() + timedelta(days=4), tick=False):
        assert _run_job(app, store, service_jobs.sweep_sla)["closed"] == 1
    assert _ticket(store, ticket.id).status == "closed"


def test_canned_reply_fills_in_the_shoppers_name_and_order_number(store, owner):
    member = f.member(store, name="李雷")
    order = f.order(store, "paid", member_obj=member)
    conversation = f.conversation(store, member, order.number)
    (ticket,) = _tickets_of(store, conversation.id)
    canned = f.canned_reply(store, body="{name}您好，订单{order_number}（工单{ticket_number}）已处理。—{agent}")
    html = owner.get(f"/store/{store.slug}/service/tickets/{ticket.id}/canned?canned_id={canned.id}").get_data(True)
    assert f"李雷您好，订单{order.number}（工单{ticket.number}）已处理。" in html
    with f.bound(store, request=True), pytest.raises(DomainError):
        services.save_canned(None, None, "bad", "Hello {password}", True)


def test_escalation_raises_priority_and_notes_stay_internal(store):
    conversation = f.conversation(store)
    (ticket,) = _tickets_of(store, conversation.id)
    with f.bound(store, request=True):
        t = db.session.get(Ticket, ticket.id)
        services.add_note(None, t, "VIP 顾客，优先处理")
        services.escalate_ticket(None, t, "顾客投诉")
        assert (t.status, t.priority) == ("escalated", "high")
        public = services.TICKET_STATES.history(t, public=True)
        assert "note" not in [e.action for e in public]


def test_merging_a_duplicate_closes_it_and_points_to_the_other(store):
    member = f.member(store)
    (first,) = _tickets_of(store, f.conversation(store, member).id)
    (dup,) = _tickets_of(store, f.conversation(store, member, order_number="2026120100001", body="重复的问题").id)
    with f.bound(store, request=True):
        target = services.merge_tickets(None, db.session.get(Ticket, dup.id), db.session.get(Ticket, first.id))
        assert target.id == first.id
        with pytest.raises(DomainError):
            services.merge_tickets(None, db.session.get(Ticket, first.id), db.session.get(Ticket, first.id))
    merged = _ticket(store, dup.id)
    assert (merged.status, merged.merged_into_id) == ("merged", first.id)
    assert "merged_in" in _actions(store, first.id)
    other = f.ticket(store, conversation_obj=f.conversation(store))            # another shopper's
    with f.bound(store, request=True), pytest.raises(DomainError):
        services.merge_tickets(None, db.session.get(Ticket, other.id), db.session.get(Ticket, first.id))


def test_an_aftersales_request_gets_one_ticket_and_its_closing_resolves_it(store):
    from app.blueprints.service import handlers

    member = f.member(store)
    order = f.order(store, "paid", member_obj=member)
    f.service_queue(store, skill="aftersales")
    payload = {"request_id": 7001, "number": "AS0001", "order_id": order.id, "order_number": order.number,
               "shopper_id": member.id, "kind": "refund_only", "amount": 1000}
    with f.bound(store, request=True):
        handlers.ticket_for_request(Event(1, "aftersales.requested", payload, utcnow()))
        handlers.ticket_for_request(Event(1, "aftersales.requested", payload, utcnow()))      # delivered twice
    rows = f.read(store, lambda: db.session.scalars(select(Ticket).where(Ticket.aftersales_request_id == 7001)).all())
    assert len(rows) == 1 and rows[0].source == "aftersales" and rows[0].order_number == order.number
    assert rows[0].shopper_id == member.id and rows[0].conversation_id is not None
    with f.bound(store, request=True):
        handlers.request_updated(Event(2, "aftersales.updated", {"request_id": 7001, "number": "AS0001",
                                                                 "status": "approved"}, utcnow()))
        handlers.request_closed(Event(3, "aftersales.closed", {"request_id": 7001, "number": "AS0001",
                                                               "outcome": "refunded"}, utcnow()))
    assert _ticket(store, rows[0].id).status == "resolved" and _ticket(store, rows[0].id).rateable


def test_the_shopper_rates_a_solved_ticket_of_theirs_once_on_the_shop_page(store):
    member = f.member(store)
    shopper = f.shopper_client(store, member)
    conversation = f.conversation(store, member)
    (ticket,) = _tickets_of(store, conversation.id)
    url = f"/shop/{store.slug}/service/tickets/{ticket.id}/rate"
    shopper.form(url, {"score": "4", "comment": "还行"})
    assert _ticket(store, ticket.id).csat_score is None                  # not solved yet: refused
    with f.bound(store, request=True):
        services.resolve_ticket(None, db.session.get(Ticket, ticket.id))
    assert f"rate-{ticket.id}" in shopper.get(f"/shop/{store.slug}/service/").get_data(True)
    assert shopper.form(url, {"score": "4", "comment": "还行"}).status_code == 303
    rated = _ticket(store, ticket.id)
    assert (rated.csat_score, rated.csat_comment, rated.status) == (4, "还行", "closed")
    shopper.form(url, {"score": "1"})
    assert _ticket(store, ticket.id).csat_score == 4                     # once
    stranger = f.shopper_client(store)
    assert stranger.form(url, {"score": "1"}).status_code == 404


def test_a_refused_rating_answers_on_the_page_under_the_field_and_keeps_the_comment(store):
    member = f.member(store)
    shopper = f.shopper_client(store, member)
    conversation = f.conversation(store, member)
    (ticket,) = _tickets_of(store, conversation.id)
    url = f"/shop/{store.slug}/service/tickets/{ticket.id}/rate"
    early = shopper.form(url, {"score": "4", "comment": "等了很久"})          # not solved yet
    page = early.get_data(True)
    assert early.status_code == 422 and f'id="rate-{ticket.id}-score-error"' in page
    assert "You can rate a ticket once it is solved." in page
    with f.bound(store, request=True):
        services.resolve_ticket(None, db.session.get(Ticket, ticket.id))
    bad = shopper.form(url, {"score": "9", "comment": "等了很久"})             # not one of the five
    page = bad.get_data(True)
    assert bad.status_code == 422 and f'id="rate-{ticket.id}-score-error"' in page
    assert 'value="等了很久"' in page                                          # the comment is kept
    assert _ticket(store, ticket.id).csat_score is None


def test_staff_open_a_ticket_for_a_shopper_and_bad_input_changes_nothing(store, owner):
    member = f.member(store)
    url = f"/store/{store.slug}/service/tickets/new"
    response = owner.form(url, {"subject": "", "priority": "normal", "queue_id": "0"})
    assert response.status_code == 422 and "This field is required" in response.get_data(True)
    response = owner.form(url, {"subject": "退款咨询", "priority": "high", "queue_id": "0",
                                "shopper_email": "nobody@example.com"})
    assert response.status_code == 422 and "No shopper has this email address." in response.get_data(True)
    assert f.read(store, lambda: db.session.scalar(select(Ticket.id).where(Ticket.subject == "退款咨询"))) is None
    response = owner.form(url, {"subject": "退款咨询", "priority": "high", "queue_id": "0",
                                "shopper_email": member.email.upper()})
    assert response.status_code == 303
    ticket = f.read(store, lambda: db.session.scalar(select(Ticket).where(Ticket.subject == "退款咨询")))
    assert (ticket.source, ticket.shopper_id, ticket.priority) == ("staff", member.id, "high")


def test_an_agent_going_online_on_the_dashboard_takes_the_waiting_tickets_of_their_queues(store):
    queue = f.service_queue(store)
    waiting = f.ticket(store, queue_obj=queue)
    assert waiting.assignee_id is None                                   # nobody online yet
    email = f.staff(store, "customer_service", name="值班客服").email
    agent_client = f.client("store", email, store=store)
    assert agent_client.form(f"/store/{store.slug}/service/presence", {"online": "1"}).status_code == 303
    agent = f.read(store, lambda: db.session.scalar(select(Agent).where(Agent.email == email)))
    assert agent.online and _ticket(store, waiting.id).assignee_id is None      # no queue of theirs yet
    owner = f.client("store", store=store)
    assert owner.form(f"/store/{store.slug}/service/agents/{agent.id}",
                      {"queue_ids": [str(queue.id)], "max_open": "10", "active": "y"}).status_code == 303
    agent_client.form(f"/store/{store.slug}/service/presence", {"online": "0"})
    agent_client.form(f"/store/{store.slug}/service/presence", {"online": "1"})
    assert _ticket(store, waiting.id).assignee_id == agent.id
    assert 'data-presence="online"' in agent_client.get(f"/store/{store.slug}/service/").get_data(True)
    agent_client.form(f"/store/{store.slug}/service/presence", {"online": "0"})
    assert f.read(store, lambda: db.session.get(Agent, agent.id).online) is False
    assert f.ticket(store, queue_obj=queue).assignee_id is None          # offline: new tickets wait


def _mail_bodies(app, to: str) -> list[str]:
    from app.core.mail import list_mail

    with app.app_context():
        return [m["body"] for m in list_mail() if m["to"] == to]
