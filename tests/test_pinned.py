"""Behaviours that a mutation run found no test pinned down (issue 22): each is checked on
a built site, so that a change breaking it fails here."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from generator import build
from generator.urls import unicode_slug

from .conftest import ROOT, failing_build, line_of, run_cli, tree_digest

TOPIC = "content/topics/sanctions.md"


def soup(path: Path) -> BeautifulSoup:
    return BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")


def test_a_marker_on_a_new_line_sits_right_after_the_word(site_dir: Path) -> None:
    """Our own pages write many markers at the start of a line (sanctions.md does)."""
    starts = [
        n for n, line in enumerate((ROOT / TOPIC).read_text().splitlines()) if line[:2] == "[@"
    ]
    assert starts, "the page has markers starting a line"
    for page in (site_dir / "topics").glob("*/index.html"):
        html = page.read_text(encoding="utf-8")
        assert not re.search(r'\s<sup class="cite">', html), page


@pytest.mark.parametrize(
    "href",
    [
        "javascript:alert(1)",
        " javascript:alert(1)",
        "\tjavascript:alert(1)",
        "java\tscript:alert(1)",
        "java&#x09;script:alert(1)",
        "java&#0;script:alert(1)",
        "JaVaScRiPt:alert(1)",
        "&#106;avascript:alert(1)",
        "java\u000bscript:alert(1)",
        "\u007fjavascript:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "vbscript:msgbox(1)",
    ],
)
def test_disguised_dangerous_schemes_are_refused_in_markdown_links(
    project: Path, tmp_path: Path, href: str
) -> None:
    topic = project / TOPIC
    topic.write_text(
        topic.read_text(encoding="utf-8") + f"\nA [disguised link](<{href}>) here.\n",
        encoding="utf-8",
    )
    assert run_cli("--root", str(project), "-q", "-o", str(tmp_path / "out")).returncode == 0
    page = soup(tmp_path / "out/topics/sanctions/index.html")
    for element in page.find_all(href=True):
        target = re.sub(r"[\x00-\x20\x7f]+", "", element["href"]).lower()
        assert not target.startswith(("javascript:", "vbscript:", "data:")), element


def test_a_plain_http_site_url_gets_feeds_sitemap_and_canonical_links(tmp_path: Path) -> None:
    out = tmp_path / "out"
    build(ROOT, out, base_url="http://example.org/b/", use_cache=False, search=False)
    assert "<loc>http://example.org/b/</loc>" in (out / "sitemap.xml").read_text()
    assert "<link>http://example.org/b/</link>" in (out / "feed.xml").read_text()
    canonical = soup(out / "about/index.html").find("link", rel="canonical")
    assert canonical["href"] == "http://example.org/b/about/"


def test_a_headline_and_one_paragraph_give_a_title_and_no_repeated_headline(
    project: Path, tmp_path: Path
) -> None:
    seed = project / "seeds/003_4340c87e853854e5.txt"
    seed.write_text("Grain Talks Resume in Ankara\n\nThe talks resumed, officials said.\n")
    for topic in (project / "content/topics").glob("*.md"):
        topic.unlink()
    (project / "content/index.md").unlink()
    (project / "content/timeline.yaml").unlink()
    (project / "seeds/sources.yaml").write_text(
        (project / "seeds/sources.yaml")
        .read_text(encoding="utf-8")
        .replace('title: "US Accuses China of Weighing Arms for Russia"', "title: null"),
        encoding="utf-8",
    )
    assert run_cli("--root", str(project), "-q", "-o", str(tmp_path / "out")).returncode == 0
    page = soup(tmp_path / "out/sources/us-accuses-china-of-weighing-arms-for-russia/index.html")
    assert page.find("h1").get_text(strip=True) == "Grain Talks Resume in Ankara"
    assert page.select_one(".article-text") is not None
    assert "Grain Talks Resume in Ankara" not in page.select_one(".article-text").get_text()
    header = page.find("main").find("header")
    assert header.get_text().count("Grain Talks Resume in Ankara") == 1


@pytest.mark.parametrize("ending", ["\r\n", "\r"])
def test_line_endings_give_the_same_site_and_the_same_error_lines(
    project: Path, tmp_path: Path, ending: str
) -> None:
    run_cli("--root", str(project), "-q", "-o", str(tmp_path / "unix"))
    for path in [*project.glob("content/**/*.md"), *project.glob("seeds/*.txt")]:
        data = path.read_bytes().replace(b"\r\n", b"\n")
        path.write_bytes(data.replace(b"\n", ending.encode()))
    result = run_cli("--root", str(project), "-q", "-o", str(tmp_path / "other"))
    assert result.returncode == 0, result.stderr
    unix, other = tree_digest(tmp_path / "unix"), tree_digest(tmp_path / "other")
    # The original texts (published as saved) differ, and so does their SHA-256 on the
    # source pages; nothing else does.
    hashes = re.compile(rb'<code class="hash">[0-9a-f]{64}</code>')
    changed = [
        p
        for p in unix
        if "original" not in p and hashes.sub(b"", unix[p]) != hashes.sub(b"", other.get(p, b""))
    ]
    assert not changed, changed[:5]
    topic = project / TOPIC
    text = topic.read_bytes().decode()
    topic.write_bytes(
        (text + ending + 'Bad [@blinken-meets-wang-yi "not in it"].' + ending).encode()
    )
    expected = text.replace("\r\n", "\n").replace("\r", "\n").count("\n") + 2
    stderr = run_cli("--root", str(project), "-o", str(tmp_path / "bad")).stderr
    assert f"{TOPIC}:{expected}: error: quote not found" in stderr


def test_an_unfinished_citation_at_the_end_of_a_paragraph_is_an_error(
    project: Path, good_output: dict[str, bytes]
) -> None:
    topic = project / TOPIC
    topic.write_text(
        topic.read_text(encoding="utf-8") + "\nA paragraph that ends unfinished [@\n",
        encoding="utf-8",
    )
    line = line_of(topic, "ends unfinished [@")
    stderr = failing_build(project, good_output)
    assert f"{TOPIC}:{line}: error:" in stderr and "citation" in stderr


def test_long_tags_get_stable_in_order_word_boundary_slugs() -> None:
    words = [f"word{n}" for n in range(40)]
    slug = unicode_slug(" ".join(words))
    assert slug == "-".join(words)[: len(slug)], "a prefix, in order"
    assert slug.split("-") == words[: len(slug.split("-"))], "whole words only"
    assert unicode_slug(" ".join(words)) == slug
    mixed = "Sanctions against Chinese suppliers of dual-use microelectronics, machinery and parts"
    assert unicode_slug(mixed * 3).startswith("sanctions-against-chinese-suppliers-of-dual-use")
    # A word too long to fit ends the slug: no later, shorter word takes its place.
    assert unicode_slug("alpha beta " + "x" * 75 + " gamma") == "alpha-beta"
