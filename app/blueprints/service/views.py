"""Customer service pages for staff: dashboard, inbox (live by htmx polling), conversations,
tickets with their actions, queues, SLA policies, canned replies, agents and settings."""
from __future__ import annotations

from flask import abort, flash, g, render_template, request, send_file, url_for
from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select

from app.blueprints.service import bp, forms, queries, services
from app.blueprints.service.models import (ACTIVE_STATUSES, PRIORITIES, SOURCES, Agent, CannedReply, Conversation,
                                           Queue, SlaPolicy, Ticket)
from app.core.charts import bar_chart
from app.core.errors import DomainError
from app.core.formview import FormView, commit, commit_form, perform
from app.core.htmx import is_htmx, redirect_to
from app.core.listview import Column, Filter, ListView, detail_url, fmt_dt
from app.core.permissions import requires
from app.core.urls import back
from app.extensions import db

NO_QUEUE = [(0, "—")]


def _files(field) -> list[tuple[str, bytes]]:
    """The uploaded files of a form field as (name, bytes), each read up to one byte past the limit."""
    out = []
    for storage in field.data or []:
        if getattr(storage, "filename", ""):
            out.append((storage.filename, storage.read(services.MAX_FILE_BYTES + 1)))
    return out


def _agent_name(a: Agent | None) -> str:
    return a.name if a else ""


# --- dashboard -----------------------------------------------------------------------------------

@bp.route("/")
@requires("service.view")
def dashboard():
    services.touch_presence(current_user.id)
    by_queue = queries.open_by_queue()
    charts = {
        "queues": bar_chart([(name or str(_("No queue")), n) for name, n in by_queue], _("Open tickets by queue")),
        "breaches": bar_chart(queries.breaches_by_day(), _("Tickets that breached an SLA, by day opened")),
        "first_response": bar_chart(queries.first_response_minutes(),
                                    _("Median minutes to the first response, by day opened")),
    }
    return render_template("service/dashboard.html", figures=queries.figures(), charts=charts, by_queue=by_queue,
                           aftersales=_aftersales_rates(), agent=services.agent_for_staff(current_user.id),
                           online=current_user.id in services.present_staff_ids())


def _aftersales_rates():
    """Units asked about in after-sales requests per SKU against units sold, from the after-sales
    center's read side when it is there (None: no figures to show)."""
    try:
        from app.blueprints.aftersales import queries as aftersales
    except ImportError:
        return None
    rates = getattr(aftersales, "rate_by_sku", None)
    if rates is None:
        return None
    from app.blueprints.orders import queries as orders

    asked = rates()
    sold = orders.units_sold(code for code, _n in asked)
    return [{"sku_code": code, "requests": n, "sold": sold.get(code, 0)} for code, n in asked]


@bp.route("/presence", methods=["POST"])
@requires("service.reply")
def presence():
    online = request.form.get("online") == "1"
    perform(lambda: services.set_online(current_user, online),
            _("You are online and receive tickets.") if online else _("You are offline; no new tickets come to you."))
    return redirect_to(back(url_for("service.dashboard"), prefix=f"/store/{g.store.slug}/"))


# --- inbox ------------------------------------------------------------------------------------------

def _mine(stmt, value):
    agent = services.agent_for_staff(current_user.id)
    mine = select(Ticket.conversation_id).where(Ticket.assignee_id == (agent.id if agent else -1),
                                                Ticket.status.in_(ACTIVE_STATUSES))
    return stmt.where(Conversation.id.in_(mine))


