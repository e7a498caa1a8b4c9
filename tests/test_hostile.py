"""Hostile input: nothing an attacker writes runs in a reader's browser or escapes output/."""

from __future__ import annotations

import json
import shutil
import string
from pathlib import Path
from urllib.parse import urljoin

import pytest
from bs4 import BeautifulSoup, Tag
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from generator import BuildError, build

from .conftest import BASE_URL, ROOT, edit, failing_build, run_cli

HOSTILE = Path(__file__).parent / "hostile"
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "xlink:href", "poster", "srcset", "data"}
BAD_SCHEMES = ("javascript:", "data:", "vbscript:")
HOSTILE_ENTRY = """
- id: hostile-source
  file: hostile.txt
  title: "<b>Bold</b> <script>alert('title')</script> title"
  outlet: "<img src=x onerror=alert('outlet')>"
  author: "\\" onmouseover=\\"alert('author')"
  date: 2023-01-01
  url: "https://example.org/a?b=\\"><script>alert('url')</script>"
  kind: news
  language: "en\\" onload=\\"x"
  tags: ["<script>", "../../../../tmp/owned", "Spy Balloon"]
  note: "<script>alert('note')</script>"
"""


def is_theme_script(script: Tag) -> bool:
    """The theme's own scripts: external files under static/ from the default theme."""
    src = script.get("src")
    if not src or script.string:
        return False
    name = str(src).rsplit("static/", 1)[-1]
    return "static/" in str(src) and (ROOT / "themes/default/static" / name).is_file()


def is_data_block(script: Tag) -> bool:
    """A JSON-LD data block (never run by browsers) that is whole, valid JSON: text that
    broke out of it would leave it cut short."""
    if script.get("type") != "application/ld+json" or script.get("src"):
        return False
    try:
        json.loads(script.string or "")
    except ValueError:
        return False
    return True


def scan_html(html: str, where: str) -> list[str]:
    """Active content in an HTML document or fragment."""
    found = []
    soup = BeautifulSoup(html, "html.parser")
    for script in soup.find_all("script"):
        if is_theme_script(script) or is_data_block(script):
            continue
        found.append(f"{where}: <script> {str(script)[:60]}")
    for tag in soup.find_all(True):
        for name, value in tag.attrs.items():
            text = " ".join(value) if isinstance(value, list) else str(value)
            if name.lower().startswith("on"):
                found.append(f"{where}: <{tag.name} {name}=...>")
            compact = "".join(text.split()).lower()
            if name.lower() in URL_ATTRIBUTES and compact.startswith(BAD_SCHEMES):
                found.append(f"{where}: <{tag.name} {name}={text[:40]!r}>")
    for name in ("iframe", "object", "embed", "form"):
        for tag in soup.find_all(name):
            action = urljoin("https://site.example/" + where, str(tag.get("action", "")))
            theme_search_form = (
                name == "form"
                and action.endswith(("search/index.html", "search/"))
                and {"site-search", "search-page-form"} & set(tag.get("class", []))
            )
            if not theme_search_form:
                found.append(f"{where}: <{name}>")
    return found


def scan_output(out: Path) -> list[str]:
    """Every problem in a built site: active content anywhere, or a file outside out."""
    found = []
    root = out.resolve()
    for path in out.rglob("*"):
        if root not in path.resolve().parents:
            found.append(f"outside the output folder: {path}")
        if not path.is_file():
            continue
        rel = path.relative_to(out).as_posix()
        if path.suffix == ".html":
            found += scan_html(path.read_text(encoding="utf-8"), rel)
        elif path.suffix == ".xml" and rel.endswith(("feed.xml", "atom.xml")):
            feed = BeautifulSoup(path.read_bytes(), "xml")
            for element in feed.find_all(["encoded", "content", "description", "summary"]):
                found += scan_html(element.get_text(), rel)
        elif path.suffix == ".json" and rel.endswith("feed.json"):
            for item in json.loads(path.read_text(encoding="utf-8"))["items"]:
                found += scan_html(item["content_html"], rel)
    return found


def add_hostile_source(project: Path) -> None:
    shutil.copy(HOSTILE / "seed-script.txt", project / "seeds" / "hostile.txt")
    with (project / "seeds" / "sources.yaml").open("a", encoding="utf-8") as handle:
        handle.write(HOSTILE_ENTRY)


def test_the_real_site_is_clean(site_dir: Path) -> None:
    assert scan_output(site_dir) == []


