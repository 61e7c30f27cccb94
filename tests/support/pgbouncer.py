"""A real PgBouncer (Debian's /usr/sbin/pgbouncer) in transaction mode in front of the
embedded test PostgreSQL, started from the deployment example deploy/pgbouncer.ini with
only its addresses, authentication and pool size replaced."""
from __future__ import annotations

import configparser
import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "deploy" / "pgbouncer.ini"
BINARY = os.environ.get("PGBOUNCER", shutil.which("pgbouncer") or "/usr/sbin/pgbouncer")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def upstream(url: str) -> tuple[str, str, int, str, str]:
    """(host or socket folder, database, port, user, password) of a SQLAlchemy/libpq URL; the
    embedded server gives `postgresql+psycopg://postgres:@/db?host=/socket/folder`."""
    parts = urlsplit(url)
    query = parse_qs(parts.query)
    host = query.get("host", [parts.hostname or "127.0.0.1"])[0]
    port = int(query.get("port", [parts.port or 5432])[0])
    return host, parts.path.lstrip("/"), port, parts.username or "postgres", parts.password or ""


class PgBouncer:
    """pgbouncer = PgBouncer(direct_url, pool_size=4).start(); pgbouncer.url; pgbouncer.stop()."""

    def __init__(self, direct_url: str, pool_size: int = 4, **settings):
        self.direct_url = direct_url
        self.pool_size = pool_size
        self.settings = settings
        self.port = _free_port()
        self.folder = Path(tempfile.mkdtemp(prefix="houtai-pgbouncer-"))
        self.proc: subprocess.Popen | None = None
        host, self.database, self.upstream_port, self.user, _password = upstream(direct_url)
        self.upstream_host = host

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://{self.user}@127.0.0.1:{self.port}/{self.database}"

    @property
    def conninfo(self) -> str:
        return f"host=127.0.0.1 port={self.port} user={self.user} dbname={self.database}"

    @property
    def log(self) -> Path:
        return self.folder / "pgbouncer.log"

    def config(self) -> configparser.ConfigParser:
        ini = configparser.ConfigParser(interpolation=None, inline_comment_prefixes=(";",))
        ini.optionxform = str
        ini.read(EXAMPLE)
        ini.remove_section("databases")
        ini.add_section("databases")
        ini["databases"][self.database] = (f"host={self.upstream_host} port={self.upstream_port} "
                                           f"dbname={self.database}")
        bouncer = ini["pgbouncer"]
        bouncer.update({
            "listen_addr": "127.0.0.1", "listen_port": str(self.port), "unix_socket_dir": "",
            "auth_type": "trust", "auth_file": str(self.folder / "userlist.txt"),
            "default_pool_size": str(self.pool_size), "reserve_pool_size": "0",
            "admin_users": self.user,
        })
        if os.geteuid() == 0:  # PgBouncer refuses to run as root; the embedded server's user will do
            bouncer["user"] = "pgserver"
        bouncer.update({k: str(v) for k, v in self.settings.items()})
        return ini

    def start(self) -> "PgBouncer":
        self.folder.chmod(0o755)
        (self.folder / "userlist.txt").write_text(f'"{self.user}" ""\n')
        with open(self.folder / "pgbouncer.ini", "w") as fh:
            self.config().write(fh)
        for path in self.folder.iterdir():
            path.chmod(0o644)
        log = open(self.log, "ab")
        self.proc = subprocess.Popen([BINARY, str(self.folder / "pgbouncer.ini")], stdout=log,
                                     stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"pgbouncer exited: {self.log.read_text()[-2000:]}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return self
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"pgbouncer did not listen on {self.port}: {self.log.read_text()[-2000:]}")

    def show(self, what: str) -> list[dict]:
        """SHOW POOLS / SERVERS / STATS ... on the admin console."""
        import psycopg
        from psycopg.rows import dict_row

        conn = psycopg.connect(f"host=127.0.0.1 port={self.port} user={self.user} dbname=pgbouncer",
                               autocommit=True, prepare_threshold=None, row_factory=dict_row)
        try:
            return conn.execute(f"SHOW {what}").fetchall()
        finally:
            conn.close()

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        shutil.rmtree(self.folder, ignore_errors=True)
