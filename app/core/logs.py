"""Logging for every process (web, worker, cron, CLI): one setup, done by create_app.

Records go to standard error and to ``instance/log/houtai.log`` (rotated). The stderr
handler looks up ``sys.stderr`` each time it writes, so a command run through Click's test
runner (as `make run` migrates) cannot leave logging bound to a stream that is gone, and
Alembic's own ``fileConfig`` is skipped once this setup is in place (migrations/env.py).
"""
from __future__ import annotations

import logging
import logging.handlers
import os
import sys
from pathlib import Path

FORMAT = "%(asctime)s %(levelname)s [%(name)s] %(message)s"
INFO_LOGGERS = ("app", "werkzeug", "rq.worker")


class CurrentStderrHandler(logging.StreamHandler):
    """Writes to whatever sys.stderr is now (like logging's last-resort handler)."""

    def __init__(self):
        super().__init__()

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, value):  # StreamHandler.__init__ assigns it; the property ignores it
        pass


def configure_logging(instance_path: str) -> None:
    """Install the handlers once per process; later calls change nothing."""
    root = logging.getLogger()
    if any(getattr(handler, "houtai", False) for handler in root.handlers):
        return
    formatter = logging.Formatter(FORMAT)
    level = os.environ.get("LOG_LEVEL", "INFO").upper()
    handlers: list[logging.Handler] = [CurrentStderrHandler()]
    log_dir = Path(instance_path) / "log"
    try:
        log_dir.mkdir(parents=True, exist_ok=True)
        handlers.append(logging.handlers.RotatingFileHandler(log_dir / "houtai.log", maxBytes=10 * 2 ** 20,
                                                             backupCount=5, encoding="utf-8", delay=True))
    except OSError as err:  # a read-only instance folder: stderr still gets everything
        print(f"Houtai: no file log in {log_dir}: {err}", file=sys.stderr)
    for handler in handlers:
        handler.houtai = True
        handler.setFormatter(formatter)
        root.addHandler(handler)
    if root.level == logging.NOTSET or root.level > logging.WARNING:
        root.setLevel(logging.WARNING)
    for name in INFO_LOGGERS:
        logger = logging.getLogger(name)
        if logger.level == logging.NOTSET:
            logger.setLevel(level)


def logging_configured() -> bool:
    return any(getattr(handler, "houtai", False) for handler in logging.getLogger().handlers)
