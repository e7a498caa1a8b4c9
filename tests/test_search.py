"""The search index and page, with and without Pagefind."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from bs4 import BeautifulSoup

from .conftest import BASE_URL, ROOT, tree_digest


def soup(path: Path) -> BeautifulSoup:
    return BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")


def test_search_index_and_box(site_dir: Path) -> None:
    assert (site_dir / "pagefind/pagefind.js").is_file()
    assert list((site_dir / "pagefind").glob("index/*.pf_index"))
    for path in site_dir.rglob("*.html"):
        if path.parent.name == "original" or path.name == "404.html":
            continue
        assert soup(path).select_one("form.site-search input[type=search]"), path
    topic = soup(site_dir / "topics/spy-balloon/index.html")
    assert topic.find(attrs={"data-pagefind-body": True})["data-pagefind-meta"] == "kind:Topic"
    source = soup(site_dir / "sources/blinken-meets-wang-yi/index.html")
    assert source.find(attrs={"data-pagefind-body": True})["data-pagefind-meta"] == "kind:Source"
    tag = soup(site_dir / "tags/china/index.html")
    assert tag.find(attrs={"data-pagefind-body": True})["data-pagefind-meta"] == "kind:Tag"
    search = soup(site_dir / "search/index.html")
    assert search.select_one("#search-page-input") and search.find("script", src=True)


def build_cli(
    project: Path, out: Path, env: dict[str, str] | None = None, *options: str
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            sys.executable,
            str(ROOT / "build.py"),
            "--root",
            str(project),
            "--base-url",
            BASE_URL,
            "--output",
            str(out),
            *options,
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_without_pagefind_the_site_builds_and_says_so(project: Path, tmp_path: Path) -> None:
    env = {**os.environ, "PAGEFIND_BINARY_PATH": str(tmp_path / "no-such-binary")}
    result = build_cli(project, tmp_path / "out", env)
    assert result.returncode == 0, result.stderr
    assert "warning: Pagefind is not installed" in result.stderr
    out = tmp_path / "out"
    assert not (out / "pagefind").exists()
    page = soup(out / "search/index.html")
    assert "Search is unavailable" in page.select_one(".search-unavailable").get_text()
    assert soup(out / "index.html").select_one("form.site-search") is None
    assert (out / "topics/spy-balloon/index.html").is_file()


def test_search_can_be_turned_off(project: Path, tmp_path: Path) -> None:
    with (project / "briefing.yaml").open("a", encoding="utf-8") as handle:
        handle.write("search: false\n")
    result = build_cli(project, tmp_path / "out")
    assert result.returncode == 0 and result.stderr == ""
    assert not (tmp_path / "out/search").exists() and not (tmp_path / "out/pagefind").exists()


def test_no_search_option_previews_without_the_index(project: Path, tmp_path: Path) -> None:
    """--no-search builds as 'search: false' does, without touching briefing.yaml; the
    next build without it puts search back, equal to a clean build."""
    out = tmp_path / "out"
    result = build_cli(project, out, None, "--no-search")
    assert result.returncode == 0 and result.stderr == "", result.stderr
    assert not (out / "search").exists() and not (out / "pagefind").exists()
    assert soup(out / "index.html").select_one("form.site-search") is None
    assert (out / "topics/spy-balloon/index.html").is_file()
    assert "search" not in (project / "briefing.yaml").read_text(encoding="utf-8")

    result = build_cli(project, out)
    assert result.returncode == 0, result.stderr
    assert "nothing changed" not in result.stdout
    assert (out / "pagefind/pagefind.js").is_file()
    assert soup(out / "index.html").select_one("form.site-search") is not None
    assert build_cli(project, tmp_path / "clean", None, "--clean").returncode == 0
    assert tree_digest(out) == tree_digest(tmp_path / "clean")
    serve_help = subprocess.run(
        [sys.executable, str(ROOT / "build.py"), "serve", "--help"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "--no-search" in serve_help.stdout


def test_installing_pagefind_later_rebuilds_with_search(project: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    env = {**os.environ, "PAGEFIND_BINARY_PATH": str(tmp_path / "no-such-binary")}
    assert build_cli(project, out, env).returncode == 0
    assert not (out / "pagefind").exists()
    result = build_cli(project, out)
    assert "nothing changed" not in result.stdout, "the cache knows Pagefind appeared"
    assert (out / "pagefind/pagefind.js").is_file()


def test_a_failing_indexer_fails_the_build_and_keeps_the_site(
    project: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    assert build_cli(project, out).returncode == 0
    before = sorted(p.relative_to(out) for p in out.rglob("*"))
    broken = tmp_path / "pagefind"
    broken.write_text("#!/bin/sh\necho 'index exploded' >&2\nexit 3\n", encoding="utf-8")
    broken.chmod(0o755)
    (project / "content/pages/about.md").write_text(
        "---\ntitle: About\n---\nChanged.\n", encoding="utf-8"
    )
    result = build_cli(project, out, {**os.environ, "PAGEFIND_BINARY_PATH": str(broken)})
    assert result.returncode == 1
    assert "Pagefind failed to index the site: index exploded" in result.stderr
    assert sorted(p.relative_to(out) for p in out.rglob("*")) == before
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".out.")]


def test_the_last_indexes_are_built_side_by_side(tmp_path: Path) -> None:
    """While the site is rendered, one Pagefind runs at a time; once the build waits only
    for the search index, up to `tail` run at once. A stand-in for Pagefind records when
    each run starts and ends."""
    from generator.search import Bundle, Indexer

    log = tmp_path / "runs.log"
    fake = tmp_path / "pagefind"
    fake.write_text(
        "#!/bin/sh\n"
        f'echo "start $(date +%s.%N)" >> {log}\n'
        "sleep 0.5\n"
        f'echo "end $(date +%s.%N)" >> {log}\n',
        encoding="utf-8",
    )
    fake.chmod(0o755)

    def runs_at_once(tail: int) -> int:
        log.write_text("", encoding="utf-8")
        indexer = Indexer(fake, "en", tail=tail)
        for number in range(4):
            bundle = Bundle(f"part-{number}", "*.html", str(number), ())
            indexer.add(tmp_path, tmp_path / f"part-{number}", bundle)
        indexer.finish()
        events = sorted(
            (float(stamp), kind)
            for kind, stamp in (line.split() for line in log.read_text().splitlines())
        )
        running = most = 0
        for _, kind in events:
            running += 1 if kind == "start" else -1
            most = max(most, running)
        assert len(events) == 8
        return most

    assert runs_at_once(1) == 1
    assert runs_at_once(2) == 2
