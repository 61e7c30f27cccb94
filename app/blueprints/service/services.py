"""Customer service operations: tickets (open, assign, reply, note, escalate, resolve, merge,
rate), their SLA clocks, agents and presence, conversations and their messages.

Every function flushes and writes the ticket's timeline; none commits. Mail goes out after the
commit through the mail queue."""
from __future__ import annotations

import re
import uuid
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import gettext as _, lazy_gettext as _l
from sqlalchemy import func, or_, select, update

from app.blueprints.service.models import (ACTIVE_STATUSES, PRIORITIES, Agent, AgentQueue, Attachment, CannedReply,
                                           Conversation, Message, Queue, ServiceSettings, SlaPolicy, Ticket,
                                           TicketEvent)
from app.core.db import utcnow
from app.core.errors import DomainError, IllegalTransition
from app.core.statemachine import StateMachine
from app.core.tenancy import current_store
from app.extensions import db

STATUS_LABELS = {"open": _l("Open"), "pending": _l("Waiting for the shopper"), "escalated": _l("Escalated"),
                 "resolved": _l("Resolved"), "closed": _l("Closed"), "merged": _l("Merged")}
PRIORITY_LABELS = {"low": _l("Low"), "normal": _l("Normal"), "high": _l("High"), "urgent": _l("Urgent")}
SOURCE_LABELS = {"aftersales": _l("After-sales request"), "message": _l("Shopper message"), "staff": _l("Staff")}
SKILL_LABELS = {"presales": _l("Pre-sales"), "aftersales": _l("After-sales"), "logistics": _l("Logistics"),
                "general": _l("General")}
STRATEGY_LABELS = {"round_robin": _l("Round robin"), "least_loaded": _l("Least loaded online agent")}
CLOCK_LABELS = {"first_response": _l("first response"), "resolution": _l("resolution")}
ACTION_LABELS = {
    "created": _l("Ticket opened"), "assigned": _l("Assigned to %(agent)s"), "unassigned": _l("Assignment removed"),
    "replied": _l("Replied to the shopper"), "first_response": _l("First response"),
    "note": _l("Internal note"), "priority": _l("Priority set to %(priority)s"),
    "sla_warning": _l("SLA warning: %(clock)s due soon"), "sla_breached": _l("SLA breached: %(clock)s overdue"),
    "merged_in": _l("Ticket %(ticket)s merged into this one"), "merged": _l("Merged into ticket %(ticket)s"),
    "rated": _l("Rated %(score)s of 5 by the shopper"), "reopened": _l("Reopened by a shopper message"),
    "aftersales": _l("After-sales request %(number)s: %(status)s"), "queue": _l("Moved to queue %(queue)s"),
}
TRANSITIONS = {
    "open": {"pending", "escalated", "resolved", "merged"},
    "pending": {"open", "escalated", "resolved", "merged"},
    "escalated": {"open", "pending", "resolved", "merged"},
    "resolved": {"open", "closed"},
    "closed": set(),
    "merged": set(),
}
TICKET_STATES = StateMachine("ticket", TRANSITIONS, STATUS_LABELS, timeline=TicketEvent, actions=ACTION_LABELS,
                             audit_label="number", internal={"note", "sla_warning", "sla_breached", "assigned",
                                                             "unassigned"})

PRESENCE_SECONDS = 300           # an agent counts as online this long after their last page view or poll
MAX_BODY = 4000
MAX_FILES = 5
MAX_FILE_BYTES = 5 * 1024 * 1024
FILE_TYPES = {b"\x89PNG": (".png", "image/png"), b"\xff\xd8\xff": (".jpg", "image/jpeg"),
              b"GIF8": (".gif", "image/gif"), b"%PDF-": (".pdf", "application/pdf")}
VARIABLES = ("name", "order_number", "ticket_number", "agent", "store")
# the same variables by their Chinese names, so a merchant may write either
ALIASES = {"姓名": "name", "订单号": "order_number", "工单号": "ticket_number", "客服": "agent", "店铺": "store"}


class BadAttachment(DomainError):
    field = "files"


# --- settings --------------------------------------------------------------------------------

def settings() -> ServiceSettings:
    """The store's service settings (the row is made on first use)."""
    row = db.session.scalar(select(ServiceSettings).order_by(ServiceSettings.id).limit(1))
    if row is None:
        row = ServiceSettings(unread_mail_minutes=15, auto_close_days=3, alert_email="", business_days="12345",
                              business_opens=540, business_closes=1080)
        db.session.add(row)
        db.session.flush()
    return row


def save_settings(actor, values: dict) -> ServiceSettings:
    row = settings()
    for key in ("message_queue_id", "order_queue_id", "aftersales_queue_id"):
        value = values.get(key) or None
        if value is not None and db.session.get(Queue, value) is None:
            raise DomainError(_("Choose a queue from the list."), field=key)
        setattr(row, key, value)
    row.unread_mail_minutes = values["unread_mail_minutes"]
    row.auto_close_days = values["auto_close_days"]
    row.alert_email = (values.get("alert_email") or "").strip()
    if "business_days" in values:
        days = sorted({int(d) for d in values.get("business_days") or []})
        if not days or not all(1 <= d <= 7 for d in days):
            raise DomainError(_("Choose at least one day of service."), field="business_days")
        opens, closes = values["business_opens"], values["business_closes"]
        if not (0 <= opens < closes <= 1440):
            raise DomainError(_("Service closes after it opens, on the same day."), field="business_closes")
        row.business_days, row.business_opens, row.business_closes = "".join(map(str, days)), opens, closes
    db.session.flush()
    _audit(actor, "service.settings_changed", row, "service settings")
    return row