class InboxList(ListView):
    """Open conversations, newest message first, with what the store has not read yet. The page
    polls itself every POLL_SECONDS with htmx: a poll that finds nothing new answers 204 (no swap)
    after one indexed statement; otherwise it gets the rows and a fresh poller (out of band)."""

    permission = "service.view"
    title = _l("Inbox")
    model = Conversation
    template = "service/inbox.html"
    search_fields = [Conversation.shopper_name, Conversation.shopper_email, Conversation.order_number]
    search_placeholder = _l("Shopper, email or order number")
    default_sort = "-last_message_at"
    export_name = "conversations"
    columns = [
        Column("shopper_name", _l("Shopper"), sort=Conversation.shopper_name,
               link=detail_url("service.conversation_page"), value=lambda c: c.shopper_name or c.shopper_email),
        Column("order_number", _l("Order"), sort=Conversation.order_number,
               value=lambda c: c.order_number or _("General")),
        Column("last_message_preview", _l("Last message"),
               value=lambda c: (_("You: ") if c.last_author == "staff" else "") + c.last_message_preview),
        Column("staff_unread", _l("Unread"), sort=Conversation.staff_unread, kind="number", badge=False),
        Column("last_message_at", _l("Last message at"), sort=Conversation.last_message_at, kind="datetime"),
    ]
    filters = [
        Filter("unread", _l("Unread"), lambda q, v: q.where(Conversation.staff_unread > 0),
               choices=lambda: [("1", _("Unread only"))]),
        Filter("mine", _l("Assigned to"), _mine, choices=lambda: [("1", _("Me"))]),
        Filter("status", _l("Status"), lambda q, v: q.where(Conversation.status == v),
               choices=lambda: [("open", _("Open")), ("archived", _("Archived"))]),
    ]
    POLL_SECONDS = 10

    def query(self):
        stmt = select(Conversation)
        if not request.args.get("status"):
            stmt = stmt.where(Conversation.status == "open")
        return stmt

    def context(self, page, state):
        context = super().context(page, state)
        context["stamp"] = queries.inbox_stamp()
        context["poll_url"] = request.path + page.url(stamp=context["stamp"], page=page.page if page.page > 1 else None)
        context["unread_total"] = queries.unread_total()
        context["poll_seconds"] = self.POLL_SECONDS
        return context

    def dispatch_request(self, **kwargs):
        services.touch_presence(current_user.id)
        if request.method == "GET" and is_htmx() and request.headers.get("HX-Target") == "list-results" \
                and not request.args.get("export"):
            if request.args.get("stamp") and request.args.get("stamp") == queries.inbox_stamp():
                return "", 204
            stmt, state = self.filtered()
            context = self.context(self.paginate(stmt, state), state)
            return render_template("components/_list_results.html", **context) + \
                render_template("service/_inbox_poll.html", oob=True, **context)
        return super().dispatch_request(**kwargs)


InboxList.register(bp, "/inbox", "inbox")


def _conversation(id: int) -> Conversation:
    found = queries.conversation(id)
    if found is None:
        abort(404)
    return found


def _reply_form(posted: bool = False, ticket=None):
    form = forms.ReplyForm() if posted else forms.ReplyForm(formdata=None)
    form.canned_id.choices = [(0, "—")] + [(c.id, c.title) for c in queries.canned_replies()]
    return form


def _render_conversation(conversation: Conversation, status: int = 200, form=None):
    tickets = queries.tickets_of_conversation(conversation.id)
    return render_template("service/conversation.html", conversation=conversation,
                           messages=queries.messages(conversation.id), tickets=tickets, form=form or _reply_form(),
                           statuses=services.STATUS_LABELS,
                           active=next((t for t in tickets if t.status in (*ACTIVE_STATUSES, "resolved")), None)), status


@bp.route("/conversations/<int:id>")
@requires("service.view")
def conversation_page(id):
    services.touch_presence(current_user.id)
    return _render_conversation(_conversation(id))


@bp.route("/conversations/<int:id>/reply", methods=["POST"])
@requires("service.reply")
def conversation_reply(id):
    conversation = _conversation(id)
    form = _reply_form(posted=True)
    if form.validate_on_submit() and commit_form(form, lambda: services.post_message(
            conversation, "staff", current_user, form.body.data, _files(form.files))):
        flash(_("Sent."), "success")
        return redirect_to(url_for("service.conversation_page", id=id))
    return _render_conversation(_conversation(id), 422, form)


@bp.route("/conversations/<int:id>/read", methods=["POST"])
@requires("service.view")
def conversation_read(id):
    """The thread was opened: the store has read it (posted by the page itself once loaded)."""
    conversation = _conversation(id)
    commit(lambda: services.mark_read(conversation, "staff"))
    return "", 204


@bp.route("/attachments/<int:id>")
@requires("service.view")
def attachment(id):
    from app.core.storage import get_storage

    found = queries.attachment(id)
    storage = get_storage()
    if found is None or not storage.owns(found.key):
        abort(404)
    return send_file(storage.path(found.key), mimetype=found.content_type, download_name=found.filename,
                     as_attachment=found.content_type == "application/pdf", max_age=0)


