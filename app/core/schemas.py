"""Store schemas: create one from the models, drop one, and keep all at the newest
tenant migration (``migrations/tenant/``).

Each store's Alembic version lives in its own schema (``<schema>.alembic_version``) and is
mirrored to ``platform.stores.schema_version`` for the platform's pages.
"""
from __future__ import annotations

import multiprocessing
import os
import re
import time
import weakref
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from alembic.config import Config as AlembicConfig
from alembic.runtime.environment import EnvironmentContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, text

from app.core.db import TENANT_SCHEMA, fleet_engine, is_tenant_table
from app.core.tenancy import SCHEMA_RE

ROOT = Path(__file__).resolve().parents[2]
TENANT_MIGRATIONS = ROOT / "migrations" / "tenant"
PLATFORM_MIGRATIONS = ROOT / "migrations"


POOL_SCHEMA_RE = re.compile(r"^pool_[0-9]+$")  # built ahead of time (platform/schema_pool.py)


def quote_schema(schema: str) -> str:
    if not SCHEMA_RE.match(schema) and not POOL_SCHEMA_RE.match(schema) and schema != TENANT_SCHEMA:
        raise ValueError(f"not a store schema name: {schema!r}")
    return f'"{schema}"'


class FleetTransactionError(RuntimeError):
    """Two stores' schemas were created, changed or dropped in one transaction."""


_DDL_KEY = "houtai_store_ddl"


def one_store_per_transaction(connection: Connection, schema: str) -> None:
    """Refuse DDL on a second store schema inside the transaction that changed another one.

    Creating, migrating or dropping a store locks every relation of its schema (about 500
    locks) until commit; PostgreSQL's lock table is shared and sized by
    max_locks_per_transaction, so a loop over stores in one transaction fails with "out of
    shared memory" after a few dozen stores. Fleet operations commit per store."""
    txn = connection.get_transaction()
    if txn is None:
        return
    previous = connection.info.get(_DDL_KEY)
    if previous is not None:
        ref, other = previous
        if ref() is txn and txn.is_active and other != schema:
            raise FleetTransactionError(
                f"{schema}: commit the transaction that changed {other} first "
                "(fleet operations hold one store's locks per transaction)")
    connection.info[_DDL_KEY] = (weakref.ref(txn), schema)


def tenant_script(location: Path | str | None = None) -> ScriptDirectory:
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(location or TENANT_MIGRATIONS))
    script = ScriptDirectory.from_config(cfg)
    script.houtai_config = cfg
    return script


_HEADS: dict[tuple, str] = {}


def tenant_head(location=None) -> str:
    """The newest tenant revision. Reading the scripts costs ~100 ms, so the answer is kept
    until a file in the versions folder is added, removed or changed."""
    versions = Path(location or TENANT_MIGRATIONS) / "versions"
    key = (str(versions), tuple(sorted((e.name, e.stat().st_mtime_ns) for e in os.scandir(versions)
                                       if e.name.endswith(".py"))))
    if key not in _HEADS:
        _HEADS[key] = tenant_script(location).get_current_head()
    return _HEADS[key]


def tenant_tables():
    from app.extensions import db

    return [t for t in db.metadata.sorted_tables if is_tenant_table(t)]


_PLACEHOLDER = "houtai_new_store_schema"
_DDL_SCRIPTS: dict[tuple, str] = {}


def tenant_ddl() -> str:
    """The SQL that creates every tenant table (with what their `after_create` listeners add,
    such as default rows) in the schema `houtai_new_store_schema`, as one script.

    SQLAlchemy's create_all sends some 260 statements one by one and compiles each again for
    every store; the script is compiled once per process (from the models, so it cannot drift
    from them; tests/core/test_schemas.py compares the result with a migrated schema) and
    sent in one round trip."""
    from sqlalchemy import create_mock_engine
    from sqlalchemy.dialects import postgresql
    from sqlalchemy.sql.ddl import ExecutableDDLElement

    from app.extensions import db

    tables = tenant_tables()
    key = (id(db.metadata), tuple(t.name for t in tables))
    if key not in _DDL_SCRIPTS:
        captured: list = []
        mock = create_mock_engine("postgresql+psycopg://", lambda sql, *multi, **params: captured.append((sql, multi)))
        db.metadata.create_all(mock, tables=tables, checkfirst=False)
        dialect = postgresql.psycopg.dialect()
        options = {"schema_translate_map": {TENANT_SCHEMA: _PLACEHOLDER}, "render_schema_translate": True}
        script = []
        for sql, multi in captured:
            if isinstance(sql, ExecutableDDLElement):
                script.append(str(sql.compile(dialect=dialect, **options)))
                continue
            rows = [row for params in multi for row in (params if isinstance(params, list) else [params])]
            statement = sql.values(rows) if rows else sql
            script.append(str(statement.compile(dialect=dialect, compile_kwargs={"literal_binds": True}, **options)))
        _DDL_SCRIPTS[key] = ";\n".join(script)
    return _DDL_SCRIPTS[key]


