"""Customer service forms."""
from datetime import time

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import MultipleFileField
from wtforms import (BooleanField, IntegerField, SelectField, SelectMultipleField, StringField, TextAreaField, TimeField,
                     widgets)
from wtforms.validators import DataRequired, Email, InputRequired, Length, NumberRange, Optional

from app.blueprints.service.models import PRIORITIES, SKILLS, STRATEGIES


class MultiCheckboxField(SelectMultipleField):
    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


WEEK_DAYS = [(1, _l("Monday")), (2, _l("Tuesday")), (3, _l("Wednesday")), (4, _l("Thursday")), (5, _l("Friday")),
             (6, _l("Saturday")), (7, _l("Sunday"))]


def _priority_choices():
    from app.blueprints.service.services import PRIORITY_LABELS

    return [(p, PRIORITY_LABELS[p]) for p in PRIORITIES]


class MessageForm(FlaskForm):
    body = TextAreaField(_l("Message"), validators=[Length(max=4000)])
    files = MultipleFileField(_l("Attachments (images or PDF, up to 5 MB each)"))


class ReplyForm(MessageForm):
    canned_id = SelectField(_l("Canned reply"), coerce=int, choices=[], validators=[Optional()])


class NoteForm(FlaskForm):
    note = TextAreaField(_l("Internal note (only staff see it)"), validators=[DataRequired(), Length(max=500)])


class ReasonForm(FlaskForm):
    reason = StringField(_l("Reason"), validators=[Length(max=300)])


class AssignForm(FlaskForm):
    agent_id = SelectField(_l("Agent"), coerce=int, choices=[])


class PriorityForm(FlaskForm):
    priority = SelectField(_l("Priority"), choices=[])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.priority.choices = _priority_choices()


class QueueMoveForm(FlaskForm):
    queue_id = SelectField(_l("Queue"), coerce=int, choices=[])


class MergeForm(FlaskForm):
    target = StringField(_l("Merge into ticket number"), validators=[DataRequired(), Length(max=24)])


class TicketForm(FlaskForm):
    subject = StringField(_l("Subject"), validators=[DataRequired(), Length(max=200)])
    priority = SelectField(_l("Priority"), choices=[], default="normal")
    queue_id = SelectField(_l("Queue"), coerce=int, choices=[])
    shopper_email = StringField(_l("Shopper's email (optional)"), validators=[Optional(), Email(), Length(max=254)])
    order_number = StringField(_l("Order number (optional)"), validators=[Optional(), Length(max=24)])
    note = TextAreaField(_l("Note"), validators=[Length(max=500)])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.priority.choices = _priority_choices()


class QueueForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=80)])
    skill = SelectField(_l("Skill"), choices=[])
    strategy = SelectField(_l("Assignment"), choices=[])
    active = BooleanField(_l("Active"), default=True)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from app.blueprints.service.services import SKILL_LABELS, STRATEGY_LABELS

        self.skill.choices = [(s, SKILL_LABELS[s]) for s in SKILLS]
        self.strategy.choices = [(s, STRATEGY_LABELS[s]) for s in STRATEGIES]


class PolicyForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=80)])
    priority = SelectField(_l("Priority"), choices=[])
    queue_id = SelectField(_l("Queue"), coerce=int, choices=[], description=_l("Empty: every queue without a policy "
                                                                              "of its own"))
    first_response_minutes = IntegerField(_l("First response within (minutes)"),
                                          validators=[DataRequired(), NumberRange(min=1, max=100_000)])
    resolution_minutes = IntegerField(_l("Resolved within (minutes)"),
                                      validators=[DataRequired(), NumberRange(min=1, max=1_000_000)])
    warn_minutes = IntegerField(_l("Warn this many minutes before a deadline"),
                                validators=[Optional(), NumberRange(min=0, max=100_000)], default=15)
    active = BooleanField(_l("Active"), default=True)
    business_hours = BooleanField(_l("Count only the service hours (service settings)"), default=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.priority.choices = _priority_choices()


class CannedForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=80)])
    body = TextAreaField(_l("Text: {name}, {order_number}, {ticket_number}, {agent} and {store} are filled in"),
                         validators=[DataRequired(), Length(max=4000)])
    active = BooleanField(_l("Active"), default=True)


class AgentForm(FlaskForm):
    queue_ids = MultiCheckboxField(_l("Queues (skills)"), coerce=int, choices=[])
    max_open = IntegerField(_l("Most active tickets at once"), validators=[DataRequired(), NumberRange(min=1, max=500)])
    active = BooleanField(_l("Takes tickets"), default=True)


class AddAgentForm(FlaskForm):
    staff_id = SelectField(_l("Staff member"), coerce=int, choices=[])


class SettingsForm(FlaskForm):
    message_queue_id = SelectField(_l("Queue for shop messages"), coerce=int, choices=[])
    order_queue_id = SelectField(_l("Queue for messages about an order"), coerce=int, choices=[])
    aftersales_queue_id = SelectField(_l("Queue for after-sales requests"), coerce=int, choices=[])
    unread_mail_minutes = IntegerField(_l("Mail the other side when a message is unread for (minutes)"),
                                       validators=[DataRequired(), NumberRange(min=1, max=10_000)])
    auto_close_days = IntegerField(_l("Close resolved tickets after (days)"),
                                   validators=[DataRequired(), NumberRange(min=1, max=365)])
    alert_email = StringField(_l("Alert address for escalations and SLA breaches"),
                              validators=[Optional(), Email(), Length(max=254)])
    business_days = MultiCheckboxField(_l("Service days"), coerce=int, choices=WEEK_DAYS,
                                        validators=[DataRequired(_l("Choose at least one day of service."))])
    business_opens = TimeField(_l("Service opens at (store time)"), validators=[DataRequired()])
    business_closes = TimeField(_l("Service closes at (store time; 00:00 is midnight)"),
                                validators=[InputRequired()])


def minutes_to_time(minutes: int) -> time:
    return time(0, 0) if minutes >= 1440 else time(minutes // 60, minutes % 60)


def time_to_minutes(value: time | None, closing: bool = False) -> int:
    """Minutes after midnight; a closing time of 00:00 is the end of the day."""
    if value is None:
        return 0
    minutes = value.hour * 60 + value.minute
    return 1440 if closing and minutes == 0 else minutes


class RateForm(FlaskForm):
    score = SelectField(_l("Your rating"), coerce=int, choices=[(5, "★★★★★"), (4, "★★★★"), (3, "★★★"), (2, "★★"),
                                                                  (1, "★")])
    comment = StringField(_l("Comment (optional)"), validators=[Length(max=500)])
