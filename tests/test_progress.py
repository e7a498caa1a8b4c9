"""A long build on a terminal shows where it is on one updating line, and leaves only its
summary; piped, it prints the summary and problems only."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import ROOT

sys.path.insert(0, str(ROOT / "bench"))
from corpus import generate  # noqa: E402


@pytest.fixture(scope="module")
def large_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A site whose cold build takes a few seconds in one process."""
    return generate(tmp_path_factory.mktemp("large"), 800, 40, ROOT)["briefing"]


def build_on_a_terminal(site: Path, *options: str) -> str:
    """Run build.py with its standard error on a pseudo-terminal; what the terminal got."""
    leader, follower = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, str(ROOT / "build.py"), "--root", str(site), *options],
        stdout=subprocess.DEVNULL,
        stderr=follower,
        stdin=subprocess.DEVNULL,
    )
    os.close(follower)
    received = b""
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # the other end closed
            break
        if not chunk:
            break
        received += chunk
    process.wait(timeout=120)
    os.close(leader)
    assert process.returncode == 0, received.decode(errors="replace")
    return received.decode("utf-8", errors="replace")


def shown(terminal: str) -> str:
    """What is left on screen: each carriage return and erase-line redraws its line."""
    lines = []
    for line in terminal.replace("\r\n", "\n").split("\n"):
        lines.append(line.split("\r")[-1].replace("\x1b[K", ""))
    return "\n".join(lines)


def test_a_long_build_on_a_terminal_shows_its_progress_then_only_the_summary(
    large_site: Path, tmp_path: Path
) -> None:
    terminal = build_on_a_terminal(
        large_site, "--jobs", "1", "--no-search", "-o", str(tmp_path / "out")
    )
    redraws = [part for part in terminal.split("\r\x1b[K") if part.strip()]
    assert len(redraws) >= 3, terminal[:500]
    assert any(" of " in part and " files · " in part for part in redraws), redraws[:5]
    assert any("source pages" in part for part in redraws), redraws[:5]  # the stage's name
    seconds = [float(part.split(" s", 1)[0]) for part in redraws]
    assert seconds == sorted(seconds) and seconds[0] >= 1.0, "after a second, the time so far"
    # Once done, the progress line is gone: what stays is what a piped build prints.
    assert "files ·" not in shown(terminal)


def test_a_piped_build_prints_no_progress(large_site: Path, tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "build.py"), "--root", str(large_site), "--jobs", "1"]
        + ["--no-search", "-o", str(tmp_path / "out")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "\r" not in result.stderr and "\x1b" not in result.stderr
    assert result.stdout.startswith("built ") and result.stdout.count("\n") == 1