def create_tenant_schema(connection: Connection, schema: str, location=None) -> str:
    """Create `schema` with every tenant table, stamped at the newest revision.
    Runs in the caller's transaction, so a later failure leaves no schema behind."""
    qs = quote_schema(schema)
    head = tenant_head(location)
    if not re.fullmatch(r"[0-9A-Za-z_]+", head):
        raise ValueError(f"not a revision id: {head!r}")
    script = tenant_ddl().replace(_PLACEHOLDER, qs)
    connection.execute(text(f"CREATE SCHEMA {qs}"))
    one_store_per_transaction(connection, schema)
    # no parameters: the driver sends the script as one simple query (several statements, one round trip)
    connection.exec_driver_sql(
        f"{script};\nCREATE TABLE {qs}.alembic_version (version_num VARCHAR(32) NOT NULL, "
        f"CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num));\n"
        f"INSERT INTO {qs}.alembic_version (version_num) VALUES ('{head}')")
    return head


def drop_tenant_schema(connection: Connection, schema: str) -> None:
    connection.execute(text(f"DROP SCHEMA IF EXISTS {quote_schema(schema)} CASCADE"))
    one_store_per_transaction(connection, schema)


def schema_version(connection: Connection, schema: str) -> str | None:
    """The schema's Alembic revision, or None when it has no version table."""
    table = f"{quote_schema(schema)}.alembic_version"
    if connection.execute(text("SELECT to_regclass(:t)"), {"t": table}).scalar() is None:
        return None
    return connection.execute(text(f"SELECT version_num FROM {table}")).scalar()


def upgrade_tenant(connection: Connection, schema: str, target: str = "head", location=None,
                   script: ScriptDirectory | None = None) -> tuple[str | None, str]:
    """Bring one store schema to `target` in one transaction; returns (before, after)."""
    script = script or tenant_script(location)
    cfg = script.houtai_config
    with connection.begin():
        before = schema_version(connection, schema)
        wanted = script.get_current_head() if target == "head" else target
        if before == wanted:
            return before, before
        connection.execute(text(f"SET LOCAL search_path TO {quote_schema(schema)}"))
        one_store_per_transaction(connection, schema)

        def upgrade(rev, context):
            return script._upgrade_revs(target, rev)

        with EnvironmentContext(cfg, script, fn=upgrade, destination_rev=target) as env:
            env.configure(connection=connection, version_table_schema=schema, transactional_ddl=True)
            with env.begin_transaction():
                env.run_migrations()
        after = schema_version(connection, schema)
    return before, after


@dataclass
class MigrateResult:
    schema: str
    ok: bool
    before: str | None = None
    after: str | None = None
    error: str | None = None
    seconds: float = 0.0


def _migrate_batch(url: str, schemas: list[str], location, args: dict | None = None) -> list[MigrateResult]:
    engine = fleet_engine(url, args)
    script = tenant_script(location)
    results = []
    with engine.connect() as conn:
        for schema in schemas:
            started = time.perf_counter()
            try:
                before, after = upgrade_tenant(conn, schema, location=location, script=script)
                results.append(MigrateResult(schema, True, before, after, seconds=time.perf_counter() - started))
            except Exception as err:  # one store's failure must not stop the others
                if conn.in_transaction():
                    conn.rollback()
                results.append(MigrateResult(schema, False, error=f"{type(err).__name__}: {err}",
                                             seconds=time.perf_counter() - started))
    engine.dispose()
    return results


