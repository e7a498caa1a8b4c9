"""briefing add: a saved page or text becomes a seed and an entry, or nothing changes."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import random
from pathlib import Path

import pytest
import yaml

from generator import add
from generator.add import AddOptions, add_files, write_plan

from .conftest import ROOT, run_cli, tree_digest

ARTICLE = ROOT / "tests" / "fixtures" / "html" / "article.html"
SOURCES = "seeds/sources.yaml"
ARTICLE_ID = "port-talks-resume-after-long-pause"

TEXT = """\
Home > World > Asia

Opinion

# Taiwan drills show how far Beijing is willing to go

By Jane Doe
12 March 2024

China held a second day of military drills around Taiwan on Tuesday, sending warships and \
fighter jets closer to the island than at any time since the exercises began last year, \
officials in Taipei said.

The drills came a week after Washington approved new sanctions on companies it accuses of \
supplying Russia with dual-use goods for its war in Ukraine, a step that Beijing called an \
unlawful interference in normal trade.

Advertisement

A spokesman for the Taiwanese defence ministry said its forces were watching closely and \
would respond calmly, adding that the island did not seek confrontation with anyone.

Share this article
"""


def seed_name(number: int, path: Path) -> str:
    """The name add gives a file: NNN_ and the first 16 hex digits of its SHA-256."""
    digest = hashlib.sha256(path.read_bytes()).hexdigest()[:16]
    return f"{number:03d}_{digest}{path.suffix}"


def entries(project: Path) -> list[dict[str, object]]:
    return yaml.safe_load((project / SOURCES).read_text(encoding="utf-8"))


def dry_run_entry(project: Path, *args: str) -> dict[str, object]:
    """The entry add --dry-run prints, read as YAML."""
    result = run_cli("--root", str(project), "add", "--dry-run", *args)
    assert result.returncode == 0, result.stderr
    return yaml.safe_load(result.stdout.split("would append to seeds/sources.yaml:\n", 1)[1])[0]


def refused(project: Path, *args: str) -> str:
    """Run add expecting a refusal; the project's files must stay byte for byte."""
    before = tree_digest(project)
    result = run_cli("--root", str(project), "add", *args)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    assert "nothing was added" in result.stderr
    assert tree_digest(project) == before, "a refusal changes nothing"
    return result.stderr


@pytest.fixture
def text_file(tmp_path: Path) -> Path:
    path = tmp_path / "taiwan drills.txt"
    path.write_text(TEXT, encoding="utf-8")
    return path


def test_add_page_and_text_then_build(project: Path, text_file: Path) -> None:
    original = (project / SOURCES).read_bytes()
    result = run_cli("--root", str(project), "add", str(ARTICLE), str(text_file))
    assert result.returncode == 0, result.stderr
    page_seed, text_seed = seed_name(5, ARTICLE), seed_name(6, text_file)
    assert (project / "seeds" / page_seed).read_bytes() == ARTICLE.read_bytes()
    assert (project / "seeds" / text_seed).read_bytes() == text_file.read_bytes()
    after = (project / SOURCES).read_bytes()
    assert after.startswith(original), "every byte of sources.yaml stays, comments included"
    assert after[len(original) :].startswith(b"\n- id: "), "a blank line above the entry"
    today = dt.date.today()  # noqa: DTZ011 - only to show that add does not use it
    assert today.isoformat().encode() not in after[len(original) :], "no value from the clock"
    page, text = entries(project)[-2:]
    assert page == {
        "id": ARTICLE_ID,
        "file": page_seed,
        "title": "Port Talks Resume After Long Pause",
        "outlet": "The Harbour Gazette",
        "author": "Maria Keller",
        "date": dt.date(2024, 3, 14),
        "date_precision": "day",
        "retrieved": None,
        "url": "https://gazette.example.org/news/2024/03/port-talks-resume",
        "kind": "news",
        "language": "en-GB",
        "tags": [],
        "note": page["note"],
    }
    assert "what the page says about itself" in str(page["note"])
    assert "Retrieved: not known" in str(page["note"]), "never the clock"
    assert text["title"] == "Taiwan drills show how far Beijing is willing to go"
    assert (text["author"], text["date"], text["date_precision"]) == (
        "Jane Doe",
        dt.date(2024, 3, 12),
        "day",
    )
    assert (text["outlet"], text["url"], text["language"], text["retrieved"]) == (None,) * 4
    assert text["kind"] == "opinion", "the label line 'Opinion' marks it"
    assert set(text["tags"]) >= {"China", "Taiwan", "Russia", "Sanctions", "Dual-use goods"}  # type: ignore[arg-type]
    assert "the byline under the headline" in str(text["note"])

    built = run_cli("--root", str(project), "-q")
    assert built.returncode == 0, built.stderr
    page_html = (project / "output" / "sources" / ARTICLE_ID / "index.html").read_text("utf-8")
    assert "Port Talks Resume After Long Pause" in page_html
    assert "Maria Keller" in page_html
    text_id = text["id"]
    assert (project / "output" / "sources" / str(text_id) / "index.html").is_file()