# --- tickets ---------------------------------------------------------------------------------------------

def _assignee_filter(stmt, value):
    if value == "none":
        return stmt.where(Ticket.assignee_id.is_(None))
    if value == "me":
        agent = services.agent_for_staff(current_user.id)
        return stmt.where(Ticket.assignee_id == (agent.id if agent else -1))
    return stmt.where(Ticket.assignee_id == int(value))


def _status_filter(stmt, value):
    return stmt.where(Ticket.status.in_(ACTIVE_STATUSES)) if value == "active" else stmt.where(Ticket.status == value)


def _due(ticket: Ticket) -> str:
    if not ticket.active:
        return ""
    due = ticket.first_response_due_at if ticket.first_responded_at is None else ticket.resolution_due_at
    return fmt_dt(due)


class TicketList(ListView):
    permission = "service.view"
    title = _l("Tickets")
    model = Ticket
    search_fields = [Ticket.number, Ticket.subject, Ticket.shopper_name, Ticket.order_number, Ticket.aftersales_number]
    search_placeholder = _l("Ticket, subject, shopper or order number")
    default_sort = "-created_at"
    export_name = "tickets"
    saved_filters = True
    create_endpoint = "service.ticket_new"
    create_label = _l("New ticket")
    create_permission = "service.reply"
    columns = [
        Column("number", _l("Ticket"), sort=Ticket.number, link=detail_url("service.ticket_page")),
        Column("subject", _l("Subject")),
        Column("status", _l("Status"), sort=Ticket.status, value=lambda t: services.STATUS_LABELS[t.status], badge=True),
        Column("priority", _l("Priority"), sort=Ticket.priority, value=lambda t: services.PRIORITY_LABELS[t.priority]),
        Column("queue", _l("Queue"), value=lambda t: t.queue.name if t.queue else ""),
        Column("assignee", _l("Assignee"), value=lambda t: _agent_name(t.assignee)),
        Column("shopper_name", _l("Shopper")),
        Column("order_number", _l("Order"), sort=Ticket.order_number),
        Column("due", _l("Next deadline"), value=_due),
        Column("breached", _l("SLA"), value=lambda t: _("Breached") if t.breached else ""),
        Column("created_at", _l("Opened"), sort=Ticket.created_at, kind="datetime"),
    ]
    filters = [
        Filter("status", _l("Status"), _status_filter,
               choices=lambda: [("active", _("Being worked on"))] + [(k, str(v)) for k, v in
                                                                      services.STATUS_LABELS.items()]),
        Filter("priority", _l("Priority"), lambda q, v: q.where(Ticket.priority == v),
               choices=lambda: [(p, str(services.PRIORITY_LABELS[p])) for p in PRIORITIES]),
        Filter("queue", _l("Queue"), lambda q, v: q.where(Ticket.queue_id == int(v)),
               choices=lambda: [(str(i), n) for i, n in queries.queue_choices(active_only=False)]),
        Filter("assignee", _l("Assignee"), _assignee_filter,
               choices=lambda: [("me", _("Me")), ("none", _("Nobody"))] + [(str(i), n) for i, n in
                                                                         queries.agent_choices()]),
        Filter("breached", _l("SLA"), lambda q, v: q.where(Ticket.first_response_breached | Ticket.resolution_breached),
               choices=lambda: [("1", _("Breached"))]),
        Filter("source", _l("Source"), lambda q, v: q.where(Ticket.source == v),
               choices=lambda: [(s, str(services.SOURCE_LABELS[s])) for s in SOURCES]),
    ]

    def dispatch_request(self, **kwargs):
        services.touch_presence(current_user.id)
        return super().dispatch_request(**kwargs)


TicketList.register(bp, "/tickets", "tickets")


class TicketNew(FormView):
    permission = "service.reply"
    form_class = forms.TicketForm
    title = _l("New ticket")
    cancel_endpoint = "service.tickets"

    def make_form(self, obj):
        form = self.form_class()
        form.queue_id.choices = NO_QUEUE + queries.queue_choices()
        return form

    def save(self, form, obj):
        return services.open_staff_ticket(current_user, form.subject.data, form.priority.data,
                                          form.queue_id.data or None, form.shopper_email.data or "",
                                          form.order_number.data or "", form.note.data or "")

    def success_url(self, ticket):
        return url_for("service.ticket_page", id=ticket.id)

    def success_message(self, ticket):
        return _("Ticket %(number)s opened.", number=ticket.number)


