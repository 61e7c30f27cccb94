"""Explicit state machines (DESIGN rule 6): one table of allowed transitions per object."""
from __future__ import annotations

from flask_babel import gettext as _

from app.core.errors import IllegalTransition


class StateMachine:
    def __init__(self, name: str, transitions: dict[str, set[str]], labels: dict | None = None):
        self.name, self.transitions, self.labels = name, transitions, labels or {}

    def allowed(self, current: str) -> set[str]:
        return self.transitions.get(current, set())

    def check(self, current: str, target: str) -> None:
        """Raise IllegalTransition (changing nothing) unless current → target is allowed."""
        if target not in self.allowed(current):
            raise IllegalTransition(_("Cannot go from “%(a)s” to “%(b)s”.",
                                      a=self.labels.get(current, current), b=self.labels.get(target, target)))
