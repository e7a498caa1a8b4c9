"""Bad input gives located errors, the promised exit codes, and leaves the last site intact."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from .conftest import edit, failing_build, line_of, run_cli

SOURCES = "seeds/sources.yaml"


def test_unknown_key_in_sources_yaml(project: Path, good_output: dict[str, bytes]) -> None:
    edit(project / SOURCES, "  outlet: Kyiv Post\n", "  outlet: Kyiv Post\n  publisher: KP\n")
    stderr = failing_build(project, good_output)
    line = line_of(project / SOURCES, "publisher: KP")
    assert f"{SOURCES}:{line}: error: unknown key 'publisher'" in stderr


def test_duplicate_id(project: Path, good_output: dict[str, bytes]) -> None:
    edit(project / SOURCES, "- id: blinken-meets-wang-yi", "- id: us-china-exchanging-blows")
    stderr = failing_build(project, good_output)
    line = line_of(project / SOURCES, "id: us-china-exchanging-blows", occurrence=2)
    first = line_of(project / SOURCES, "id: us-china-exchanging-blows")
    assert f"{SOURCES}:{line}: error: duplicate id 'us-china-exchanging-blows'" in stderr
    assert f"first used on line {first}" in stderr


def test_entry_for_missing_file_and_file_without_entry(
    project: Path, good_output: dict[str, bytes]
) -> None:
    (project / "seeds" / "002_83635ddb805a6a13.txt").rename(project / "seeds" / "renamed.txt")
    stderr = failing_build(project, good_output)
    line = line_of(project / SOURCES, "file: 002_83635ddb805a6a13.txt")
    assert f"{SOURCES}:{line}: error: file '002_83635ddb805a6a13.txt' does not exist" in stderr
    assert "seeds/renamed.txt: error: seed file has no entry in sources.yaml" in stderr
    assert "2 error(s)" in stderr, "all errors of a run are listed"


def test_malformed_sources_yaml(project: Path, good_output: dict[str, bytes]) -> None:
    edit(project / SOURCES, "  kind: news\n", "  kind: [news\n")
    stderr = failing_build(project, good_output)
    assert re.search(rf"{SOURCES}:\d+: error: malformed YAML", stderr)


def test_bad_kind_and_date(project: Path, good_output: dict[str, bytes]) -> None:
    edit(project / SOURCES, "  kind: opinion\n", "  kind: blog\n")
    edit(project / SOURCES, "  date: 2022-01-30\n", "  date: 30/01/2022\n")
    stderr = failing_build(project, good_output)
    assert f"{SOURCES}:{line_of(project / SOURCES, 'kind: blog')}: error: kind 'blog'" in stderr
    assert f"{SOURCES}:{line_of(project / SOURCES, 'date: 30/01/2022')}: error:" in stderr


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"\xff\xfe bad bytes", "not valid UTF-8 (byte 0xff at offset 0)"),
        (b"text\x00more", "contains a NUL byte"),
        (b"   \n", "file is empty"),
    ],
)
def test_unreadable_seed(
    project: Path, good_output: dict[str, bytes], content: bytes, message: str
) -> None:
    (project / "seeds" / "000_679f8ecbde50baa4.txt").write_bytes(content)
    stderr = failing_build(project, good_output)
    assert "seeds/000_679f8ecbde50baa4.txt" in stderr and message in stderr


def test_front_matter_errors_are_located(project: Path, good_output: dict[str, bytes]) -> None:
    topic = project / "content/topics/spy-balloon.md"
    edit(topic, "title: Spy balloon\n", "title: Spy balloon\nauthor: me\nupdated: someday\n")
    stderr = failing_build(project, good_output)
    rel = "content/topics/spy-balloon.md"
    assert (
        f"{rel}:{line_of(topic, 'author: me')}: error: unknown front matter key 'author'" in stderr
    )
    assert f"{rel}:{line_of(topic, 'updated: someday')}: error: updated:" in stderr


def test_malformed_front_matter(project: Path, good_output: dict[str, bytes]) -> None:
    topic = project / "content/topics/spy-balloon.md"
    edit(topic, "tags: [", "tags: [[")
    stderr = failing_build(project, good_output)
    assert re.search(r"content/topics/spy-balloon.md:\d+: error: malformed YAML", stderr)


def test_missing_front_matter_and_title(project: Path, good_output: dict[str, bytes]) -> None:
    (project / "content/topics/new.md").write_text("Just text.\n", encoding="utf-8")
    (project / "content/pages/untitled.md").write_text(
        "---\nsummary: x\n---\nText\n", encoding="utf-8"
    )
    stderr = failing_build(project, good_output)
    assert "content/topics/new.md:1: error: no front matter" in stderr
    assert "content/pages/untitled.md:2: error: missing title" in stderr


def test_broken_template_is_reported(project: Path, good_output: dict[str, bytes]) -> None:
    edit(
        project / "themes/default/templates/tag.html",
        "{% block main %}",
        "{% block main %}{% if %}",
    )
    stderr = failing_build(project, good_output)
    assert "themes/default/templates/tag.html:" in stderr and "template error" in stderr


def test_usage_errors_exit_2(project: Path) -> None:
    for args in (
        ["--no-such-flag"],
        ["--base-url", "ftp://example.org"],
        ["--root", "/nonexistent"],
    ):
        result = run_cli(*args)
        assert result.returncode == 2, args
        assert "usage:" in result.stderr


def test_refuses_dangerous_output_folders(project: Path) -> None:
    for out in (project, project.parent, project / "seeds", project / "content" / "out"):
        result = run_cli("--root", str(project), "--output", str(out))
        assert result.returncode == 1, out
        assert "refusing to use this output folder" in result.stderr
    assert (project / "seeds" / "sources.yaml").is_file()


def test_help_documents_every_option() -> None:
    result = run_cli("--help")
    assert result.returncode == 0
    for option in ("--output", "--clean", "--drafts", "--base-url", "-q", "-v", "--root"):
        assert option in result.stdout


def test_success_prints_summary(project: Path) -> None:
    result = run_cli("--root", str(project))
    assert result.returncode == 0, result.stderr
    assert re.search(
        r"built \d+ topics, 5 sources, \d+ tags: \d+ files written to .* in "
        r"[\d.]+ s",
        result.stdout,
    )


def test_drafts_are_skipped_unless_asked(project: Path) -> None:
    (project / "content/topics/draft-topic.md").write_text(
        "---\ntitle: Draft topic\ndraft: true\n---\nNot ready [@blinken-meets-wang-yi].\n",
        encoding="utf-8",
    )
    assert run_cli("--root", str(project), "-q").returncode == 0
    assert not (project / "output/topics/draft-topic/index.html").exists()
    assert run_cli("--root", str(project), "-q", "--drafts").returncode == 0
    assert (project / "output/topics/draft-topic/index.html").exists()


def test_a_setting_below_one_is_refused_with_its_line(project: Path) -> None:
    settings = project / "briefing.yaml"
    text = settings.read_text(encoding="utf-8") + "search_shard_size: 0\n"
    settings.write_text(text, encoding="utf-8")
    result = run_cli("--root", str(project))
    assert result.returncode == 1
    line = text.count("\n")
    assert f"briefing.yaml:{line}: error: setting 'search_shard_size' must be 1 or more" in (
        result.stderr
    )


def test_a_missing_theme_is_reported_before_any_source_is_cleaned(
    project: Path, good_output: dict[str, bytes], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A wrong 'theme:' fails at once, not after cleaning every source (minutes on a
    large site)."""
    import generator.cache
    from generator import BuildError, build

    settings = project / "briefing.yaml"
    text = settings.read_text(encoding="utf-8")
    settings.write_text(re.sub(r"(?m)^theme: .*$", "theme: nosuch", text), "utf-8")
    stderr = failing_build(project, good_output)
    assert "briefing.yaml: error: theme folder themes/nosuch does not exist" in stderr
    cleaned: list[object] = []
    monkeypatch.setattr(generator.cache, "clean_request", lambda r: cleaned.append(r))
    with pytest.raises(BuildError):
        build(project, project / "elsewhere", use_cache=False, jobs=1)
    assert cleaned == []
