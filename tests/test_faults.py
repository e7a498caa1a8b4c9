"""Disk and permission faults: a clear one-line error, exit 1, the previous site intact
and nothing left behind; a cache that cannot be written only costs time."""

from __future__ import annotations

import resource
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import ROOT, run_cli, tree_digest


def leftovers(project: Path) -> list[str]:
    return [p.name for p in project.iterdir() if p.name.startswith(".output.")]


def test_a_full_disk_leaves_the_previous_site(project: Path, good_output: dict[str, bytes]) -> None:
    """Files over 30 kB cannot be written (as on a full disk: EFBIG, like ENOSPC)."""

    def small_files() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (30_000, 30_000))

    (project / "content/pages/about.md").write_text("---\ntitle: About\n---\n\nNew.\n")
    result = subprocess.run(
        [sys.executable, str(ROOT / "build.py"), "--root", str(project), "--clean"],
        preexec_fn=small_files,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1
    assert "error: could not write the site: File too large" in result.stderr
    assert "Traceback" not in result.stderr
    assert tree_digest(project / "output") == good_output
    assert not leftovers(project)


def test_a_cache_that_cannot_be_written_only_costs_time(project: Path, tmp_path: Path) -> None:
    (project / ".briefing-cache").write_text("a file where the cache folder would be")
    result = run_cli("--root", str(project), "-q")
    assert result.returncode == 0, result.stderr
    again = run_cli("--root", str(project), "-q", "--output", str(tmp_path / "again"))
    assert again.returncode == 0
    assert tree_digest(project / "output") == tree_digest(tmp_path / "again")


def test_an_output_folder_that_refuses_writes_mid_build(
    project: Path,
    good_output: dict[str, bytes],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The folder holding the output refuses the swap of the new site for the old one
    (simulated: the test runs as any user, and root ignores file modes)."""
    import generator.output
    from generator import cli

    (project / "content/pages/about.md").write_text("---\ntitle: About\n---\n\nNew.\n")

    def refusing(first: Path, second: Path) -> None:
        raise PermissionError(13, "Permission denied", str(second))

    monkeypatch.setattr(generator.output, "_exchange", refusing)
    assert cli.main(["--root", str(project)]) == 1
    monkeypatch.undo()
    stderr = capsys.readouterr().err
    assert "error: could not write the site: Permission denied" in stderr
    assert tree_digest(project / "output") == good_output
    assert not leftovers(project)
