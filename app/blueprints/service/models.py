"""Customer service tables (客服中心): queues with skills, agents and their queues, SLA policies,
canned replies, shopper <-> store conversations with their messages and attachments, tickets
with their timeline, and the store's service settings.

Other centers' rows are named by id or number only (shoppers, staff, orders, after-sales
requests), never by a foreign key, so the service tables move with their store alone."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import (BigInteger, Boolean, CheckConstraint, DateTime, ForeignKey, Index, Integer, SmallInteger,
                        String, Text, UniqueConstraint, text)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.db import CreatedAt, tenant_args, utcnow
from app.core.timeline import TimelineEntry
from app.extensions import db

SKILLS = ("presales", "aftersales", "logistics", "general")
STRATEGIES = ("round_robin", "least_loaded")
PRIORITIES = ("low", "normal", "high", "urgent")
TICKET_STATUSES = ("open", "pending", "escalated", "resolved", "closed", "merged")
ACTIVE_STATUSES = ("open", "pending", "escalated")     # a ticket someone still works on
SOURCES = ("aftersales", "message", "staff")
AUTHORS = ("shopper", "staff", "system")


class ServiceSettings(db.Model):
    """One row per store: where new tickets go, when unread messages are mailed, who gets alerts."""

    __tablename__ = "service_settings"
    __table_args__ = tenant_args(CheckConstraint("unread_mail_minutes > 0 AND auto_close_days > 0", name="limits"),
                                 CheckConstraint("business_opens >= 0 AND business_opens < business_closes "
                                                 "AND business_closes <= 1440", name="business_hours"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    message_queue_id: Mapped[int | None] = mapped_column(ForeignKey("tenant.service_queues.id", ondelete="SET NULL"))
    order_queue_id: Mapped[int | None] = mapped_column(ForeignKey("tenant.service_queues.id", ondelete="SET NULL"))
    aftersales_queue_id: Mapped[int | None] = mapped_column(ForeignKey("tenant.service_queues.id",
                                                                       ondelete="SET NULL"))
    unread_mail_minutes: Mapped[int] = mapped_column(Integer, default=15)
    auto_close_days: Mapped[int] = mapped_column(Integer, default=3)
    alert_email: Mapped[str] = mapped_column(String(254), default="")
    # the service hours, in the store's time zone: ISO week days (1 Monday .. 7 Sunday) and
    # opening / closing time in minutes after midnight (SLA policies may count only these hours)
    business_days: Mapped[str] = mapped_column(String(7), default="12345")
    business_opens: Mapped[int] = mapped_column(Integer, default=540)
    business_closes: Mapped[int] = mapped_column(Integer, default=1080)


class Queue(CreatedAt, db.Model):
    """A queue of tickets (售前, 售后, 物流…): the skill it needs and how it hands tickets out."""

    __tablename__ = "service_queues"
    __table_args__ = tenant_args(CheckConstraint(f"skill IN {SKILLS}", name="skill"),
                                 CheckConstraint(f"strategy IN {STRATEGIES}", name="strategy"),
                                 UniqueConstraint("name"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(80))
    skill: Mapped[str] = mapped_column(String(16), default="general")
    strategy: Mapped[str] = mapped_column(String(16), default="round_robin")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    last_agent_id: Mapped[int | None] = mapped_column(Integer)      # round robin: who got the last ticket


class Agent(CreatedAt, db.Model):
    """A staff member who answers tickets: the queues they work (their skills), their presence
    switch and how many active tickets they take at most."""

    __tablename__ = "service_agents"
    __table_args__ = tenant_args(UniqueConstraint("staff_id"), CheckConstraint("max_open > 0", name="max_open"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    staff_id: Mapped[int] = mapped_column(Integer)          # the store's staff user, by id
    name: Mapped[str] = mapped_column(String(120), default="")
    email: Mapped[str] = mapped_column(String(254), default="")
    online: Mapped[bool] = mapped_column(Boolean, default=False)    # the agent's own presence switch
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    max_open: Mapped[int] = mapped_column(Integer, default=20)
    last_assigned_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    queues: Mapped[list[Queue]] = relationship(secondary="tenant.service_agent_queues", order_by="Queue.name")


class AgentQueue(db.Model):
    __tablename__ = "service_agent_queues"
    __table_args__ = tenant_args()

    agent_id: Mapped[int] = mapped_column(ForeignKey("tenant.service_agents.id", ondelete="CASCADE"), primary_key=True)
    queue_id: Mapped[int] = mapped_column(ForeignKey("tenant.service_queues.id", ondelete="CASCADE"), primary_key=True,
                                          index=True)


class SlaPolicy(CreatedAt, db.Model):
    """How soon a ticket of one priority (in one queue, or in any queue) must get its first answer
    and be resolved, and how long before either deadline the assignee is warned (calendar minutes, or
    minutes of the store's service hours when `business_hours`).
    A queue's own policy wins over the one for all queues."""

    __tablename__ = "service_sla_policies"
    __table_args__ = tenant_args(CheckConstraint(f"priority IN {PRIORITIES}", name="priority"),
                                 CheckConstraint("first_response_minutes > 0 AND resolution_minutes > 0 "
                                                 "AND warn_minutes >= 0", name="minutes"),
                                 Index("uq_service_sla_policies_scope", text("coalesce(queue_id, 0)"), "priority",
                                       unique=True))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(80))
    priority: Mapped[str] = mapped_column(String(8))
    queue_id: Mapped[int | None] = mapped_column(ForeignKey("tenant.service_queues.id", ondelete="CASCADE"))
    first_response_minutes: Mapped[int] = mapped_column(Integer, default=60)
    resolution_minutes: Mapped[int] = mapped_column(Integer, default=1440)
    warn_minutes: Mapped[int] = mapped_column(Integer, default=15)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    business_hours: Mapped[bool] = mapped_column(Boolean, default=False)   # clocks run only in service hours

    queue: Mapped[Queue | None] = relationship(lazy="joined")