TicketNew.register(bp, "/tickets/new", "ticket_new")


def _ticket(id: int, lock: bool = False) -> Ticket:
    found = queries.ticket(id, lock=lock)
    if found is None:
        abort(404)
    return found


def _aftersales_summary(ticket: Ticket):
    if ticket.aftersales_request_id is None:
        return None
    try:
        from app.blueprints.aftersales import queries as aftersales
    except ImportError:
        return None
    return aftersales.request_summary(ticket.aftersales_request_id)


def _render_ticket(ticket: Ticket, status: int = 200, **overrides):
    assign = forms.AssignForm(formdata=None, agent_id=ticket.assignee_id or 0)
    assign.agent_id.choices = [(0, _("Nobody"))] + queries.agent_choices()
    move = forms.QueueMoveForm(formdata=None, queue_id=ticket.queue_id or 0)
    move.queue_id.choices = queries.queue_choices()
    context = {"reply_form": _reply_form(), "note_form": forms.NoteForm(formdata=None),
               "assign_form": assign, "priority_form": forms.PriorityForm(formdata=None, priority=ticket.priority),
               "queue_form": move, "merge_form": forms.MergeForm(formdata=None),
               "reason_form": forms.ReasonForm(formdata=None), **overrides}
    conversation = queries.conversation(ticket.conversation_id) if ticket.conversation_id else None
    merged_into = queries.ticket(ticket.merged_into_id) if ticket.merged_into_id else None
    return render_template("service/ticket.html", ticket=ticket, conversation=conversation, merged_into=merged_into,
                           messages=queries.messages(conversation.id) if conversation else [],
                           timeline=services.TICKET_STATES.history(ticket), statuses=services.STATUS_LABELS,
                           priorities=services.PRIORITY_LABELS, sources=services.SOURCE_LABELS,
                           aftersales=_aftersales_summary(ticket),
                           can_move=lambda target: services.TICKET_STATES.can(ticket, target), **context), status


@bp.route("/tickets/<int:id>")
@requires("service.view")
def ticket_page(id):
    services.touch_presence(current_user.id)
    return _render_ticket(_ticket(id))


def _back(id: int):
    return redirect_to(url_for("service.ticket_page", id=id))


@bp.route("/tickets/<int:id>/reply", methods=["POST"])
@requires("service.reply")
def ticket_reply(id):
    ticket = _ticket(id, lock=True)
    form = _reply_form(posted=True)
    if form.validate_on_submit() and commit_form(form, lambda: services.reply_ticket(
            current_user, ticket, form.body.data, _files(form.files))):
        flash(_("Sent to the shopper."), "success")
        return _back(id)
    return _render_ticket(_ticket(id), 422, reply_form=form)


@bp.route("/tickets/<int:id>/canned")
@requires("service.reply")
def ticket_canned(id):
    """The reply box filled with a canned reply (its variables filled in for this ticket)."""
    ticket = _ticket(id)
    try:
        canned = db.session.get(CannedReply, int(request.args.get("canned_id", 0)))
    except (ValueError, OverflowError):
        canned = None
    text = services.fill_canned(canned.body, ticket, current_user.name) if canned else ""
    return render_template("service/_reply_body.html", text=text)


@bp.route("/tickets/<int:id>/note", methods=["POST"])
@requires("service.reply")
def ticket_note(id):
    ticket = _ticket(id, lock=True)
    form = forms.NoteForm()
    if form.validate_on_submit() and commit_form(form, lambda: services.add_note(current_user, ticket,
                                                                                  form.note.data)):
        flash(_("Note added."), "success")
        return _back(id)
    return _render_ticket(_ticket(id), 422, note_form=form)


@bp.route("/tickets/<int:id>/assign", methods=["POST"])
@requires("service.manage")
def ticket_assign(id):
    ticket = _ticket(id, lock=True)
    form = forms.AssignForm()
    form.agent_id.choices = [(0, "")] + queries.agent_choices()
    if form.validate_on_submit() and commit_form(form, lambda: services.assign_ticket(current_user, ticket,
                                                                                       form.agent_id.data or None)):
        flash(_("Assignment saved."), "success")
        return _back(id)
    return _render_ticket(_ticket(id), 422, assign_form=form)