def _audit(actor, action: str, obj, label: str) -> None:
    if getattr(actor, "realm", None) == "store":
        from app.core import audit

        audit.record(actor, action, obj, label=label)


# --- queues, SLA policies, canned replies ------------------------------------------------------

def save_queue(actor, queue: Queue | None, name: str, skill: str, strategy: str, active: bool) -> Queue:
    name = name.strip()
    clash = db.session.scalar(select(Queue.id).where(func.lower(Queue.name) == name.lower()))
    if clash is not None and (queue is None or clash != queue.id):
        raise DomainError(_("A queue with this name exists already."), field="name")
    if queue is None:
        queue = Queue()
        db.session.add(queue)
    queue.name, queue.skill, queue.strategy, queue.active = name, skill, strategy, active
    db.session.flush()
    _audit(actor, "service.queue_saved", queue, name)
    return queue


def save_policy(actor, policy: SlaPolicy | None, values: dict) -> SlaPolicy:
    queue_id = values.get("queue_id") or None
    if queue_id is not None and db.session.get(Queue, queue_id) is None:
        raise DomainError(_("Choose a queue from the list."), field="queue_id")
    clash = db.session.scalar(select(SlaPolicy.id).where(SlaPolicy.priority == values["priority"],
                                                         func.coalesce(SlaPolicy.queue_id, 0) == (queue_id or 0)))
    if clash is not None and (policy is None or clash != policy.id):
        raise DomainError(_("Another policy covers this priority already."), field="priority")
    if values["warn_minutes"] >= min(values["first_response_minutes"], values["resolution_minutes"]):
        raise DomainError(_("The warning must come before the first deadline."), field="warn_minutes")
    if values["resolution_minutes"] < values["first_response_minutes"]:
        raise DomainError(_("Resolution cannot be due before the first response."), field="resolution_minutes")
    if policy is None:
        policy = SlaPolicy()
        db.session.add(policy)
    for key in ("name", "priority", "first_response_minutes", "resolution_minutes", "warn_minutes", "active"):
        setattr(policy, key, values[key])
    policy.business_hours = bool(values.get("business_hours"))
    policy.queue_id = queue_id
    db.session.flush()
    _audit(actor, "service.sla_saved", policy, policy.name)
    return policy


def save_canned(actor, reply: CannedReply | None, title: str, body: str, active: bool) -> CannedReply:
    title = title.strip()
    unknown = sorted(set(re.findall(r"\{(\w+)\}", body)) - set(VARIABLES) - set(ALIASES))
    if unknown:
        raise DomainError(_("Unknown variables: %(names)s. Use %(known)s.", names=", ".join(unknown),
                            known=str(_("{name}, {order_number}, {ticket_number}, {agent} or {store}"))),
                          field="body")
    clash = db.session.scalar(select(CannedReply.id).where(func.lower(CannedReply.title) == title.lower()))
    if clash is not None and (reply is None or clash != reply.id):
        raise DomainError(_("A canned reply with this title exists already."), field="title")
    if reply is None:
        reply = CannedReply()
        db.session.add(reply)
    reply.title, reply.body, reply.active = title, body, active
    db.session.flush()
    _audit(actor, "service.canned_saved", reply, title)
    return reply


def fill_canned(body: str, ticket: Ticket | None, agent_name: str = "") -> str:
    """The canned reply with its variables filled in (unknown ones stay as written)."""
    values = {"name": ticket.shopper_name if ticket else "", "order_number": ticket.order_number if ticket else "",
              "ticket_number": ticket.number if ticket else "", "agent": agent_name, "store": current_store().name}
    return re.sub(r"\{(\w+)\}", lambda m: str(values.get(ALIASES.get(m.group(1), m.group(1)), m.group(0))), body)


# --- agents and presence -----------------------------------------------------------------------

def _presence_key() -> str:
    return f"service:presence:{current_store().id}"


def touch_presence(staff_id: int) -> None:
    """The agent was here just now (a service page or the inbox poll): Redis, not the database,
    so reading pages never writes rows. Moves with the app's clock."""
    from app.core.redisconn import get_redis

    try:
        get_redis().zadd(_presence_key(), {str(staff_id): utcnow().timestamp()})
    except Exception:   # presence is a hint; a Redis outage must not break the page
        current_app.logger.warning("presence not recorded")


def present_staff_ids() -> set[int]:
    """Staff seen within PRESENCE_SECONDS."""
    from app.core.redisconn import get_redis

    since = utcnow().timestamp() - PRESENCE_SECONDS
    try:
        return {int(m) for m in get_redis().zrangebyscore(_presence_key(), since, "+inf")}
    except Exception:
        return set()


def agent_for_staff(staff_id: int) -> Agent | None:
    return db.session.scalar(select(Agent).where(Agent.staff_id == staff_id))


def ensure_agent(staff) -> Agent:
    """The agent row of a staff member (made the first time they take part)."""
    agent = agent_for_staff(staff.id)
    if agent is None:
        agent = Agent(staff_id=staff.id, name=staff.name or staff.email, email=staff.email, online=False, active=True,
                      max_open=20)
        db.session.add(agent)
        db.session.flush()
    return agent