class CannedReply(CreatedAt, db.Model):
    """A prepared answer; {name}, {order_number}, {ticket_number} and {agent} are filled in."""

    __tablename__ = "service_canned_replies"
    __table_args__ = tenant_args(UniqueConstraint("title"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(80))
    body: Mapped[str] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Conversation(CreatedAt, db.Model):
    """A shopper <-> store thread: one per order the shopper asks about, and one general thread
    (order_number ''). Unread counters per side keep the inbox to one indexed read."""

    __tablename__ = "service_conversations"
    __table_args__ = tenant_args(UniqueConstraint("shopper_id", "order_number"),
                                 CheckConstraint("status IN ('open', 'archived')", name="status"),
                                 CheckConstraint("staff_unread >= 0 AND shopper_unread >= 0", name="unread"),
                                 Index("ix_service_conversations_inbox", "status", text("last_message_at DESC NULLS LAST"),
                                       text("id DESC")))

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    shopper_id: Mapped[int] = mapped_column(Integer)
    shopper_name: Mapped[str] = mapped_column(String(120), default="")
    shopper_email: Mapped[str] = mapped_column(String(254), default="")
    order_number: Mapped[str] = mapped_column(String(24), default="")
    status: Mapped[str] = mapped_column(String(16), default="open")
    last_message_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_message_preview: Mapped[str] = mapped_column(String(200), default="")
    last_author: Mapped[str] = mapped_column(String(8), default="shopper")
    staff_unread: Mapped[int] = mapped_column(Integer, default=0)
    shopper_unread: Mapped[int] = mapped_column(Integer, default=0)
    staff_unread_since: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    shopper_unread_since: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    staff_mailed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    shopper_mailed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Message(CreatedAt, db.Model):
    __tablename__ = "service_messages"
    __table_args__ = tenant_args(CheckConstraint(f"author IN {AUTHORS}", name="author"),
                                 Index("ix_service_messages_thread", "conversation_id", "id"))

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("tenant.service_conversations.id", ondelete="CASCADE"))
    author: Mapped[str] = mapped_column(String(8))
    author_name: Mapped[str] = mapped_column(String(254), default="")
    staff_id: Mapped[int | None] = mapped_column(Integer)
    body: Mapped[str] = mapped_column(Text, default="")

    attachments: Mapped[list["Attachment"]] = relationship(order_by="Attachment.id", cascade="all, delete-orphan",
                                                           lazy="selectin")


