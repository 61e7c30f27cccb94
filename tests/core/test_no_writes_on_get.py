"""Reading never writes: no GET route sends an INSERT, UPDATE or DELETE, and views commit
only through the shared helpers of app/core/formview.py (one commit per request, at its
boundary), never by calling the session themselves."""
import pathlib
import re

from sqlalchemy import event

from tests.core.test_routes import WALKED, seed, urls_for

APP = pathlib.Path(__file__).resolve().parents[2] / "app"
WRITES = re.compile(r"^\s*(INSERT|UPDATE|DELETE|MERGE|TRUNCATE)\b", re.I)
# GET routes whose job is a write that a link must be able to trigger
ALLOWED_GET_WRITES: set[str] = set()


def _view_modules():
    for path in sorted((APP / "blueprints").rglob("*.py")):
        if path.name == "views.py" or path.name.endswith("_views.py") or path.name == "cart.py":
            yield path


def test_views_commit_only_through_the_shared_helpers():
    offenders = []
    for path in _view_modules():
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if re.search(r"\bdb\.session\.(commit|rollback)\(", line):
                offenders.append(f"{path.relative_to(APP)}:{number}: {line.strip()}")
    # the storefront checkout (being reshaped with freight), and a dry run, whose rollback is its point
    allowed = [o for o in offenders if o.startswith("blueprints/storefront/views.py") or "dry run" in o]
    assert [o for o in offenders if o not in allowed] == []


def test_no_get_route_writes_to_the_database(app, make_store):
    from app.extensions import db
    from tests import factories as f

    store = make_store()
    rows = seed(store, "GETWALK")
    owner = f.client("store", store=store)
    shopper = f.shopper_client(store, rows["member"][0])
    with app.app_context():
        engine = db.engine
    writes: list[str] = []

    def hit(conn, cursor, statement, *args):
        if WRITES.match(statement):
            writes.append(statement.split("\n")[0][:120])

    visited, wrong = 0, []
    rules = [r for r in app.url_map.iter_rules() if "GET" in r.methods and r.endpoint not in ALLOWED_GET_WRITES
             and r.endpoint != "static" and r.rule.startswith(WALKED)]
    event.listen(engine, "before_cursor_execute", hit)
    try:
        for rule in rules:
            client = owner if rule.rule.startswith("/store/") else shopper
            for path in urls_for(rule, store.slug, rows)[:2]:
                writes.clear()
                client.get(path)
                visited += 1
                if writes:
                    wrong.append((path, list(writes)))
        writes.clear()                        # the listener sees writes: a POST that writes shows up
        owner.form(f"/store/{store.slug}/orders/{rows['order'][0]}/note", {"note": "walk"})
        assert any(w.upper().startswith("INSERT") for w in writes)
    finally:
        event.remove(engine, "before_cursor_execute", hit)
    assert visited > 80
    assert wrong == []