@bp.route("/tickets/<int:id>/take", methods=["POST"])
@requires("service.reply")
def ticket_take(id):
    """The signed-in agent takes the ticket themselves."""
    ticket = _ticket(id, lock=True)
    perform(lambda: services.assign_ticket(current_user, ticket, services.ensure_agent(current_user).id),
            _("The ticket is yours."))
    return _back(id)


@bp.route("/tickets/<int:id>/priority", methods=["POST"])
@requires("service.manage")
def ticket_priority(id):
    ticket = _ticket(id, lock=True)
    form = forms.PriorityForm()
    if form.validate_on_submit() and commit_form(form, lambda: services.set_priority(current_user, ticket,
                                                                                      form.priority.data)):
        flash(_("Priority saved; the SLA deadlines follow it."), "success")
        return _back(id)
    return _render_ticket(_ticket(id), 422, priority_form=form)


@bp.route("/tickets/<int:id>/queue", methods=["POST"])
@requires("service.manage")
def ticket_queue(id):
    ticket = _ticket(id, lock=True)
    form = forms.QueueMoveForm()
    form.queue_id.choices = queries.queue_choices()
    if form.validate_on_submit() and commit_form(form, lambda: services.move_to_queue(current_user, ticket,
                                                                                       form.queue_id.data)):
        flash(_("Moved to the queue."), "success")
        return _back(id)
    return _render_ticket(_ticket(id), 422, queue_form=form)


@bp.route("/tickets/<int:id>/merge", methods=["POST"])
@requires("service.manage")
def ticket_merge(id):
    ticket = _ticket(id, lock=True)
    form = forms.MergeForm()

    def merge():
        target = queries.ticket_by_number(form.target.data or "")
        if target is None:
            raise DomainError(_("No ticket has this number."), field="target")
        return services.merge_tickets(current_user, ticket, target)

    if form.validate_on_submit() and (done := commit_form(form, merge)):
        flash(_("Merged into ticket %(number)s.", number=done.result.number), "success")
        return redirect_to(url_for("service.ticket_page", id=done.result.id))
    return _render_ticket(_ticket(id), 422, merge_form=form)


MOVES = {"pending": (services.set_pending, _l("Waiting for the shopper.")),
         "resolve": (services.resolve_ticket, _l("Resolved; the shopper is asked to rate it.")),
         "reopen": (services.reopen_ticket, _l("Reopened.")),
         "close": (services.close_ticket, _l("Closed.")),
         "escalate": (services.escalate_ticket, _l("Escalated."))}


@bp.route("/tickets/<int:id>/<action>", methods=["POST"])
@requires("service.reply")
def ticket_move(id, action):
    if action not in MOVES:
        abort(404)
    ticket = _ticket(id, lock=True)
    fn, message = MOVES[action]
    form = forms.ReasonForm()
    if not form.validate_on_submit():
        return _render_ticket(_ticket(id), 422, reason_form=form)
    perform(lambda: fn(current_user, ticket, form.reason.data or ""), str(message))
    return _back(id)


# --- queues, SLA policies, canned replies -----------------------------------------------------------------

class QueueList(ListView):
    permission = "service.settings"
    title = _l("Queues")
    model = Queue
    search_fields = [Queue.name]
    default_sort = "name"
    export_name = "queues"
    create_endpoint = "service.queue_new"
    create_label = _l("New queue")
    create_permission = "service.settings"
    columns = [
        Column("name", _l("Name"), sort=Queue.name, link=detail_url("service.queue_edit")),
        Column("skill", _l("Skill"), sort=Queue.skill, value=lambda q: services.SKILL_LABELS[q.skill]),
        Column("strategy", _l("Assignment"), value=lambda q: services.STRATEGY_LABELS[q.strategy]),
        Column("active", _l("Active"), value=lambda q: _("Yes") if q.active else _("No")),
    ]


QueueList.register(bp, "/queues", "queues")


class QueueEdit(FormView):
    permission = "service.settings"
    form_class = forms.QueueForm
    title = _l("Queue")
    cancel_endpoint = "service.queues"

    def get_object(self, id=None):
        return db.get_or_404(Queue, id) if id else None

    def save(self, form, queue):
        return services.save_queue(current_user, queue, form.name.data, form.skill.data, form.strategy.data,
                                   form.active.data)

    def success_url(self, queue):
        return url_for("service.queues")


