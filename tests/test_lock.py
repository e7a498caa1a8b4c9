"""Two builds of one project at once (two terminals, a build beside serve): the second
waits for the first, with a message, and gives up with a clear error after --wait."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from generator.cache import CACHE_DIR
from generator.lock import BuildLock

from .conftest import ROOT, run_cli, tree_digest


def test_a_second_build_gives_up_after_waiting(
    project: Path, good_output: dict[str, bytes]
) -> None:
    (project / "content/pages/about.md").write_text("---\ntitle: About\n---\n\nNew.\n")
    lock = BuildLock(project / CACHE_DIR)
    lock.acquire()
    try:
        started = time.monotonic()
        result = run_cli("--root", str(project), "--wait", "1")
        waited = time.monotonic() - started
    finally:
        lock.release()
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "waiting for another build of this project to finish (process " in result.stderr
    assert "is still running after 1 s" in result.stderr and "--wait" in result.stderr
    assert waited >= 1
    assert tree_digest(project / "output") == good_output, "nothing was written"


def test_a_second_build_waits_for_the_first_then_runs(project: Path) -> None:
    lock = BuildLock(project / CACHE_DIR)
    lock.acquire()
    second = subprocess.Popen(
        [sys.executable, str(ROOT / "build.py"), "--root", str(project), "-q"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        time.sleep(1.5)
        assert second.poll() is None, "it waits while the lock is held"
        assert not (project / "output").exists()
    finally:
        lock.release()
    _, stderr = second.communicate(timeout=120)
    assert second.returncode == 0, stderr
    assert "waiting for another build of this project" in stderr
    assert (project / "output/index.html").is_file()


def test_a_killed_build_leaves_no_lock_behind(project: Path) -> None:
    """The system releases a dead process's lock: the next build runs at once."""
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; from pathlib import Path; from generator.lock import BuildLock;"
            "BuildLock(Path(sys.argv[1])).acquire(); print('held', flush=True); time.sleep(60)",
            str(project / CACHE_DIR),
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout and holder.stdout.readline().strip() == "held"
    holder.kill()
    holder.communicate()
    result = run_cli("--root", str(project), "-q", "--wait", "2")
    assert result.returncode == 0, result.stderr
    assert "waiting" not in result.stderr


def test_clean_waits_for_a_running_build_and_keeps_the_lock_file(
    project: Path, good_output: dict[str, bytes]
) -> None:
    """--clean removes the cache and the spare only when no build of the project runs
    (serve may be bringing the spare up to date), and never the lock file itself."""
    lock = BuildLock(project / CACHE_DIR)
    lock.acquire()
    try:
        result = run_cli("--root", str(project), "--clean", "--wait", "1")
    finally:
        lock.release()
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "is still running after 1 s" in result.stderr
    assert (project / CACHE_DIR / "last-build.json").exists(), "the cache was left alone"
    assert run_cli("--root", str(project), "--clean", "-q").returncode == 0
    assert [p.name for p in (project / CACHE_DIR).iterdir() if p.name == "lock"] == ["lock"]
    assert tree_digest(project / "output") == good_output
