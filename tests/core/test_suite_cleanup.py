"""A test run cleans up after itself: its embedded PostgreSQL and Redis stop and its instance
folder (about a gigabyte after a full run) goes, also when the run is terminated. Runs that
left them behind once filled a build machine's disk."""
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _run_probe(tmp_path: Path, sleep: float) -> tuple[subprocess.Popen, Path]:
    marker = tmp_path / "instance.txt"
    env = dict(os.environ, TMPDIR=str(tmp_path), PROBE_MARKER=str(marker), PROBE_SLEEP=str(sleep))
    env.pop("HOUTAI_INSTANCE", None)
    env.pop("HOUTAI_KEEP_TEST_INSTANCE", None)
    proc = subprocess.Popen([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                             "tests/support/instance_probe.py"], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    return proc, marker


def _probed(marker: Path) -> tuple[Path, int]:
    instance, pid = marker.read_text().split("\n")
    return Path(instance), int(pid)


def _alive(pid: int) -> bool:
    """Is the process running? An exited process its parent has not reaped yet (a zombie) is not."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state not in ("Z", "X")


def _assert_clean(tmp_path: Path, marker: Path) -> None:
    instance, postmaster = _probed(marker)
    assert not instance.exists(), f"{instance} left behind"
    assert not list(tmp_path.glob("houtai-test-*"))
    assert not _alive(postmaster), "the run's PostgreSQL is still running"


def test_a_finished_run_stops_its_servers_and_removes_its_folder(tmp_path):
    proc, marker = _run_probe(tmp_path, 0)
    output = proc.communicate(timeout=300)[0].decode()
    assert proc.returncode == 0, output[-3000:]
    _assert_clean(tmp_path, marker)


def test_a_terminated_run_cleans_up_too(tmp_path):
    proc, marker = _run_probe(tmp_path, 120)
    deadline = time.monotonic() + 240
    while not marker.exists():
        assert proc.poll() is None, proc.stdout.read().decode()[-3000:]
        assert time.monotonic() < deadline, "the probe never started its servers"
        time.sleep(0.2)
    assert _alive(_probed(marker)[1])
    proc.send_signal(signal.SIGTERM)          # what `timeout` and a cancelled CI job send
    proc.communicate(timeout=120)
    _assert_clean(tmp_path, marker)