class Attachment(CreatedAt, db.Model):
    """A file on a message (an image or a PDF), stored under the store's folder."""

    __tablename__ = "service_attachments"
    __table_args__ = tenant_args()

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("tenant.service_messages.id", ondelete="CASCADE"), index=True)
    conversation_id: Mapped[int] = mapped_column(BigInteger, index=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    filename: Mapped[str] = mapped_column(String(200), default="")
    content_type: Mapped[str] = mapped_column(String(60))
    size: Mapped[int] = mapped_column(Integer)


class Ticket(CreatedAt, db.Model):
    """A piece of work for the service team (工单), with its queue, assignee, priority and SLA clocks."""

    __tablename__ = "service_tickets"
    __table_args__ = tenant_args(
        CheckConstraint(f"status IN {TICKET_STATUSES}", name="status"),
        CheckConstraint(f"priority IN {PRIORITIES}", name="priority"),
        CheckConstraint(f"source IN {SOURCES}", name="source"),
        CheckConstraint("csat_score IS NULL OR csat_score BETWEEN 1 AND 5", name="csat"),
        Index("ix_service_tickets_status_created", "status", "created_at"),
        Index("ix_service_tickets_assignee_status", "assignee_id", "status"),
        Index("uq_service_tickets_aftersales", "aftersales_request_id", unique=True,
              postgresql_where="aftersales_request_id IS NOT NULL"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    number: Mapped[str] = mapped_column(String(24), unique=True)
    subject: Mapped[str] = mapped_column(String(200))
    source: Mapped[str] = mapped_column(String(12), default="staff")
    status: Mapped[str] = mapped_column(String(16), default="open")
    priority: Mapped[str] = mapped_column(String(8), default="normal")
    conversation_id: Mapped[int | None] = mapped_column(ForeignKey("tenant.service_conversations.id",
                                                                   ondelete="SET NULL"), index=True)
    shopper_id: Mapped[int | None] = mapped_column(Integer, index=True)
    shopper_name: Mapped[str] = mapped_column(String(120), default="")
    order_number: Mapped[str] = mapped_column(String(24), default="")
    aftersales_request_id: Mapped[int | None] = mapped_column(BigInteger)
    aftersales_number: Mapped[str] = mapped_column(String(32), default="")
    queue_id: Mapped[int | None] = mapped_column(ForeignKey("tenant.service_queues.id", ondelete="SET NULL"),
                                                 index=True)
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("tenant.service_agents.id", ondelete="SET NULL"))
    first_response_due_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    resolution_due_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    warn_minutes: Mapped[int] = mapped_column(Integer, default=0)
    first_responded_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    first_response_warned: Mapped[bool] = mapped_column(Boolean, default=False)
    resolution_warned: Mapped[bool] = mapped_column(Boolean, default=False)
    first_response_breached: Mapped[bool] = mapped_column(Boolean, default=False)
    resolution_breached: Mapped[bool] = mapped_column(Boolean, default=False)
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("tenant.service_tickets.id", ondelete="SET NULL"))
    csat_score: Mapped[int | None] = mapped_column(SmallInteger)
    csat_comment: Mapped[str] = mapped_column(String(500), default="")
    rated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    queue: Mapped[Queue | None] = relationship(lazy="joined")
    assignee: Mapped[Agent | None] = relationship(lazy="joined")

    @property
    def active(self) -> bool:
        return self.status in ACTIVE_STATUSES

    @property
    def closed(self) -> bool:
        """Closed or merged into another: no more replies or merges (the shopper's next message opens a new one)."""
        return self.status in ("closed", "merged")

    @property
    def rateable(self) -> bool:
        """The shopper may rate it now: solved and not rated yet."""
        return self.status in ("resolved", "closed") and self.csat_score is None and self.shopper_id is not None

    @property
    def breached(self) -> bool:
        return self.first_response_breached or self.resolution_breached


class TicketEvent(TimelineEntry, db.Model):
    """A ticket's timeline: created, assigned, replied, notes (internal), SLA warnings and breaches,
    escalations, merges, status moves, the shopper's rating."""

    __tablename__ = "service_ticket_events"
    __table_args__ = tenant_args()
    owner_key = "ticket_id"

    ticket_id: Mapped[int] = mapped_column(ForeignKey("tenant.service_tickets.id", ondelete="CASCADE"), index=True)