def set_online(staff, online: bool) -> Agent:
    """The agent's presence switch; going online hands them waiting tickets of their queues."""
    agent = ensure_agent(staff)
    agent.online = online
    db.session.flush()
    if online:
        touch_presence(staff.id)
        assign_waiting()
    return agent


def save_agent(actor, agent: Agent, queue_ids: list[int], max_open: int, active: bool) -> Agent:
    queues = db.session.scalars(select(Queue).where(Queue.id.in_(queue_ids))).all() if queue_ids else []
    if len(queues) != len(set(queue_ids)):
        raise DomainError(_("Choose queues from the list."), field="queue_ids")
    agent.queues = list(queues)
    agent.max_open, agent.active = max_open, active
    db.session.flush()
    _audit(actor, "service.agent_saved", agent, agent.name)
    return agent


def add_agent(actor, staff) -> Agent:
    if agent_for_staff(staff.id) is not None:
        raise DomainError(_("%(name)s is an agent already.", name=staff.name or staff.email), field="staff_id")
    return ensure_agent(staff)


def online_agents(queue_id: int) -> list[Agent]:
    """The agents who can take a ticket of the queue now: active, in the queue, switched online
    and seen within PRESENCE_SECONDS."""
    present = present_staff_ids()
    if not present:
        return []
    return db.session.scalars(
        select(Agent).join(AgentQueue, AgentQueue.agent_id == Agent.id)
        .where(AgentQueue.queue_id == queue_id, Agent.active.is_(True), Agent.online.is_(True),
               Agent.staff_id.in_(present)).order_by(Agent.id)).all()


def loads(agent_ids) -> dict[int, int]:
    """Active tickets per agent."""
    if not agent_ids:
        return {}
    rows = db.session.execute(select(Ticket.assignee_id, func.count()).where(
        Ticket.assignee_id.in_(list(agent_ids)), Ticket.status.in_(ACTIVE_STATUSES)).group_by(Ticket.assignee_id))
    return {agent_id: n for agent_id, n in rows}


def auto_assign(ticket: Ticket) -> Agent | None:
    """Give the ticket to an online agent of its queue, by the queue's strategy: round robin
    (the next agent after the last one served, by id) or the least loaded (fewest active
    tickets, then the one who waited longest). Agents at their limit are passed over. The
    queue row is locked, so concurrent tickets of one queue are handed out one after another."""
    if ticket.queue_id is None or ticket.assignee_id is not None or not ticket.active:
        return None
    queue = db.session.scalar(select(Queue).where(Queue.id == ticket.queue_id).with_for_update()
                              .execution_options(populate_existing=True))
    if queue is None or not queue.active:
        return None
    candidates = online_agents(queue.id)
    load = loads([a.id for a in candidates])
    candidates = [a for a in candidates if load.get(a.id, 0) < a.max_open]
    if not candidates:
        return None
    if queue.strategy == "round_robin":
        after = [a for a in candidates if queue.last_agent_id is not None and a.id > queue.last_agent_id]
        agent = (after or candidates)[0]
    else:
        epoch = datetime.min.replace(tzinfo=utcnow().tzinfo)
        agent = min(candidates, key=lambda a: (load.get(a.id, 0), a.last_assigned_at or epoch, a.id))
    _give(None, ticket, agent)
    queue.last_agent_id = agent.id
    db.session.flush()
    return agent


def _give(actor, ticket: Ticket, agent: Agent | None) -> None:
    ticket.assignee_id = agent.id if agent else None
    ticket.assignee = agent
    if agent is not None:
        agent.last_assigned_at = utcnow()
        TICKET_STATES.record(ticket, actor, "assigned", agent=agent.name)
    else:
        TICKET_STATES.record(ticket, actor, "unassigned")
    db.session.flush()


def assign_ticket(actor, ticket: Ticket, agent_id: int | None) -> Ticket:
    """Staff hand a ticket to an agent (or take it off them)."""
    if not ticket.active:
        raise IllegalTransition(_("Only open tickets can be assigned."))
    agent = db.session.get(Agent, agent_id) if agent_id else None
    if agent_id and (agent is None or not agent.active):
        raise DomainError(_("Choose an agent from the list."), field="agent_id")
    if (agent.id if agent else None) != ticket.assignee_id:
        _give(actor, ticket, agent)
    return ticket


def assign_waiting(limit: int = 200) -> int:
    """Unassigned active tickets go to the agents online now (oldest first)."""
    waiting = db.session.scalars(select(Ticket).where(Ticket.assignee_id.is_(None), Ticket.queue_id.is_not(None),
                                                      Ticket.status.in_(ACTIVE_STATUSES))
                                 .order_by(Ticket.id).limit(limit)).all()
    return sum(1 for t in waiting if auto_assign(t) is not None)


# --- tickets -------------------------------------------------------------------------------------

def _queue_for(kind: str) -> int | None:
    """The queue for new tickets of `kind` ("message", "order", "aftersales"): the settings' choice,
    else the first active queue with the matching skill, else any active queue."""
    row = settings()
    chosen = {"message": row.message_queue_id, "order": row.order_queue_id,
              "aftersales": row.aftersales_queue_id}.get(kind)
    if chosen:
        return chosen
    skill = {"message": "presales", "order": "logistics", "aftersales": "aftersales"}.get(kind, "general")
    active = db.session.execute(select(Queue.id, Queue.skill).where(Queue.active.is_(True)).order_by(Queue.id)).all()
    for wanted in (skill, "general"):
        for queue_id, queue_skill in active:
            if queue_skill == wanted:
                return queue_id
    return active[0][0] if active else None


