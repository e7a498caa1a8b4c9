"""Nothing outside the project is read: an input that is a link out of the project (or
sits in a linked folder) is refused with its file and line; links inside are fine."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from .conftest import failing_build, line_of, run_cli, tree_digest

SECRET = "A PRIVATE FILE OF THE BUILDER'S MACHINE, never to be published."


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A folder beside the project, standing for the rest of the builder's machine."""
    folder = tmp_path / "elsewhere"
    folder.mkdir()
    (folder / "secret.txt").write_text(f"A Title\n\n{SECRET}\n", encoding="utf-8")
    return folder


def add_entry(project: Path, name: str) -> None:
    with (project / "seeds/sources.yaml").open("a", encoding="utf-8") as handle:
        handle.write(
            f"\n- id: linked\n  file: {name}\n  title: null\n  outlet: null\n  author: null\n"
            "  date: null\n  url: null\n  kind: news\n  language: en\n  tags: []\n"
            "  note: a test\n"
        )


def refused(project: Path, good_output: dict[str, bytes]) -> str:
    """The build fails, the previous site stays, and the secret is nowhere in it."""
    stderr = failing_build(project, good_output)
    assert "outside the project" in stderr and "Traceback" not in stderr
    output = project / "output"
    assert not [p for p in output.rglob("*") if p.is_file() and SECRET.encode() in p.read_bytes()]
    return stderr


def test_a_seed_linking_out_of_the_project_is_refused_at_its_entry(
    project: Path, good_output: dict[str, bytes], outside: Path
) -> None:
    (project / "seeds/linked.txt").symlink_to(outside / "secret.txt")
    add_entry(project, "linked.txt")
    stderr = refused(project, good_output)
    line = line_of(project / "seeds/sources.yaml", "file: linked.txt")
    assert f"seeds/sources.yaml:{line}: error: seeds/linked.txt is a link to " in stderr


@pytest.mark.parametrize("linked", ["seeds", "content", "themes/default", "briefing.yaml"])
def test_a_linked_input_folder_or_file_outside_is_refused(
    project: Path, good_output: dict[str, bytes], outside: Path, linked: str
) -> None:
    """The link may be a folder above the files read: the seeds folder, a theme."""
    moved = outside / linked.replace("/", "-")
    shutil.move(project / linked, moved)
    (project / linked).symlink_to(moved, target_is_directory=moved.is_dir())
    if linked == "seeds":
        (moved / "secret.txt").write_text(f"A Title\n\n{SECRET}\n", encoding="utf-8")
        add_entry(project, "secret.txt")
    stderr = refused(project, good_output)
    assert f"{linked}: error: {linked} is a link to {moved}" in stderr


def test_a_link_deep_in_a_theme_is_refused_with_its_path(
    project: Path, good_output: dict[str, bytes], outside: Path
) -> None:
    (project / "themes/default/static/fonts").mkdir()
    (project / "themes/default/static/fonts/body.woff2").symlink_to(outside / "secret.txt")
    stderr = refused(project, good_output)
    linked = "themes/default/static/fonts/body.woff2"
    assert f"{linked}: error: {linked} is a link to {outside / 'secret.txt'}" in stderr


def test_links_inside_the_project_are_followed(project: Path, tmp_path: Path) -> None:
    """A seed kept elsewhere in the project, and a theme folder linked to another."""
    archive = project / "archive"
    archive.mkdir()
    seed = project / "seeds/004_e05ee51f43f3a64c.txt"
    shutil.move(seed, archive / "kept.txt")
    seed.symlink_to(Path("../archive/kept.txt"))
    shutil.move(project / "themes/default", archive / "theme")
    (project / "themes/default").symlink_to(archive / "theme", target_is_directory=True)
    result = run_cli("--root", str(project), "-q", "--output", str(tmp_path / "linked"))
    assert result.returncode == 0, result.stderr
    plain = tmp_path / "plain"
    (project / "themes/default").unlink()
    shutil.copytree(archive / "theme", project / "themes/default")
    seed.unlink()
    shutil.copy(archive / "kept.txt", seed)
    assert run_cli("--root", str(project), "-q", "--output", str(plain)).returncode == 0
    assert tree_digest(tmp_path / "linked") == tree_digest(plain)
