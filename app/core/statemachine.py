"""Explicit state machines (DESIGN rule 6): one table of allowed transitions per object, and
one way to move along it.

``machine.move(obj, target, actor, reason, **data)`` checks the transition (an illegal one
raises IllegalTransition and changes nothing), sets the status, writes the object's timeline
row (who, when, from, to, why, data), writes the audit entry for a staff actor when the
machine keeps one, and emits ``<name>.<target>`` through the outbox when the machine emits
that target. ``machine.record(obj, actor, action, reason, **data)`` adds a timeline row that
is not a transition (a note, an address change, a refund recorded by another center).
"""
from __future__ import annotations

from typing import Any, Callable

from flask_babel import gettext as _

from app.core.errors import IllegalTransition


ALL: list["StateMachine"] = []     # every machine, so a test can check that what they emit is declared


class StateMachine:
    def __init__(self, name: str, transitions: dict[str, set[str]], labels: dict | None = None, *,
                 timeline: type | None = None, actions: dict | None = None, field: str = "status",
                 emits: set[str] | bool = False, payload: Callable[[Any, str], dict] | None = None,
                 audit_label: str | None = None, internal: set[str] = frozenset()):
        """`timeline`: the object's timeline model (a TimelineEntry); `actions`: labels of the
        timeline actions that are not plain moves (they may use %(key)s of the row's data);
        `emits`: the targets that emit `<name>.<target>` (True: all) with `payload(obj, before)`;
        `audit_label`: the attribute naming the object in the audit log (None: no audit entry);
        `internal`: actions shoppers never see (notes)."""
        self.name, self.transitions, self.labels = name, transitions, labels or {}
        self.timeline, self.actions, self.field = timeline, actions or {}, field
        self.emits, self.payload, self.audit_label, self.internal = emits, payload, audit_label, set(internal)
        if timeline is not None:
            timeline.machine = self
        ALL.append(self)

    def emitted_topics(self) -> set[str]:
        """The outbox topics this machine's moves emit."""
        targets = {t for ts in self.transitions.values() for t in ts} if self.emits is True else set(self.emits or ())
        return {f"{self.name}.{target}" for target in targets}

    def allowed(self, current: str) -> set[str]:
        return self.transitions.get(current, set())

    def can(self, obj, target: str) -> bool:
        return target in self.allowed(getattr(obj, self.field))

    @property
    def states(self) -> list[str]:
        """Every state, in the order the table names them."""
        seen: dict[str, None] = {}
        for state, targets in self.transitions.items():
            seen.setdefault(state)
            for target in sorted(targets):
                seen.setdefault(target)
        return [*seen, *[s for s in self.labels if s not in seen]]

    def check(self, current: str, target: str) -> None:
        """Raise IllegalTransition (changing nothing) unless current → target is allowed."""
        if target not in self.allowed(current):
            raise IllegalTransition(_("Cannot go from “%(a)s” to “%(b)s”.",
                                      a=self.labels.get(current, current), b=self.labels.get(target, target)))

    def move(self, obj, target: str, actor=None, reason: str = "", *, action: str | None = None,
             event: dict | None = None, **data):
        """Check, set, write the timeline row (and audit entry), emit. Returns the timeline row.
        `event` adds keys to the emitted payload."""
        before = getattr(obj, self.field)
        self.check(before, target)
        setattr(obj, self.field, target)
        entry = self._write(obj, actor, action or target, before, target, reason, data)
        if self.audit_label and getattr(actor, "realm", None) == "store":
            from app.core import audit

            audit.record(actor, f"{self.name}.{target}", obj, label=getattr(obj, self.audit_label),
                         changes={"status": [before, target]})
        if self.emits is True or (self.emits and target in self.emits):
            from app.core.outbox import emit

            body = self.payload(obj, before) if self.payload else {f"{self.name}_id": obj.id, "from": before}
            emit(f"{self.name}.{target}", {**body, **(event or {})})
        return entry

    def record(self, obj, actor, action: str, reason: str = "", **data):
        """A timeline row that is not a transition (the status stays)."""
        state = getattr(obj, self.field)
        return self._write(obj, actor, action, state, state, reason, data)

    def start(self, obj, actor=None, reason: str = "", action: str = "created", **data):
        """The first row of a new object's timeline (nothing → its first state)."""
        return self._write(obj, actor, action, None, getattr(obj, self.field), reason, data)

    def _write(self, obj, actor, action, before, after, reason, data):
        if self.timeline is None:
            return None
        from app.core.timeline import actor_name
        from app.extensions import db

        if obj.id is None:
            db.session.flush()
        entry = self.timeline(**{self.timeline.owner_key: obj.id}, actor_name=actor_name(actor), action=action,
                              from_status=before, to_status=after, reason=(reason or "").strip()[:500],
                              data=_plain(data))
        db.session.add(entry)
        return entry

    def history(self, obj_or_id, public: bool = False) -> list:
        """The object's timeline, oldest first; `public` leaves out internal rows (notes)."""
        from sqlalchemy import select

        from app.extensions import db

        model = self.timeline
        owner_id = getattr(obj_or_id, "id", obj_or_id)
        stmt = select(model).where(getattr(model, model.owner_key) == owner_id)
        if public and self.internal:
            stmt = stmt.where(model.action.not_in(self.internal))
        return db.session.scalars(stmt.order_by(model.id)).all()


def _plain(data: dict) -> dict:
    from app.core.audit import _plain as plain

    return {key: plain(value) for key, value in data.items() if value is not None and value != ""}