def test_hostile_source_and_topic_are_neutralised(project: Path, tmp_path: Path) -> None:
    add_hostile_source(project)
    shutil.copy(HOSTILE / "topic-script.md", project / "content/topics/hostile.md")
    edit(project / "content/topics/hostile.md", "---\n\nRaw", "slug: ../../../escape\n---\n\nRaw")
    out = tmp_path / "nested" / "out"
    build(project, out, base_url=BASE_URL)
    assert scan_output(out) == []
    assert not (tmp_path / "escape").exists() and not Path("/tmp/owned").exists()
    page = BeautifulSoup((out / "topics/escape/index.html").read_text("utf-8"), "html.parser")
    assert "<script>alert('title')</script> Hostile topic" in page.h1.get_text()
    assert "<script>alert('body')</script>" in page.select_one(".prose").get_text()
    source = BeautifulSoup(
        (out / "sources/hostile-source/index.html").read_text("utf-8"), "html.parser"
    )
    assert "<script>alert('title')</script>" in source.h1.get_text()
    assert "document.location" in source.select_one(".article-text").get_text()
    tags = sorted(p.name for p in (out / "tags").iterdir() if p.is_dir())
    assert all(name not in ("..", ".", "") and "/" not in name for name in tags)
    assert "tmp-owned" in tags and "script" in tags


def test_raw_html_when_allowed_is_sanitised(project: Path, tmp_path: Path) -> None:
    shutil.copy(HOSTILE / "topic-rawhtml.md", project / "content/topics/rawhtml.md")
    settings_file = project / "briefing.yaml"
    edit(settings_file, "allow_raw_html: false", "allow_raw_html: true")
    out = tmp_path / "out"
    build(project, out, base_url=BASE_URL)
    assert scan_output(out) == []
    page = BeautifulSoup((out / "topics/rawhtml/index.html").read_text("utf-8"), "html.parser")
    prose = page.select_one(".prose")
    assert prose.find("div").get_text() == "Allowed wrapper", "harmless HTML is kept"
    assert prose.find("b").get_text() == "bold"


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("url", "javascript:alert(1)", "must be an http(s) address"),
        ("file", "../../../etc/passwd", "must be a plain name in seeds/"),
        ("id", "../escape", "is not a slug"),
        ("id", "UPPER", "is not a slug"),
        ("tags", ["..", "ok"], "tag '..' has no letters or digits"),
    ],
)
def test_unsafe_metadata_is_an_error(
    project: Path, good_output: dict[str, bytes], field: str, value: object, message: str
) -> None:
    add_hostile_source(project)
    entry = project / "seeds" / "sources.yaml"
    text = entry.read_text(encoding="utf-8")
    start = text.index("- id: hostile-source")
    head, tail = text[:start], text[start:]
    lines = [
        f"  {field}: {value!r}"
        if line.startswith(f"  {field}:") or line.startswith(f"- {field}:")
        else line
        for line in tail.split("\n")
    ]
    if field == "id":
        lines[0] = f"- id: {value!r}"
    entry.write_text(head + "\n".join(lines), encoding="utf-8")
    stderr = failing_build(project, good_output)
    assert message in stderr


@pytest.mark.parametrize(
    ("fixture", "target", "message"),
    [
        ("latin1.txt", "seeds/000_679f8ecbde50baa4.txt", "not valid UTF-8 (byte 0xe9 at offset 3)"),
        ("nul.txt", "seeds/000_679f8ecbde50baa4.txt", "contains a NUL byte"),
        ("malformed-front-matter.md", "content/topics/taiwan.md", "malformed YAML"),
        ("latin1.txt", "content/topics/taiwan.md", "not valid UTF-8"),
    ],
)
def test_unreadable_input_fails_cleanly(
    project: Path, good_output: dict[str, bytes], fixture: str, target: str, message: str
) -> None:
    shutil.copy(HOSTILE / fixture, project / target)
    stderr = failing_build(project, good_output)
    assert target in stderr and message in stderr


def test_case_folded_duplicate_pages_are_an_error(
    project: Path, good_output: dict[str, bytes]
) -> None:
    shutil.copy(project / "content/topics/taiwan.md", project / "content/topics/Taiwan.md")
    stderr = failing_build(project, good_output)
    assert "URL topics/taiwan/ is already used" in stderr