QueueEdit.register(bp, "/queues/new", "queue_new")
QueueEdit.register(bp, "/queues/<int:id>", "queue_edit")


class PolicyList(ListView):
    permission = "service.settings"
    title = _l("SLA policies")
    model = SlaPolicy
    search_fields = [SlaPolicy.name]
    default_sort = "priority"
    export_name = "sla_policies"
    create_endpoint = "service.policy_new"
    create_label = _l("New SLA policy")
    create_permission = "service.settings"
    columns = [
        Column("name", _l("Name"), sort=SlaPolicy.name, link=detail_url("service.policy_edit")),
        Column("priority", _l("Priority"), sort=SlaPolicy.priority,
               value=lambda p: services.PRIORITY_LABELS[p.priority]),
        Column("queue", _l("Queue"), value=lambda p: p.queue.name if p.queue else _("All queues")),
        Column("first_response_minutes", _l("First response (minutes)"), kind="number"),
        Column("resolution_minutes", _l("Resolution (minutes)"), kind="number"),
        Column("warn_minutes", _l("Warning before (minutes)"), kind="number"),
        Column("active", _l("Active"), value=lambda p: _("Yes") if p.active else _("No")),
    ]


PolicyList.register(bp, "/sla-policies", "policies")


class PolicyEdit(FormView):
    permission = "service.settings"
    form_class = forms.PolicyForm
    title = _l("SLA policy")
    cancel_endpoint = "service.policies"

    def get_object(self, id=None):
        return db.get_or_404(SlaPolicy, id) if id else None

    def make_form(self, policy):
        form = self.form_class(obj=policy)
        form.queue_id.choices = NO_QUEUE + queries.queue_choices(active_only=False)
        if request.method == "GET":
            form.queue_id.data = policy.queue_id or 0 if policy else 0
        return form

    def save(self, form, policy):
        values = {k: getattr(form, k).data for k in ("name", "priority", "queue_id", "first_response_minutes",
                                                     "resolution_minutes", "warn_minutes", "active",
                                                     "business_hours")}
        values["warn_minutes"] = values["warn_minutes"] or 0
        return services.save_policy(current_user, policy, values)

    def success_url(self, policy):
        return url_for("service.policies")


PolicyEdit.register(bp, "/sla-policies/new", "policy_new")
PolicyEdit.register(bp, "/sla-policies/<int:id>", "policy_edit")


class CannedList(ListView):
    permission = "service.settings"
    title = _l("Canned replies")
    model = CannedReply
    search_fields = [CannedReply.title, CannedReply.body]
    default_sort = "title"
    export_name = "canned_replies"
    create_endpoint = "service.canned_new"
    create_label = _l("New canned reply")
    create_permission = "service.settings"
    columns = [
        Column("title", _l("Title"), sort=CannedReply.title, link=detail_url("service.canned_edit")),
        Column("body", _l("Text"), value=lambda c: c.body[:120]),
        Column("active", _l("Active"), value=lambda c: _("Yes") if c.active else _("No")),
    ]


CannedList.register(bp, "/canned-replies", "canned")


class CannedEdit(FormView):
    permission = "service.settings"
    form_class = forms.CannedForm
    title = _l("Canned reply")
    cancel_endpoint = "service.canned"

    def get_object(self, id=None):
        return db.get_or_404(CannedReply, id) if id else None

    def save(self, form, reply):
        return services.save_canned(current_user, reply, form.title.data, form.body.data, form.active.data)

    def success_url(self, reply):
        return url_for("service.canned")


CannedEdit.register(bp, "/canned-replies/new", "canned_new")
CannedEdit.register(bp, "/canned-replies/<int:id>", "canned_edit")


# --- agents ------------------------------------------------------------------------------------------------

def _online(agent: Agent) -> str:
    if not agent.online:
        return _("Offline")
    return _("Online") if agent.staff_id in _present() else _("Away")


def _present() -> set[int]:
    from flask import g

    if "service_present" not in g:
        g.service_present = services.present_staff_ids()
    return g.service_present