def migrate_schemas(url: str, schemas: list[str], jobs: int = 1, location=None,
                    args: dict | None = None, per_process: int = 25) -> list[MigrateResult]:
    """Upgrade every schema to head. Stores already at head are found with one cheap query
    each; the rest are upgraded `jobs` processes at a time (processes, not threads: Alembic's
    `op` proxy is global). A store that fails is reported and the others go on. `args` are
    the app's connection arguments (`core.db.connect_args`); by default nothing is prepared."""
    if not schemas:
        return []
    head = tenant_head(location)
    done, pending = [], []
    engine = fleet_engine(url, args)
    # autocommit: each look at a store's version table is its own transaction, so the scan
    # never holds a lock on every store's table at once
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        for schema in schemas:
            try:
                version = schema_version(conn, schema)
            except Exception as err:  # reported below like any other failure
                done.append(MigrateResult(schema, False, error=f"{type(err).__name__}: {err}"))
                continue
            if version == head:
                done.append(MigrateResult(schema, True, version, version))
            else:
                pending.append(schema)
    engine.dispose()
    # a process costs about half a second to start: only worth it for `per_process` stores or more
    jobs = max(1, min(jobs, len(pending) // per_process))
    if jobs == 1:
        upgraded = _migrate_batch(url, pending, location, args) if pending else []
    else:
        batches = [pending[i::jobs] for i in range(jobs)]
        ctx = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=jobs, mp_context=ctx) as pool:
            parts = pool.map(_migrate_batch, [url] * jobs, batches, [location] * jobs, [args] * jobs)
            upgraded = [r for part in parts for r in part]
    order = {s: i for i, s in enumerate(schemas)}
    return sorted(done + upgraded, key=lambda r: order[r.schema])


REVISION_TEMPLATE = '''"""{message}

Revision ID: {rev_id}
Revises: {down}
Create Date: {date}

Tenant revision: runs once per store schema, with search_path set to that schema.
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = {rev_id!r}
down_revision = {down!r}
branch_labels = None
depends_on = None


def upgrade():
{upgrade}


def downgrade():
{downgrade}
'''


def _unqualify(code: str) -> str:
    """Drop the placeholder schema from rendered ops (tenant scripts run on search_path)."""
    code = re.sub(r",\s*schema='tenant'", "", code)
    code = re.sub(r"^\s*schema='tenant'\n", "", code, flags=re.M)
    code = code.replace("astext_type=Text()", "astext_type=sa.Text()")
    code = re.sub(r"^# ###", "    # ###", code, flags=re.M)
    return code.replace("'tenant.", "'")


def autogenerate_tenant_revision(engine, message: str, location=None) -> Path | None:
    """Write a tenant revision for the difference between the models and a scratch schema
    upgraded to the current head. Returns the new file, or None when nothing changed.

    The scratch schema is named like the placeholder (``tenant``) so that the models
    compare against it as they are."""
    from alembic.autogenerate import produce_migrations, render_python_code
    from alembic.runtime.migration import MigrationContext

    from app.core.db import utcnow
    from app.extensions import db

    script = tenant_script(location)
    with engine.connect() as conn:
        conn.execute(text(f'DROP SCHEMA IF EXISTS "{TENANT_SCHEMA}" CASCADE; CREATE SCHEMA "{TENANT_SCHEMA}"'))
        conn.commit()
        if script.get_current_head():
            upgrade_tenant(conn, TENANT_SCHEMA, script=script)
        ctx = MigrationContext.configure(conn, opts={
            "target_metadata": db.metadata, "include_schemas": True, "version_table_schema": TENANT_SCHEMA,
            "include_name": lambda name, type_, parent: type_ != "schema" or name == TENANT_SCHEMA,
            "include_object": lambda obj, name, type_, r, c: type_ != "table" or obj.schema == TENANT_SCHEMA,
        })
        ops = produce_migrations(ctx, db.metadata)
        conn.rollback()
        conn.execute(text(f'DROP SCHEMA "{TENANT_SCHEMA}" CASCADE'))
        conn.commit()
    if ops.upgrade_ops.is_empty():
        return None
    down = script.get_current_head()
    rev_id = f"{int(down or 0) + 1:04d}"
    render = {"alembic_module_prefix": "op.", "sqlalchemy_module_prefix": "sa."}
    body = REVISION_TEMPLATE.format(
        message=message, rev_id=rev_id, down=down, date=utcnow().isoformat(timespec="seconds"),
        upgrade=_unqualify(render_python_code(ops.upgrade_ops, **render)),
        downgrade=_unqualify(render_python_code(ops.downgrade_ops, **render)),
    )
    slug = "_".join(message.lower().split())[:40]
    path = Path(location or TENANT_MIGRATIONS) / "versions" / f"{rev_id}_{slug}.py"
    path.write_text(body)
    return path
