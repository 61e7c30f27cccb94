"""A center declares itself once (its `Center(...)` in __init__.py) and the app finds it:
nothing a center emits, runs or stores can be forgotten in some other list."""
import ast
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.blueprints.platform.models import Store
from app.core import centers, outbox
from app.core.tenancy import store_context
from app.extensions import db

ROOT = Path(__file__).resolve().parents[2]
APP = ROOT / "app"


def _emitted_topics():
    """(file:line, topic or f-string prefix, is_prefix) for every emit(...) call in app/."""
    found = []
    for path in APP.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.Call) and node.args and getattr(node.func, "id", getattr(node.func, "attr", None)) == "emit"):
                continue
            where, first = f"{path.relative_to(ROOT)}:{node.lineno}", node.args[0]
            if isinstance(first, ast.Constant) and isinstance(first.value, str):
                found.append((where, first.value, False))
            elif isinstance(first, ast.JoinedStr) and isinstance(first.values[0], ast.Constant):
                found.append((where, first.values[0].value, True))
            elif path.name not in ("outbox.py", "statemachine.py"):   # a machine's topics: see below
                found.append((where, ast.unparse(first), None))
    return found


def test_every_emitted_topic_is_declared_by_a_center(app):
    from app.core import statemachine

    emitted = _emitted_topics() + [(f"StateMachine {m.name}", topic, False)
                                   for m in statemachine.ALL for topic in sorted(m.emitted_topics())]
    assert len(emitted) > 15
    undeclared = [(where, topic) for where, topic, prefix in emitted
                  if prefix is None
                  or (not prefix and topic not in outbox.TOPICS)
                  or (prefix and not any(t.startswith(topic) for t in outbox.TOPICS))]
    assert undeclared == [], f"emitted but not in any Center(topics=...): {undeclared}"


def test_emitting_an_undeclared_topic_is_refused_and_writes_nothing(app, store):
    with app.app_context(), store_context(db.session.get(Store, store.id)):
        before = db.session.scalar(select(func.count()).select_from(outbox.OutboxEvent))
        with pytest.raises(ValueError, match="not declared"):
            outbox.emit("nobody.declared_this", {})
        assert db.session.scalar(select(func.count()).select_from(outbox.OutboxEvent)) == before


def test_shopper_sign_up_topic_is_offered_to_webhooks(app):
    assert "member.registered" in outbox.TOPICS


def test_every_package_under_blueprints_is_a_center(app):
    packages = {p.name for p in (APP / "blueprints").iterdir() if p.is_dir() and any(p.glob("*.py"))}
    discovered = {c.name for c in centers.load()} - {"core"}
    assert discovered == packages


def test_declared_modules_exist(app):
    for center in centers.load():
        for module in center.modules():
            relative = module.replace(".", "/")
            assert (ROOT / f"{relative}.py").exists() or (ROOT / relative / "__init__.py").exists(), module


# Run in a fresh interpreter: load what the centers declare, then import every module under
# app/; anything that registers more than the declarations did was forgotten by its center.
_PROBE = r"""
import importlib, json, pkgutil, sys
from app.core import centers, jobs, outbox, periodic, tasks
from app.extensions import db

def snapshot():
    return {"handlers": sorted(h.name for h in outbox.HANDLERS), "topics": sorted(outbox.TOPICS),
            "jobs": sorted(jobs.REGISTRY), "periodic": sorted(p.job_name for p in periodic.PERIODIC),
            "tasks": sorted(tasks.KINDS), "tables": sorted(db.metadata.tables)}

centers.load()
declared = snapshot()
import app
for info in pkgutil.walk_packages(app.__path__, "app."):
    importlib.import_module(info.name)
everything = snapshot()
json.dump({k: sorted(set(everything[k]) - set(declared[k])) for k in everything}, sys.stdout)
"""


def test_no_module_registers_handlers_jobs_or_tables_its_center_does_not_declare():
    env = {k: v for k, v in os.environ.items() if k != "HOUTAI_EXTRA_MODULES"}
    out = subprocess.run([sys.executable, "-c", _PROBE], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    forgotten = {k: v for k, v in json.loads(out.stdout.strip().splitlines()[-1]).items() if v}
    assert forgotten == {}, f"registered by modules no Center(...) names: {forgotten}"