def test_dry_run_prints_the_entry_and_changes_nothing(project: Path) -> None:
    before = tree_digest(project)
    result = run_cli("--root", str(project), "add", "--dry-run", str(ARTICLE))
    assert result.returncode == 0, result.stderr
    assert tree_digest(project) == before
    assert f"- id: {ARTICLE_ID}\n" in result.stdout
    assert f"file: {seed_name(5, ARTICLE)}" in result.stdout
    assert "  note: >-\n" in result.stdout


def test_options_set_id_kind_tags_and_retrieved(project: Path) -> None:
    result = run_cli(
        "--root",
        str(project),
        "add",
        str(ARTICLE),
        "--id",
        "port-talks",
        "--kind",
        "analysis",
        "--tags",
        "Ports, Labour",
        "--retrieved",
        "2024-03",
    )
    assert result.returncode == 0, result.stderr
    entry = entries(project)[-1]
    assert (entry["id"], entry["kind"], entry["tags"], entry["retrieved"]) == (
        "port-talks",
        "analysis",
        ["Ports", "Labour"],
        "2024-03",
    )
    assert "as given with --retrieved" in str(entry["note"])


def test_saved_from_comment_gives_url_and_retrieved(project: Path, tmp_path: Path) -> None:
    page = ARTICLE.read_text(encoding="utf-8")
    page = page.replace(
        '<link rel="canonical" href="https://gazette.example.org/news/2024/03/port-talks-resume">\n',
        "",
    )
    saved = (
        "<!--\n Page saved with SingleFile\n url: https://gazette.example.org/p/1\n"
        " saved date: Fri Mar 15 2024 10:02:11 GMT+0100 (CET)\n-->\n"
    )
    path = tmp_path / "singlefile.html"
    path.write_text(page.replace("<html", saved + "<html", 1), encoding="utf-8")
    entry = dry_run_entry(project, str(path))
    assert entry["retrieved"] == dt.date(2024, 3, 15)
    assert "SingleFile comment" in str(entry["note"])

    # A browser's mark of the web has the address and no date: retrieved stays null.
    url = "https://gazette.example.org/news/other"
    path = tmp_path / "browser.html"
    path.write_text(f"<!-- saved from url=({len(url):04d}){url} -->\n" + page, encoding="utf-8")
    entry = dry_run_entry(project, str(path))
    assert (entry["url"], entry["retrieved"]) == (url, None)
    assert "URL: the page's saved-from comment" in str(entry["note"])


def test_exact_duplicate_bytes_refused(project: Path, tmp_path: Path) -> None:
    copy = tmp_path / "copy.txt"
    copy.write_bytes((project / "seeds" / "001_aa6b22c0c52c705b.txt").read_bytes())
    stderr = refused(project, str(copy))
    assert f"{copy}: error: the same file as source 'blinken-meets-wang-yi'" in stderr


def test_exact_duplicate_text_refused(project: Path, tmp_path: Path) -> None:
    """The same article with boilerplate lines the cleaner removes is the same source."""
    paragraphs = (project / "seeds" / "001_aa6b22c0c52c705b.txt").read_text("utf-8").split("\n\n")
    copy = tmp_path / "again.txt"
    copy.write_text(
        "\n\n".join([*paragraphs[:3], "Advertisement", *paragraphs[3:], "Share this article\n"]),
        encoding="utf-8",
    )
    stderr = refused(project, str(copy))
    assert "the same article text as source 'blinken-meets-wang-yi'" in stderr


def test_near_duplicate_refused_then_added_with_force(project: Path, tmp_path: Path) -> None:
    paragraphs = (project / "seeds" / "001_aa6b22c0c52c705b.txt").read_text("utf-8").split("\n\n")
    extra = "This report first appeared in our morning newsletter and has been updated since."
    copy = tmp_path / "saved-again.txt"
    copy.write_text("\n\n".join([*paragraphs[:5], extra, *paragraphs[5:]]), encoding="utf-8")
    stderr = refused(project, str(copy))
    assert "error: nearly the same article text as source 'blinken-meets-wang-yi'" in stderr
    assert "--force" in stderr

    result = run_cli("--root", str(project), "add", "--force", str(copy))
    assert result.returncode == 0, result.stderr
    assert (
        "warning: nearly the same article text as source 'blinken-meets-wang-yi'" in result.stderr
    )
    assert entries(project)[-1]["file"] == seed_name(5, copy)


def test_the_same_file_twice_in_one_run_refused(project: Path, tmp_path: Path) -> None:
    copy = tmp_path / "copy.html"
    copy.write_bytes(ARTICLE.read_bytes())
    stderr = refused(project, str(ARTICLE), str(copy))
    assert f"the same file as {ARTICLE}" in stderr


