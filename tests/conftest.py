"""Shared fixtures: the real repository site built once, and disposable project copies."""

from __future__ import annotations

import re
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

from generator import build

ROOT = Path(__file__).resolve().parent.parent
PROJECT_PARTS = ("seeds", "content", "themes", "briefing.yaml")
BASE_URL = "https://example.org/briefing/"


@pytest.fixture(scope="session")
def site_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The repository's own content built into a temporary folder."""
    out = tmp_path_factory.mktemp("site") / "output"
    build(ROOT, out, base_url=BASE_URL, use_cache=False)
    return out


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A writable copy of the repository's inputs, to break on purpose."""
    return copy_project(tmp_path / "project")


def copy_project(dest: Path) -> Path:
    """Copy the repository's inputs (seeds, content, themes, settings) into dest."""
    dest.mkdir(parents=True, exist_ok=True)
    for part in PROJECT_PARTS:
        src = ROOT / part
        if src.is_dir():
            shutil.copytree(src, dest / part)
        else:
            shutil.copy2(src, dest / part)
    return dest


def run_cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run build.py as a user would, capturing its output."""
    return subprocess.run(
        [sys.executable, str(ROOT / "build.py"), *args],
        cwd=cwd or ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


def interruptible() -> None:
    """For a child the tests stop with Ctrl-C (SIGINT): it stops even when the tests run
    with SIGINT ignored, as a shell's background job does (an ignored signal is inherited,
    and Python then installs no Ctrl-C handler)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@dataclass
class Served:
    """A running `build.py serve`: its process, its address, and what it said before it."""

    process: subprocess.Popen[str]
    base: str
    said: str


def start_serve(project: Path, *options: str, seconds: float = 90) -> Served:
    """Start `build.py serve` on a port the system picks (--port 0: no other run of the
    tests can take it in between) and return once it says where it serves."""
    process = subprocess.Popen(
        [sys.executable, str(ROOT / "build.py"), "serve", "--root", str(project)]
        + ["--port", "0", *options],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=interruptible,
    )
    give_up = threading.Timer(seconds, process.kill)
    give_up.start()
    said: list[str] = []
    try:
        for line in process.stdout or ():
            said.append(line)
            if found := re.search(r" at (http://\S+/) \(Ctrl-C to stop\)", line):
                return Served(process, found[1], "".join(said))
    finally:
        give_up.cancel()
    process.kill()
    _, stderr = process.communicate()
    raise AssertionError(f"serve did not start:\n{''.join(said)}{stderr}")


def wait_for_server(url: str, seconds: float = 60) -> None:
    """Return once url answers at all (any status), or after seconds."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url, timeout=2).close()
            return
        except urllib.error.HTTPError:
            return
        except OSError:
            time.sleep(0.2)


def tree_digest(folder: Path) -> dict[str, bytes]:
    """Every file under folder with its bytes, to compare two trees exactly."""
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def edit(path: Path, old: str, new: str, count: int = 1) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, count), encoding="utf-8")


def line_of(path: Path, needle: str, occurrence: int = 1) -> int:
    lines = [
        i + 1
        for i, line in enumerate(path.read_text(encoding="utf-8").split("\n"))
        if needle in line
    ]
    return lines[occurrence - 1]


@pytest.fixture
def good_output(project: Path) -> dict[str, bytes]:
    """Build the unmodified copy once, so each test can break it and compare."""
    result = run_cli("--root", str(project), "-q")
    assert result.returncode == 0, result.stderr
    return tree_digest(project / "output")


def failing_build(project: Path, good_output: dict[str, bytes]) -> str:
    result = run_cli("--root", str(project))
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    assert tree_digest(project / "output") == good_output, "the previous site must stay"
    leftovers = [p.name for p in project.iterdir() if p.name.startswith(".output.")]
    assert not leftovers, "temporary folders are removed"
    return result.stderr