def apply_sla(ticket: Ticket) -> None:
    """Set the ticket's deadlines from the active policy of its priority (its queue's own, else the
    one for all queues), counted from its opening."""
    scope = SlaPolicy.queue_id.is_(None) if ticket.queue_id is None else \
        or_(SlaPolicy.queue_id.is_(None), SlaPolicy.queue_id == ticket.queue_id)
    policy = db.session.scalar(select(SlaPolicy).where(SlaPolicy.priority == ticket.priority, scope,
                                                       SlaPolicy.active.is_(True))
                               .order_by(SlaPolicy.queue_id.asc().nulls_last()).limit(1))
    start = ticket.created_at or utcnow()
    if policy is None:
        ticket.first_response_due_at = ticket.resolution_due_at = None
        ticket.warn_minutes = 0
        return
    if policy.business_hours:
        hours = settings()
        days = {int(d) for d in hours.business_days if d.isdigit()}
        tz = ZoneInfo(current_store().timezone or "Asia/Shanghai")
        ticket.first_response_due_at = business_deadline(start, policy.first_response_minutes, days,
                                                         hours.business_opens, hours.business_closes, tz)
        ticket.resolution_due_at = business_deadline(start, policy.resolution_minutes, days, hours.business_opens,
                                                     hours.business_closes, tz)
    else:
        ticket.first_response_due_at = start + timedelta(minutes=policy.first_response_minutes)
        ticket.resolution_due_at = start + timedelta(minutes=policy.resolution_minutes)
    ticket.warn_minutes = policy.warn_minutes
    now = utcnow()
    if ticket.first_response_due_at - timedelta(minutes=policy.warn_minutes) > now:
        ticket.first_response_warned = False
    if ticket.resolution_due_at - timedelta(minutes=policy.warn_minutes) > now:
        ticket.resolution_warned = False