def test_broken_sources_yaml_refused(project: Path) -> None:
    path = project / SOURCES
    path.write_text(
        path.read_text("utf-8").replace("  kind: news\n", "  kind: [news\n", 1), "utf-8"
    )
    stderr = refused(project, str(ARTICLE))
    assert f"{SOURCES}:" in stderr and "malformed YAML" in stderr


def test_sources_yaml_it_cannot_keep_refused(project: Path) -> None:
    """A layout the round trip would rewrite (here: four-space indentation) is not edited."""
    path = project / SOURCES
    text = path.read_text("utf-8").replace("\n  ", "\n    ").replace("- id:", "-   id:")
    path.write_text(text, "utf-8")
    stderr = refused(project, str(ARTICLE))
    assert f"{SOURCES}: error: cannot append to it safely" in stderr
    assert "--dry-run" in stderr


def test_comments_at_the_end_are_kept(project: Path) -> None:
    path = project / SOURCES
    path.write_bytes(path.read_bytes() + b"# More sources to come.\n")
    original = path.read_bytes()
    assert run_cli("--root", str(project), "add", str(ARTICLE)).returncode == 0
    assert path.read_bytes().startswith(original)
    assert entries(project)[-1]["id"] == ARTICLE_ID


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("missing.html", None, "cannot read the file"),
        ("empty.txt", b"  \n", "file is empty"),
        ("notes.pdf", b"%PDF-1.4", "not a source file (.pdf)"),
        ("latin1.txt", b"caf\xe9 au lait\n", "not valid UTF-8"),
        ("blank.html", b"<html><body><nav>Home</nav></body></html>", "no article found"),
        # random bytes: readability-lxml logs a traceback of its own, which must not show
        ("noise.html", random.Random(7).randbytes(20_000), "no article found"),
    ],
)
def test_unreadable_or_empty_file_refused(
    project: Path, tmp_path: Path, name: str, content: bytes | None, message: str
) -> None:
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    stderr = refused(project, str(ARTICLE), str(path))
    assert f"{path}" in stderr and message in stderr


def test_existing_id_refused(project: Path) -> None:
    stderr = refused(project, str(ARTICLE), "--id", "blinken-meets-wang-yi")
    assert "id 'blinken-meets-wang-yi' is already used" in stderr


@pytest.mark.parametrize(
    "args",
    [
        ["--id", "Not A Slug", str(ARTICLE)],
        ["--id", "one", str(ARTICLE), str(ARTICLE)],
        ["--retrieved", "yesterday", str(ARTICLE)],
        ["--kind", "blog", str(ARTICLE)],
        [],
    ],
)
def test_usage_errors(project: Path, args: list[str]) -> None:
    before = tree_digest(project)
    result = run_cli("--root", str(project), "add", *args)
    assert result.returncode == 2, result.stderr
    assert tree_digest(project) == before


def test_help() -> None:
    result = run_cli("add", "--help")
    assert result.returncode == 0
    for option in ("--id", "--kind", "--tags", "--retrieved", "--dry-run", "--force"):
        assert option in result.stdout


def test_failed_write_removes_the_copied_seeds(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """sources.yaml cannot be replaced: the seed files just copied are removed again."""
    plan = add_files(project, [ARTICLE], AddOptions())
    before = tree_digest(project)

    def fail(source: object, target: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(add.os, "replace", fail)
    with pytest.raises(OSError):
        write_plan(plan)
    assert tree_digest(project) == before
    assert not [n for n in os.listdir(project / "seeds") if n.startswith(".")]


def test_kind_and_tags_from_the_page_itself(project: Path, tmp_path: Path) -> None:
    page = ARTICLE.read_text(encoding="utf-8")
    page = page.replace('"@type": "NewsArticle"', '"@type": "OpinionNewsArticle"')
    page = page.replace(
        "<head>",
        '<head>\n<meta name="keywords" content="Port talks, china">'
        '\n<meta property="article:tag" content="Harbours, Europe">',
    )
    path = tmp_path / "opinion.html"
    path.write_text(page, encoding="utf-8")
    topic = project / "content" / "topics" / "sanctions.md"
    site_tags = "tags: ['Tomas Berg, said', Thursday, "  # site tags the article holds
    topic.write_text(topic.read_text("utf-8").replace("tags: [", site_tags, 1), "utf-8")
    entry = dry_run_entry(project, str(path))
    assert entry["kind"] == "opinion"
    own = ["Port talks", "China", "Harbours, Europe"]  # China: the site's spelling
    assert entry["tags"] == [*own, "Tomas Berg, said", "Thursday"]
    assert "its JSON-LD type OpinionNewsArticle" in str(entry["note"])
    note = " ".join(str(entry["note"]).split())
    assert "the page's own keywords (Port talks; China; Harbours, Europe)" in note
    assert "the site's tags that occur in the text (Tomas Berg, said; Thursday)" in note