def test_oversized_file_is_refused(project: Path, good_output: dict[str, bytes]) -> None:
    with (project / "briefing.yaml").open("a", encoding="utf-8") as handle:
        handle.write("max_file_bytes: 5000\n")
    stderr = failing_build(project, good_output)
    assert "seeds/004_e05ee51f43f3a64c.txt: error: file is 8,052 bytes, over the limit" in stderr


def test_internal_error_is_short_without_v(
    project: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from generator import cli

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("something inside broke")

    monkeypatch.setattr(cli, "build", broken)
    assert cli.main(["--root", str(project)]) == 1
    err = capsys.readouterr().err
    assert "internal error: RuntimeError: something inside broke" in err
    assert "Traceback" not in err and "-v" in err
    assert cli.main(["--root", str(project), "-v"]) == 1
    assert "Traceback" in capsys.readouterr().err


def test_interrupted_build_keeps_previous_output(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from generator import output

    out = project / "output"
    build(project, out)
    before = sorted(p.relative_to(out) for p in out.rglob("*"))
    calls = {"n": 0}
    write_file = output._write_file

    def interrupting(target: str, data: bytes) -> None:
        """The output module's file writer: Ctrl-C arrives while the fifth file is written."""
        calls["n"] += 1
        if calls["n"] == 5:
            raise KeyboardInterrupt
        write_file(target, data)

    monkeypatch.setattr(output, "_write_file", interrupting)
    (project / "content/pages/about.md").write_text(
        "---\ntitle: About\n---\n\nChanged.\n", encoding="utf-8"
    )
    with pytest.raises(KeyboardInterrupt):
        build(project, out, use_cache=False)
    monkeypatch.undo()
    assert sorted(p.relative_to(out) for p in out.rglob("*")) == before
    assert not [p for p in project.iterdir() if p.name.startswith(".output.")]


def test_a_50_mb_source_builds(project: Path, tmp_path: Path) -> None:
    paragraph = (ROOT / "seeds/003_4340c87e853854e5.txt").read_text(encoding="utf-8")
    big = project / "seeds" / "004_e05ee51f43f3a64c.txt"
    with big.open("w", encoding="utf-8") as handle:
        handle.write("A Very Long Article\n\n")
        while handle.tell() < 50_000_000:
            handle.write(paragraph)
    for topic in (project / "content/topics").glob("*.md"):
        topic.unlink()  # their quotes of the replaced source would no longer verify
    (project / "content/index.md").unlink()
    (project / "content/timeline.yaml").unlink()
    result = run_cli("--root", str(project), "-q", "--output", str(tmp_path / "out"))
    assert result.returncode == 0, result.stderr
    page = tmp_path / "out/sources/wang-yi-signals-support-for-russia/index.html"
    assert page.stat().st_size > 25_000_000  # the text, less its boilerplate


# --- property tests: whatever the input, our error or a contained, clean site -------------

NAME_CHARS = string.ascii_letters + string.digits + " ._-~'\"<>&;|%$#@!()[]{}=+,üéßж漢"


def tiny_project(root: Path) -> None:
    (root / "content/topics").mkdir(parents=True)
    shutil.copytree(ROOT / "themes", root / "themes")
    (root / "briefing.yaml").write_text("search: false\n", encoding="utf-8")


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    name=st.text(alphabet=NAME_CHARS, min_size=1, max_size=60),
    front=st.dictionaries(
        st.sampled_from(["title", "summary", "tags", "date", "slug", "draft", "updated", "x"]),
        st.one_of(
            st.text(max_size=40),
            st.lists(st.text(max_size=20), max_size=4),
            st.integers(),
            st.booleans(),
            st.none(),
        ),
        max_size=6,
    ),
    body=st.text(max_size=200),
)
def test_random_pages_stay_contained(
    tmp_path_factory: pytest.TempPathFactory, name: str, front: dict[str, object], body: str
) -> None:
    import yaml

    root = tmp_path_factory.mktemp("p")
    tiny_project(root)
    safe_name = name.replace("/", "_").replace("\x00", "")
    if safe_name in (".", "..") or len(safe_name.encode()) > 200:
        return
    page = root / "content/topics" / f"{safe_name}.md"
    page.write_text(
        "---\n" + yaml.safe_dump(front, allow_unicode=True) + "---\n" + body, encoding="utf-8"
    )
    out = root / "out"
    try:
        build(root, out, use_cache=False)
    except BuildError:
        assert not out.exists()
        return
    assert scan_output(out) == []
    assert {p.name for p in root.iterdir()} == {"content", "themes", "out", "briefing.yaml"}