def business_deadline(start: datetime, minutes: int, days: set[int], opens: int, closes: int,
                      tz: ZoneInfo) -> datetime:
    """`minutes` of service hours after `start`: only the time between `opens` and `closes`
    (minutes after local midnight in `tz`) on ISO week days `days` counts, so a ticket opened on
    Friday evening with a 60-minute policy is due an hour after Monday's opening. No service
    day at all: calendar minutes."""
    if not days or closes <= opens:
        return start + timedelta(minutes=minutes)
    left = timedelta(minutes=minutes)
    cursor = start.astimezone(tz)
    for _day in range(minutes // max(1, closes - opens) * 7 // max(1, len(days)) + 15):
        midnight = cursor.replace(hour=0, minute=0, second=0, microsecond=0)
        day_open, day_close = midnight + timedelta(minutes=opens), midnight + timedelta(minutes=closes)
        if cursor.isoweekday() in days and cursor < day_close:
            begin = max(cursor, day_open)
            if begin + left <= day_close:
                return (begin + left).astimezone(timezone.utc)
            left -= day_close - begin
        cursor = (midnight + timedelta(days=1, hours=3)).replace(hour=0)   # the next local day
    raise AssertionError("business_deadline ran past its bound")


def open_ticket(actor, *, subject: str, source: str = "staff", priority: str = "normal", queue_id: int | None = None,
                conversation: Conversation | None = None, shopper_id: int | None = None, shopper_name: str = "",
                order_number: str = "", aftersales_request_id: int | None = None, aftersales_number: str = "",
                note: str = "") -> Ticket:
    """A new ticket in its queue, with its SLA deadlines, handed to an online agent when one is free."""
    if priority not in PRIORITIES:
        raise DomainError(_("Choose a priority from the list."), field="priority")
    subject = (subject or "").strip()[:200]
    if not subject:
        raise DomainError(_("Give the ticket a subject."), field="subject")
    if queue_id is not None and db.session.get(Queue, queue_id) is None:
        raise DomainError(_("Choose a queue from the list."), field="queue_id")
    if conversation is not None:
        shopper_id, shopper_name = conversation.shopper_id, conversation.shopper_name
        order_number = order_number or conversation.order_number
    ticket = Ticket(number=f"~{uuid.uuid4().hex[:23]}", subject=subject, source=source, status="open",
                    priority=priority, queue_id=queue_id, conversation_id=conversation.id if conversation else None,
                    shopper_id=shopper_id, shopper_name=shopper_name or "", order_number=order_number or "",
                    aftersales_request_id=aftersales_request_id, aftersales_number=aftersales_number or "",
                    created_at=utcnow())
    db.session.add(ticket)
    db.session.flush()
    ticket.number = f"T{ticket.created_at:%y%m%d}{ticket.id:05d}"
    apply_sla(ticket)
    TICKET_STATES.start(ticket, actor, note, source=source)
    db.session.flush()
    auto_assign(ticket)
    return ticket


def open_staff_ticket(actor, subject: str, priority: str, queue_id: int | None, shopper_email: str = "",
                      order_number: str = "", note: str = "") -> Ticket:
    """A ticket staff open themselves; naming a shopper links it to their thread (so replies reach them)."""
    conversation = None
    if shopper_email.strip():
        from app.blueprints.members import services as members

        member = members.member_by_email(shopper_email)
        if member is None:
            raise DomainError(_("No shopper has this email address."), field="shopper_email")
        conversation = conversation_for(member.id, order_number.strip(), member.name, member.email)
    return open_ticket(actor, subject=subject, source="staff", priority=priority, queue_id=queue_id,
                       conversation=conversation, order_number=order_number.strip(), note=note)


def _move(actor, ticket: Ticket, target: str, reason: str = "", **data):
    TICKET_STATES.move(ticket, target, actor, reason, **data)
    now = utcnow()
    if target == "resolved":
        ticket.resolved_at = now
    elif target == "closed":
        ticket.closed_at = now
    elif target == "open" and ticket.resolved_at is not None:
        ticket.resolved_at = None
    db.session.flush()
    return ticket


def set_pending(actor, ticket: Ticket, reason: str = "") -> Ticket:
    return _move(actor, ticket, "pending", reason)


def reopen_ticket(actor, ticket: Ticket, reason: str = "") -> Ticket:
    return _move(actor, ticket, "open", reason)


def resolve_ticket(actor, ticket: Ticket, reason: str = "") -> Ticket:
    """Solved: the resolution clock stops and the shopper is offered a rating."""
    return _move(actor, ticket, "resolved", reason)


def close_ticket(actor, ticket: Ticket, reason: str = "") -> Ticket:
    return _move(actor, ticket, "closed", reason)


def escalate_ticket(actor, ticket: Ticket, reason: str = "") -> Ticket:
    """Escalated: one priority up (its SLA follows) and an alert to the store's alert address."""
    _move(actor, ticket, "escalated", reason)
    index = PRIORITIES.index(ticket.priority)
    if index < len(PRIORITIES) - 1:
        ticket.priority = PRIORITIES[index + 1]
        TICKET_STATES.record(ticket, actor, "priority", priority=ticket.priority)
        apply_sla(ticket)
    _alert(ticket, _("Ticket %(number)s was escalated", number=ticket.number),
           _("Ticket %(number)s (%(subject)s) was escalated: %(reason)s", number=ticket.number,
             subject=ticket.subject, reason=reason or "-"), include_alert_address=True)
    db.session.flush()
    return ticket


def set_priority(actor, ticket: Ticket, priority: str) -> Ticket:
    if priority not in PRIORITIES:
        raise DomainError(_("Choose a priority from the list."), field="priority")
    if not ticket.active:
        raise IllegalTransition(_("Only open tickets change priority."))
    if priority != ticket.priority:
        ticket.priority = priority
        apply_sla(ticket)
        TICKET_STATES.record(ticket, actor, "priority", priority=priority)
        db.session.flush()
    return ticket


def move_to_queue(actor, ticket: Ticket, queue_id: int) -> Ticket:
    queue = db.session.get(Queue, queue_id)
    if queue is None:
        raise DomainError(_("Choose a queue from the list."), field="queue_id")
    if not ticket.active:
        raise IllegalTransition(_("Only open tickets move between queues."))
    if queue.id != ticket.queue_id:
        ticket.queue_id, ticket.queue = queue.id, queue
        TICKET_STATES.record(ticket, actor, "queue", queue=queue.name)
        if ticket.assignee_id is not None and queue not in (ticket.assignee.queues if ticket.assignee else []):
            _give(actor, ticket, None)
        db.session.flush()
        auto_assign(ticket)
    return ticket


def add_note(actor, ticket: Ticket, body: str) -> TicketEvent:
    """An internal note: on the ticket's timeline, never shown to the shopper."""
    body = (body or "").strip()
    if not body:
        raise DomainError(_("Write the note first."), field="note")
    if len(body) > 500:
        raise DomainError(_("A note has at most 500 characters."), field="note")
    entry = TICKET_STATES.record(ticket, actor, "note", body)
    db.session.flush()
    return entry


def reply_ticket(actor, ticket: Ticket, body: str, files=()) -> Message:
    """The agent's answer, posted into the ticket's thread with the shopper."""
    if ticket.conversation_id is None:
        raise DomainError(_("This ticket has no shopper to answer; add a note instead."), field="body")
    if ticket.closed:
        raise IllegalTransition(_("This ticket is closed; the shopper's next message opens a new one."))
    conversation = db.session.get(Conversation, ticket.conversation_id)
    return post_message(conversation, "staff", actor, body, files, ticket=ticket)


def merge_tickets(actor, source: Ticket, target: Ticket, reason: str = "") -> Ticket:
    """`source` is a duplicate of `target`: it is closed as merged and points to `target`; both
    timelines say so. Only tickets of the same shopper merge."""
    if source.id == target.id:
        raise DomainError(_("A ticket cannot be merged into itself."), field="target")
    if target.closed:
        raise DomainError(_("Ticket %(number)s is closed; merge into an open one.", number=target.number),
                          field="target")
    if source.shopper_id != target.shopper_id:
        raise DomainError(_("Only tickets of the same shopper can be merged."), field="target")
    TICKET_STATES.move(source, "merged", actor, reason, ticket=target.number)
    source.merged_into_id = target.id
    source.closed_at = utcnow()
    TICKET_STATES.record(target, actor, "merged_in", reason, ticket=source.number)
    if target.aftersales_request_id is None and source.aftersales_request_id is not None:
        target.aftersales_request_id, target.aftersales_number = source.aftersales_request_id, source.aftersales_number
        source.aftersales_request_id = None
    if source.conversation_id is not None and target.conversation_id is None:
        target.conversation_id = source.conversation_id
    db.session.flush()
    return target


def rate_ticket(shopper_id: int, ticket: Ticket, score: int, comment: str = "") -> Ticket:
    """The shopper's satisfaction rating (1-5) of a solved ticket of theirs, once; closes it."""
    if ticket.shopper_id != shopper_id:
        raise DomainError(_("This ticket is not yours."))
    if ticket.csat_score is not None:
        raise DomainError(_("You have rated this already. Thank you!"), field="score")
    if ticket.status not in ("resolved", "closed"):
        raise DomainError(_("You can rate a ticket once it is solved."), field="score")
    if score not in (1, 2, 3, 4, 5):
        raise DomainError(_("Choose 1 to 5 stars."), field="score")
    ticket.csat_score, ticket.csat_comment, ticket.rated_at = score, (comment or "").strip()[:500], utcnow()
    actor = ticket.shopper_name or "shopper"
    TICKET_STATES.record(ticket, actor, "rated", ticket.csat_comment, score=score)
    if ticket.status == "resolved":
        _move(actor, ticket, "closed")
    db.session.flush()
    return ticket


# --- conversations and messages ---------------------------------------------------------------------

def conversation_for(shopper_id: int, order_number: str, shopper_name: str = "", shopper_email: str = "",
                     create: bool = True) -> Conversation | None:
    """The shopper's thread about one order ('' = the general thread), made on first use."""
    found = db.session.scalar(select(Conversation).where(Conversation.shopper_id == shopper_id,
                                                         Conversation.order_number == order_number))
    if found is None and create:
        from sqlalchemy.dialects.postgresql import insert

        db.session.execute(insert(Conversation).values(
            shopper_id=shopper_id, order_number=order_number, shopper_name=shopper_name[:120],
            shopper_email=shopper_email[:254], status="open", last_message_at=utcnow(), last_message_preview="",
            last_author="shopper", staff_unread=0, shopper_unread=0, created_at=utcnow())
            .on_conflict_do_nothing(index_elements=["shopper_id", "order_number"]))
        found = db.session.scalar(select(Conversation).where(Conversation.shopper_id == shopper_id,
                                                             Conversation.order_number == order_number))
    return found


def file_type(data: bytes) -> tuple[str, str]:
    """(suffix, content type) of an attachment by its first bytes: images (PNG, JPEG, GIF) and PDF."""
    if len(data) > MAX_FILE_BYTES:
        raise BadAttachment(_("A file may be at most %(mb)d MB.", mb=MAX_FILE_BYTES // (1024 * 1024)))
    if not data:
        raise BadAttachment(_("The file is empty."))
    for magic, found in FILE_TYPES.items():
        if data.startswith(magic):
            return found
    raise BadAttachment(_("Attach images (PNG, JPEG, GIF) or PDF files only."))


def active_ticket(conversation_id: int) -> Ticket | None:
    """The newest ticket of the thread still being worked on (or solved, so a reply reopens it)."""
    return db.session.scalar(select(Ticket).where(Ticket.conversation_id == conversation_id,
                                                  Ticket.status.in_((*ACTIVE_STATUSES, "resolved")))
                             .order_by(Ticket.id.desc()).limit(1))


def post_message(conversation: Conversation, author: str, actor, body: str, files=(), ticket: Ticket | None = None
                 ) -> Message:
    """A message in the thread, with its files (type and size checked). The other side's unread
    count goes up in the same statement. A shopper's message lands on the thread's ticket (opening
    one, or reopening a solved one); an agent's first answer stops the first-response clock."""
    body = (body or "").strip()
    files = [(name, data) for name, data in files if data]
    if not body and not files:
        raise DomainError(_("Write a message or attach a file."), field="body")
    if len(body) > MAX_BODY:
        raise DomainError(_("A message has at most %(n)d characters.", n=MAX_BODY), field="body")
    if len(files) > MAX_FILES:
        raise BadAttachment(_("Attach at most %(n)d files.", n=MAX_FILES))
    checked = [(name, data, *file_type(data)) for name, data in files]
    now = utcnow()
    message = Message(conversation_id=conversation.id, author=author, body=body, created_at=now,
                      author_name=(getattr(actor, "name", "") or getattr(actor, "email", "") or "")[:254],
                      staff_id=actor.id if author == "staff" and actor is not None else None)
    db.session.add(message)
    db.session.flush()
    if checked:
        from app.core.storage import get_storage

        storage = get_storage()
        for name, data, suffix, content_type in checked:
            key = storage.save("service", data, suffix)
            db.session.add(Attachment(message_id=message.id, conversation_id=conversation.id, key=key,
                                      filename=(name or f"file{suffix}")[-200:], content_type=content_type,
                                      size=len(data)))
    preview = (body or ", ".join(name or "" for name, *_rest in checked))[:200]
    side = "staff" if author == "shopper" else "shopper"
    unread, since = getattr(Conversation, f"{side}_unread"), getattr(Conversation, f"{side}_unread_since")
    db.session.execute(update(Conversation).where(Conversation.id == conversation.id).values(
        {unread: unread + 1, since: func.coalesce(since, now), Conversation.last_message_at: now,
         Conversation.last_message_preview: preview, Conversation.last_author: author,
         Conversation.status: "open"}).execution_options(synchronize_session=False))
    db.session.expire(conversation)
    if author == "shopper":
        _shopper_wrote(conversation, actor)
    elif author == "staff":
        ticket = ticket or active_ticket(conversation.id)
        if ticket is not None and ticket.active:
            if ticket.first_responded_at is None:
                ticket.first_responded_at = now
                TICKET_STATES.record(ticket, actor, "first_response")
            else:
                TICKET_STATES.record(ticket, actor, "replied")
    db.session.flush()
    return message


def _shopper_wrote(conversation: Conversation, actor) -> None:
    ticket = active_ticket(conversation.id)
    who = getattr(actor, "name", "") or "shopper"
    if ticket is None:
        with _store_language():
            subject = (_("Question about order %(number)s", number=conversation.order_number)
                       if conversation.order_number else _("Question from %(name)s", name=conversation.shopper_name))
        open_ticket(who, subject=subject, source="message", conversation=conversation,
                    queue_id=_queue_for("order" if conversation.order_number else "message"))
    elif ticket.status == "pending":
        _move(who, ticket, "open", _("the shopper answered"))
    elif ticket.status == "resolved":
        _move(who, ticket, "open", _("the shopper wrote again"), action="reopened")
        auto_assign(ticket)


def mark_read(conversation: Conversation, side: str) -> None:
    """`side` ("staff" or "shopper") has read the thread: its unread count and mail clock reset."""
    values = {"staff": {Conversation.staff_unread: 0, Conversation.staff_unread_since: None,
                        Conversation.staff_mailed_at: None},
              "shopper": {Conversation.shopper_unread: 0, Conversation.shopper_unread_since: None,
                          Conversation.shopper_mailed_at: None}}[side]
    unread = Conversation.staff_unread if side == "staff" else Conversation.shopper_unread
    db.session.execute(update(Conversation).where(Conversation.id == conversation.id, unread > 0).values(values)
                       .execution_options(synchronize_session=False))
    db.session.expire(conversation)


# --- periodic work -------------------------------------------------------------------------------------

def _alert(ticket: Ticket, subject: str, body: str, include_alert_address: bool = False) -> int:
    """Mail the assignee (and the store's alert address when asked, or when nobody is assigned)."""
    from app.core.mail import queue_mail

    to = set()
    if ticket.assignee is not None and ticket.assignee.email:
        to.add(ticket.assignee.email)
    address = settings().alert_email
    if address and (include_alert_address or not to):
        to.add(address)
    for email in sorted(to):
        queue_mail(email, subject, body)
    return len(to)


def sweep_sla(now: datetime | None = None) -> dict:
    """Warn before and alert on SLA breaches of active tickets (each once per clock), escalate
    breached tickets, and close resolved tickets after the store's days. Returns counts."""
    now = now or utcnow()
    warn = func.make_interval(0, 0, 0, 0, 0, Ticket.warn_minutes)
    first_open = Ticket.first_responded_at.is_(None) & Ticket.first_response_due_at.is_not(None) \
        & Ticket.first_response_breached.is_(False) & (Ticket.first_response_due_at - warn <= now)
    resolution_open = Ticket.resolution_due_at.is_not(None) & Ticket.resolution_breached.is_(False) \
        & (Ticket.resolution_due_at - warn <= now)
    due = db.session.scalars(select(Ticket).where(Ticket.status.in_(ACTIVE_STATUSES), or_(first_open, resolution_open))
                             .order_by(Ticket.id).with_for_update(skip_locked=True, of=Ticket)).unique().all()
    counts = {"warned": 0, "breached": 0, "closed": 0}
    for ticket in due:
        for clock in ("first_response", "resolution"):
            if clock == "first_response" and ticket.first_responded_at is not None:
                continue
            deadline = getattr(ticket, f"{clock}_due_at")
            if deadline is None or getattr(ticket, f"{clock}_breached"):
                continue
            label = str(CLOCK_LABELS[clock])
            if deadline <= now:
                setattr(ticket, f"{clock}_breached", True)
                setattr(ticket, f"{clock}_warned", True)
                TICKET_STATES.record(ticket, "system", "sla_breached", clock=clock)
                counts["breached"] += 1
                _alert(ticket, _("SLA breached: ticket %(number)s", number=ticket.number),
                       _("The %(clock)s of ticket %(number)s (%(subject)s) was due at %(due)s UTC.", clock=label,
                         number=ticket.number, subject=ticket.subject, due=f"{deadline:%Y-%m-%d %H:%M}"),
                       include_alert_address=True)
                if TICKET_STATES.can(ticket, "escalated"):
                    escalate_ticket("system", ticket, _("SLA breached: %(clock)s", clock=label))
            elif not getattr(ticket, f"{clock}_warned") and deadline - timedelta(minutes=ticket.warn_minutes) <= now:
                setattr(ticket, f"{clock}_warned", True)
                TICKET_STATES.record(ticket, "system", "sla_warning", clock=clock)
                counts["warned"] += 1
                _alert(ticket, _("SLA warning: ticket %(number)s", number=ticket.number),
                       _("The %(clock)s of ticket %(number)s (%(subject)s) is due at %(due)s UTC.", clock=label,
                         number=ticket.number, subject=ticket.subject, due=f"{deadline:%Y-%m-%d %H:%M}"))
    days = settings().auto_close_days
    stale = db.session.scalars(select(Ticket).where(Ticket.status == "resolved",
                                                    Ticket.resolved_at <= now - timedelta(days=days))
                               .with_for_update(skip_locked=True, of=Ticket)).all()
    for ticket in stale:
        _move("system", ticket, "closed", _("closed automatically after %(n)d days", n=days))
        counts["closed"] += 1
    db.session.flush()
    return counts


def _link(path: str) -> str:
    base = (current_app.config.get("PUBLIC_URL") or "").rstrip("/")
    return f"{base}{path}"


def notify_unread(now: datetime | None = None) -> int:
    """Mail the side that has not read a thread within the store's minutes, once per unread streak:
    the shopper (their address) or the agent of the thread's ticket (else the alert address)."""
    from app.core.mail import queue_mail

    now = now or utcnow()
    row = settings()
    cutoff = now - timedelta(minutes=row.unread_mail_minutes)
    store = current_store()
    sent = 0
    shoppers = db.session.scalars(select(Conversation).where(
        Conversation.shopper_unread > 0, Conversation.shopper_unread_since <= cutoff,
        Conversation.shopper_mailed_at.is_(None)).with_for_update(skip_locked=True).limit(500)).all()
    for c in shoppers:
        c.shopper_mailed_at = now
        if c.shopper_email:
            path = f"/shop/{store.slug}/service/orders/{c.order_number}" if c.order_number \
                else f"/shop/{store.slug}/service/messages"
            queue_mail(c.shopper_email, _("%(store)s answered your message", store=store.name),
                       _("You have %(n)d unread message(s) from %(store)s:\n\n%(preview)s\n\nRead and answer: %(link)s",
                         n=c.shopper_unread, store=store.name, preview=c.last_message_preview, link=_link(path)))
            sent += 1
    staff = db.session.scalars(select(Conversation).where(
        Conversation.staff_unread > 0, Conversation.staff_unread_since <= cutoff,
        Conversation.staff_mailed_at.is_(None)).with_for_update(skip_locked=True).limit(500)).all()
    for c in staff:
        c.staff_mailed_at = now
        ticket = active_ticket(c.id)
        email = (ticket.assignee.email if ticket is not None and ticket.assignee is not None else "") or row.alert_email
        if email:
            queue_mail(email, _("Unread message from %(name)s", name=c.shopper_name or c.shopper_email),
                       _("%(name)s wrote %(n)d message(s) nobody has read for %(minutes)d minutes:\n\n%(preview)s\n\n"
                         "Open the thread: %(link)s", name=c.shopper_name or c.shopper_email, n=c.staff_unread,
                         minutes=row.unread_mail_minutes, preview=c.last_message_preview,
                         link=_link(f"/store/{store.slug}/service/conversations/{c.id}")))
            sent += 1
    db.session.flush()
    return sent


# --- after-sales ---------------------------------------------------------------------------------------------

def ticket_for_request(payload: dict) -> Ticket:
    """One ticket per after-sales request (however often the event comes), on the shopper's thread
    about the order, in the after-sales queue."""
    request_id = int(payload["request_id"])
    found = db.session.scalar(select(Ticket).where(Ticket.aftersales_request_id == request_id))
    if found is not None:
        return found
    shopper_id = payload.get("shopper_id")
    conversation = None
    if shopper_id:
        name, email = _shopper_contact(int(shopper_id))
        conversation = conversation_for(int(shopper_id), payload.get("order_number") or "", name, email)
    with _store_language():
        subject = _("After-sales request %(number)s for order %(order)s", number=payload.get("number", ""),
                    order=payload.get("order_number", ""))
    return open_ticket("system", subject=subject,
                       source="aftersales", conversation=conversation, shopper_id=shopper_id,
                       order_number=payload.get("order_number") or "", aftersales_request_id=request_id,
                       aftersales_number=payload.get("number") or "", queue_id=_queue_for("aftersales"))


def _store_language():
    """Subjects the system writes are stored in the store's language (staff read them later, whoever
    or whatever caused them: a shopper browsing in English, a job)."""
    from flask_babel import force_locale

    return force_locale(current_store().default_locale)


def _shopper_contact(shopper_id: int) -> tuple[str, str]:
    from app.blueprints.members import services as members

    member = members.member(shopper_id)
    return (member.name, member.email) if member is not None else ("", "")


def request_updated(payload: dict) -> Ticket | None:
    ticket = db.session.scalar(select(Ticket).where(Ticket.aftersales_request_id == int(payload["request_id"])))
    if ticket is not None:
        TICKET_STATES.record(ticket, "system", "aftersales", number=payload.get("number", ""),
                             status=str(payload.get("status", "")))
        db.session.flush()
    return ticket


def request_closed(payload: dict) -> Ticket | None:
    """The after-sales request is over: its ticket is resolved (the shopper may rate it)."""
    ticket = db.session.scalar(select(Ticket).where(Ticket.aftersales_request_id == int(payload["request_id"]))
                               .with_for_update(of=Ticket))
    if ticket is not None and TICKET_STATES.can(ticket, "resolved"):
        _move("system", ticket, "resolved", _("after-sales request %(number)s closed: %(outcome)s",
                                              number=payload.get("number", ""), outcome=payload.get("outcome", "")))
    return ticket