class AgentList(ListView):
    permission = "service.manage"
    title = _l("Agents")
    model = Agent
    template = "service/agents.html"
    search_fields = [Agent.name, Agent.email]
    default_sort = "name"
    export_name = "agents"
    columns = [
        Column("name", _l("Name"), sort=Agent.name, link=detail_url("service.agent_edit")),
        Column("email", _l("Email"), sort=Agent.email),
        Column("presence", _l("Presence"), value=_online),
        Column("queues", _l("Queues (skills)"), value=lambda a: ", ".join(q.name for q in a.queues)),
        Column("max_open", _l("Most active tickets"), kind="number"),
        Column("active", _l("Takes tickets"), value=lambda a: _("Yes") if a.active else _("No")),
    ]

    def query(self):
        from sqlalchemy.orm import selectinload

        return select(Agent).options(selectinload(Agent.queues))

    def context(self, page, state):
        context = super().context(page, state)
        form = forms.AddAgentForm(formdata=None)
        form.staff_id.choices = _staff_choices()
        context["add_form"] = form
        return context


def _staff_choices():
    from app.blueprints.store import queries as store

    taken = set(db.session.scalars(select(Agent.staff_id)))
    return [(i, n) for i, n in store.staff_choices() if i not in taken]


AgentList.register(bp, "/agents", "agents")


@bp.route("/agents/add", methods=["POST"])
@requires("service.manage")
def agent_add():
    from app.blueprints.store import queries as store

    form = forms.AddAgentForm()
    form.staff_id.choices = _staff_choices()
    if form.validate_on_submit():
        staff = store.acting_staff(form.staff_id.data)
        if staff is not None and perform(lambda: services.add_agent(current_user, staff),
                                         _("%(name)s is an agent now.", name=staff.name or staff.email)):
            return redirect_to(url_for("service.agents"))
    flash(_("Choose a staff member from the list."), "error")
    return redirect_to(url_for("service.agents"))


class AgentEdit(FormView):
    permission = "service.manage"
    form_class = forms.AgentForm
    title = _l("Agent")
    cancel_endpoint = "service.agents"

    def get_object(self, id):
        return db.get_or_404(Agent, id)

    def make_form(self, agent):
        form = self.form_class(obj=agent, queue_ids=[q.id for q in agent.queues]) if request.method == "GET" \
            else self.form_class()
        form.queue_ids.choices = queries.queue_choices(active_only=False)
        return form

    def save(self, form, agent):
        return services.save_agent(current_user, agent, form.queue_ids.data or [], form.max_open.data,
                                   form.active.data)

    def success_url(self, agent):
        return url_for("service.agents")


AgentEdit.register(bp, "/agents/<int:id>", "agent_edit")


# --- settings ------------------------------------------------------------------------------------------

@bp.route("/settings", methods=["GET", "POST"])
@requires("service.settings")
def settings_page():
    row = services.settings() if request.method == "POST" else _settings_snapshot()
    form = forms.SettingsForm(obj=row) if request.method == "GET" else forms.SettingsForm()
    choices = NO_QUEUE + queries.queue_choices()
    for field in (form.message_queue_id, form.order_queue_id, form.aftersales_queue_id):
        field.choices = choices
        if request.method == "GET":
            field.data = field.data or 0
    if request.method == "GET":
        form.business_days.data = [int(d) for d in row.business_days or ""]
        form.business_opens.data, form.business_closes.data = (forms.minutes_to_time(row.business_opens),
                                                               forms.minutes_to_time(row.business_closes))
    if form.validate_on_submit():
        values = {f.name: f.data for f in form if f.name != "csrf_token"}
        values["business_opens"] = forms.time_to_minutes(form.business_opens.data)
        values["business_closes"] = forms.time_to_minutes(form.business_closes.data, closing=True)
        if commit_form(form, lambda: services.save_settings(current_user, values)):
            flash(_("Service settings saved."), "success")
            return redirect_to(url_for("service.settings_page"))
    return render_template("components/form_page.html", form=form, view=_SettingsView,
                           layout="layouts/store.html", obj=None), 422 if request.method == "POST" else 200


class _SettingsView:
    title = _l("Service settings")
    submit_label = None
    cancel_endpoint = None


def _settings_snapshot():
    """The settings as they are, without creating the row on a GET (reading never writes)."""
    from app.blueprints.service.models import ServiceSettings

    row = db.session.scalar(select(ServiceSettings).order_by(ServiceSettings.id).limit(1))
    return row or ServiceSettings(unread_mail_minutes=15, auto_close_days=3, alert_email="", business_days="12345",
                                  business_opens=540, business_closes=1080)
