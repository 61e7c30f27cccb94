"""Read side of customer service: choice lists, the inbox stamp its poll compares, what a
shopper sees of their own threads and tickets, and the dashboard figures."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import Date, cast, func, select

from app.blueprints.service.models import (ACTIVE_STATUSES, Agent, Attachment, CannedReply, Conversation, Message,
                                           Queue, Ticket)
from app.core.db import utcnow
from app.extensions import db


def queue_choices(active_only: bool = True) -> list[tuple[int, str]]:
    stmt = select(Queue.id, Queue.name).order_by(Queue.name)
    if active_only:
        stmt = stmt.where(Queue.active.is_(True))
    return [(i, n) for i, n in db.session.execute(stmt)]


def agent_choices() -> list[tuple[int, str]]:
    return [(i, n) for i, n in db.session.execute(select(Agent.id, Agent.name).where(Agent.active.is_(True))
                                                  .order_by(Agent.name))]


def canned_replies() -> list[CannedReply]:
    return db.session.scalars(select(CannedReply).where(CannedReply.active.is_(True)).order_by(CannedReply.title)).all()


def ticket(ticket_id: int, lock: bool = False) -> Ticket | None:
    if not 0 < ticket_id < 2 ** 62:
        return None
    stmt = select(Ticket).where(Ticket.id == ticket_id)
    if lock:
        stmt = stmt.with_for_update(of=Ticket).execution_options(populate_existing=True)
    return db.session.scalar(stmt)


def ticket_by_number(number: str) -> Ticket | None:
    return db.session.scalar(select(Ticket).where(Ticket.number == number.strip())) if number else None


def conversation(conversation_id: int) -> Conversation | None:
    return db.session.get(Conversation, conversation_id) if 0 < conversation_id < 2 ** 62 else None


def messages(conversation_id: int, limit: int = 200) -> list[Message]:
    """The thread's newest `limit` messages, oldest first, with their attachments (two statements)."""
    rows = db.session.scalars(select(Message).where(Message.conversation_id == conversation_id)
                              .order_by(Message.id.desc()).limit(limit)).all()
    return list(reversed(rows))


def tickets_of_conversation(conversation_id: int) -> list[Ticket]:
    return db.session.scalars(select(Ticket).where(Ticket.conversation_id == conversation_id)
                              .order_by(Ticket.id.desc())).all()


def attachment(attachment_id: int) -> Attachment | None:
    return db.session.get(Attachment, attachment_id) if 0 < attachment_id < 2 ** 62 else None


def inbox_stamp() -> str:
    """What changes whenever the inbox would look different: the newest message and the unread total
    (one indexed statement), so the inbox poll answers 'nothing new' without rendering."""
    newest, unread, n = db.session.execute(select(func.max(Conversation.last_message_at),
                                                  func.coalesce(func.sum(Conversation.staff_unread), 0),
                                                  func.count()).where(Conversation.status == "open")).one()
    return f"{newest.timestamp() if newest else 0}-{unread}-{n}"


def unread_total() -> int:
    return db.session.scalar(select(func.coalesce(func.sum(Conversation.staff_unread), 0))
                             .where(Conversation.status == "open", Conversation.staff_unread > 0))


# --- what a shopper sees (always filtered by their own id) ----------------------------------------

def shopper_conversations(shopper_id: int) -> list[Conversation]:
    return db.session.scalars(select(Conversation).where(Conversation.shopper_id == shopper_id)
                              .order_by(Conversation.last_message_at.desc()).limit(100)).all()


def shopper_conversation(shopper_id: int, order_number: str) -> Conversation | None:
    return db.session.scalar(select(Conversation).where(Conversation.shopper_id == shopper_id,
                                                        Conversation.order_number == order_number))


def shopper_tickets(shopper_id: int) -> list[Ticket]:
    return db.session.scalars(select(Ticket).where(Ticket.shopper_id == shopper_id, Ticket.status != "merged")
                              .order_by(Ticket.id.desc()).limit(100)).all()


def shopper_ticket(shopper_id: int, ticket_id: int) -> Ticket | None:
    """One of the shopper's tickets; another shopper's is None, like a missing one."""
    found = ticket(ticket_id)
    return found if found is not None and found.shopper_id == shopper_id else None


def shopper_attachment(shopper_id: int, attachment_id: int) -> Attachment | None:
    """An attachment of one of the shopper's own threads, else None."""
    found = attachment(attachment_id)
    if found is None:
        return None
    owner = db.session.scalar(select(Conversation.shopper_id).where(Conversation.id == found.conversation_id))
    return found if owner == shopper_id else None


def shopper_unread(shopper_id: int) -> int:
    return db.session.scalar(select(func.coalesce(func.sum(Conversation.shopper_unread), 0))
                             .where(Conversation.shopper_id == shopper_id))


# --- dashboard -----------------------------------------------------------------------------------------

def open_by_queue() -> list[tuple[str, int]]:
    rows = db.session.execute(select(func.coalesce(Queue.name, ""), func.count(Ticket.id))
                              .select_from(Ticket).outerjoin(Queue, Queue.id == Ticket.queue_id)
                              .where(Ticket.status.in_(ACTIVE_STATUSES)).group_by(Queue.name).order_by(Queue.name))
    return [(name, n) for name, n in rows]


def breaches_by_day(days: int = 14) -> list[tuple[str, int]]:
    """Tickets opened per day that breached an SLA clock, zero-filled, oldest first."""
    since = (utcnow() - timedelta(days=days - 1)).date()
    day = cast(Ticket.created_at, Date)
    rows = dict(db.session.execute(select(day, func.count()).where(
        day >= since, Ticket.first_response_breached | Ticket.resolution_breached).group_by(day)).all())
    return [((since + timedelta(days=i)).isoformat(), rows.get(since + timedelta(days=i), 0)) for i in range(days)]


def first_response_minutes(days: int = 14) -> list[tuple[str, int]]:
    """Median minutes to the first response of tickets opened per day."""
    since = (utcnow() - timedelta(days=days - 1)).date()
    day = cast(Ticket.created_at, Date)
    minutes = func.extract("epoch", Ticket.first_responded_at - Ticket.created_at) / 60
    rows = dict(db.session.execute(select(day, func.percentile_cont(0.5).within_group(minutes)).where(
        day >= since, Ticket.first_responded_at.is_not(None)).group_by(day)).all())
    return [((since + timedelta(days=i)).isoformat(), int(round(rows.get(since + timedelta(days=i)) or 0)))
            for i in range(days)]


def figures() -> dict:
    """The headline numbers: open, unassigned, breached now, unread messages, CSAT average (30 days)."""
    month = utcnow() - timedelta(days=30)
    open_, unassigned, breached = db.session.execute(select(
        func.count(), func.count().filter(Ticket.assignee_id.is_(None)),
        func.count().filter(Ticket.first_response_breached | Ticket.resolution_breached))
        .where(Ticket.status.in_(ACTIVE_STATUSES))).one()
    csat, rated = db.session.execute(select(func.avg(Ticket.csat_score), func.count(Ticket.csat_score))
                                     .where(Ticket.rated_at >= month)).one()
    return {"open": open_, "unassigned": unassigned, "breached": breached, "unread": unread_total(),
            "csat": round(float(csat), 2) if csat is not None else None, "rated": rated}
