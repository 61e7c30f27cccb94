"""A center declares itself once, in its package's ``__init__.py``; the app finds it.

    center = Center(__name__, _l("Products"), position=40,
                    blueprints=[bp],                       # or "module:attr", resolved at start-up
                    models=["models"], jobs=["jobs"], handlers=["handlers"],
                    topics={"product.published": _l("A product went on sale")},
                    permissions=[Perm("catalog.view", _l("See products"), ("operations",))],
                    menu=[Entry("catalog.products", _l("Products"), "catalog.view", order=100)])

Constructing the declaration registers its permissions, topics and menu entries (views
check permissions when they are imported, right after). ``load()`` imports every package
under ``app/blueprints/`` (pkgutil), collects their declarations, and imports the modules
they name, so their tables, jobs and handlers exist in every process: web, worker, cron and
``tenants revision``. The app factory registers the declared blueprints. Nothing else lists
the centers; a test fails when a module registers a handler, job, topic or table that no
declaration names.
"""
from __future__ import annotations

import importlib
import os
import pkgutil
from dataclasses import dataclass, field
from typing import Any, Sequence

CENTERS_PACKAGE = "app.blueprints"
_SAME = object()  # a menu entry's section defaults to the center's label


@dataclass(frozen=True)
class Perm:
    """A permission the center declares: ``<center>.<action>``, and the built-in roles that get it."""

    code: str
    label: Any
    roles: tuple[str, ...] = ()


@dataclass(frozen=True)
class Entry:
    """A sidebar entry of the store back office."""

    endpoint: str
    label: Any
    permission: str
    order: int = 100
    section: Any = _SAME


@dataclass
class Center:
    package: str                 # the package's __name__
    label: Any = None            # the center's name for people (role editor, sidebar sections)
    position: int = 500          # where it comes in the role editor and in URL registration
    blueprints: Sequence = ()    # Blueprint objects, or "module:attr" relative to the package
    models: Sequence[str] = ()   # modules (relative) that declare tables
    jobs: Sequence[str] = ()     # modules that declare jobs, periodic jobs and tasks
    handlers: Sequence[str] = ()  # modules that declare event handlers
    topics: dict = field(default_factory=dict)
    permissions: Sequence[Perm] = ()
    menu: Sequence[Entry] = ()
    audit_actions: dict = field(default_factory=dict)   # audit action -> label ("x.*": a state machine's noun)
    audit_fields: dict = field(default_factory=dict)    # field in an audit entry's changes -> label

    def __post_init__(self) -> None:
        if self.audit_actions or self.audit_fields:
            from app.core import audit

            audit.describe(self.audit_actions, self.audit_fields)
        if not (self.permissions or self.topics or self.menu):
            return
        from app.core import menu, outbox, permissions

        for perm in self.permissions:
            permissions.register(perm.code, perm.label, self.label, perm.roles, rank=self.position)
        for topic, label in self.topics.items():
            outbox.register_topic(topic, label)
        for entry in self.menu:
            if entry.permission not in permissions.REGISTRY:
                raise ValueError(f"menu entry {entry.endpoint} needs an unknown permission {entry.permission!r}")
            menu.add(entry.endpoint, entry.label, entry.permission, order=entry.order,
                     section=self.label if entry.section is _SAME else entry.section)

    @property
    def name(self) -> str:
        return self.package.rpartition(".")[2]

    def modules(self) -> list[str]:
        return [f"{self.package}.{name}" for name in (*self.models, *self.jobs, *self.handlers)]

    def resolved_blueprints(self) -> list:
        out = []
        for item in self.blueprints:
            if isinstance(item, str):
                module, _, attr = item.partition(":")
                item = getattr(importlib.import_module(f"{self.package}.{module}"), attr)
            out.append(item)
        return out


_loaded: list[Center] | None = None


def discover(package: str = CENTERS_PACKAGE) -> list[Center]:
    """Every center: the core machinery and each package under `package`, by position."""
    found = [CORE]
    root = importlib.import_module(package)
    for info in pkgutil.iter_modules(root.__path__, f"{package}."):
        if not info.ispkg:
            continue
        declared = getattr(importlib.import_module(info.name), "center", None)
        if not isinstance(declared, Center) or declared.package != info.name:
            raise RuntimeError(f"{info.name} has no `center = Center(__name__, ...)` in its __init__.py")
        found.append(declared)
    return sorted(found, key=lambda c: (c.position, c.name))


def load() -> list[Center]:
    """Discover the centers and import the modules they declare (once per process), plus any
    modules named in HOUTAI_EXTRA_MODULES (comma-separated; tests use it)."""
    global _loaded
    if _loaded is None:
        centers = discover()
        for center in centers:
            for module in center.modules():
                importlib.import_module(module)
        from app.core import permissions

        permissions.sort_by_rank()
        _loaded = centers
    for name in filter(None, os.environ.get("HOUTAI_EXTRA_MODULES", "").split(",")):
        importlib.import_module(name.strip())
    return _loaded


# The cross-cutting machinery: its blueprint (home, health, language) and its own tables and jobs.
CORE = Center("app.core", position=0, blueprints=["routes:bp"],
              models=["audit", "outbox", "tasks", "savedfilters"], jobs=["mail"])
