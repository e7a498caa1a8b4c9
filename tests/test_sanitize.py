"""Raw HTML (allow_raw_html: true) keeps what a topic page needs and nothing that can run.

Every vector of tests/fixtures/xss.txt goes into a topic page of one site, as an HTML
block, inline in a paragraph and in a timeline event; each rendered page is checked against
this file's own allow-list (not the sanitiser's, so that widening that one fails here).
tests/test_browser.py opens a sample of these pages in Chromium.
"""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import pytest
from bs4 import BeautifulSoup, Comment, NavigableString, Tag

from generator import build

from .conftest import BASE_URL, ROOT, copy_project, edit, tree_digest
from .test_hostile import scan_html

FIXTURES = Path(__file__).parent / "fixtures"
ALLOWED_TAGS = {
    *("p", "br", "hr", "span", "div", "section", "blockquote", "pre"),
    *("h1", "h2", "h3", "h4", "h5", "h6"),
    *("em", "strong", "b", "i", "u", "s", "del", "ins", "sub", "sup", "small", "mark"),
    *("abbr", "cite", "q", "code", "kbd", "samp", "var"),
    *("ul", "ol", "li", "dl", "dt", "dd"),
    *("table", "caption", "colgroup", "col", "thead", "tbody", "tfoot", "tr", "th", "td"),
    *("figure", "figcaption", "img", "a", "details", "summary"),
}
ALLOWED_ATTRIBUTES = {"id", "title", "lang", "class"} | {
    *("href", "aria-describedby", "src", "alt", "width", "height", "start"),
    *("colspan", "rowspan", "scope", "span", "open"),
}
ALIGNMENTS = {"text-align:left", "text-align:center", "text-align:right"}
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "data", "xlink:href", "srcset"} | {
    *("background", "dynsrc", "lowsrc", "poster", "ping", "cite", "codebase", "to", "values")
}
SAFE_SCHEMES = {"http", "https", "mailto"}
BASELINE = "A plain paragraph."


def load_vectors() -> list[str]:
    """The corpus, one vector a line; \\xHH escapes stand for control characters."""
    lines = (FIXTURES / "xss.txt").read_text(encoding="utf-8").split("\n")
    return [
        re.sub(r"\\x([0-9a-f]{2})", lambda m: chr(int(m.group(1), 16)), line)
        for line in lines
        if line.strip() and not line.startswith("#")
    ]


VECTORS = load_vectors()


def build_xss_site(folder: Path) -> Path:
    """A copy of the repository's project with raw HTML on and, per vector, a topic page
    (topics/xss-N/) and a timeline event shown on it; topics/xss-baseline/ has neither."""
    project = copy_project(folder / "project")
    edit(project / "briefing.yaml", "allow_raw_html: false", "allow_raw_html: true")
    topics = project / "content/topics"
    (topics / "xss-baseline.md").write_text(f"---\ntitle: B\n---\n\n{BASELINE}\n", "utf-8")
    events = ["\n- date: 2020-01-01\n  text: An event.\n  topics: [xss-baseline]\n"]
    for number, vector in enumerate(VECTORS):
        (topics / f"xss-{number}.md").write_text(
            f"---\ntitle: XSS vector {number}\n---\n\n"
            f"The vector as an HTML block:\n\n{vector}\n\n"
            f"The vector inline: before {vector} after.\n",
            encoding="utf-8",
        )
        # JSON strings are YAML double-quoted scalars; YAML refuses a raw DEL.
        quoted = json.dumps(f"An event: {vector}").replace("\x7f", "\\u007f")
        events.append(f"\n- date: 2020-01-01\n  text: {quoted}\n  topics: [xss-{number}]\n")
    with (project / "content/timeline.yaml").open("a", encoding="utf-8") as timeline:
        timeline.write("".join(events))
    out = folder / "output"
    build(project, out, base_url=BASE_URL, use_cache=False, search=False)
    return out


@pytest.fixture(scope="module")
def xss_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_xss_site(tmp_path_factory.mktemp("xss"))


def topic(out: Path, slug: str) -> BeautifulSoup:
    return BeautifulSoup((out / f"topics/{slug}/index.html").read_text("utf-8"), "html.parser")


def written_parts(page: BeautifulSoup) -> list[Tag]:
    """The elements holding what the writer wrote: the body and the timeline events."""
    return page.select(".prose, .event-text")


def scheme_of(url: str) -> str:
    """The scheme a browser would see, after decoding entities (again, to be safe) and
    dropping every space and control character; '' for a relative URL."""
    cleaned = re.sub(r"[\x00-\x20\x7f]+", "", html.unescape(url)).lower()
    if cleaned.startswith("//"):
        return "https"
    match = re.match(r"([a-z][a-z0-9+.\-]*):", cleaned)
    return match.group(1) if match else ""


def problems_in(part: Tag) -> list[str]:
    """Anything in a written part that the allow-list does not allow."""
    found = []
    for node in part.descendants:
        if isinstance(node, Comment):
            found.append(f"comment {node[:40]!r}")
        if not isinstance(node, Tag):
            continue
        if node.name not in ALLOWED_TAGS:
            found.append(f"<{node.name}>")
        for name, value in node.attrs.items():
            text = " ".join(value) if isinstance(value, list) else str(value)
            if name == "style":
                if node.name not in ("th", "td") or text not in ALIGNMENTS:
                    found.append(f"<{node.name} style={text!r}>")
            elif name.lower().startswith("on") or name not in ALLOWED_ATTRIBUTES:
                found.append(f"<{node.name} {name}=...>")
            if name.lower() in URL_ATTRIBUTES:
                urls = (
                    [u.strip().split(" ")[0] for u in text.split(",")]
                    if name == "srcset"
                    else [text]
                )
                for url in urls:
                    if scheme_of(url) not in SAFE_SCHEMES | {""}:
                        found.append(f"<{node.name} {name}={text[:40]!r}>")
    return found


def skeleton(page: BeautifulSoup) -> list[str]:
    """The page's element names outside the written parts: the theme's own markup."""
    for part in written_parts(page):
        part.clear()
    return [tag.name for tag in page.find_all(True)]


def test_the_corpus_is_large_and_has_the_issue_vector() -> None:
    assert len(VECTORS) >= 40
    assert any('<animate attributeName="href"' in v for v in VECTORS)
    assert any("\x7f" in v for v in VECTORS) and any("\x0b" in v for v in VECTORS)


@pytest.mark.parametrize("number", range(len(VECTORS)), ids=lambda n: f"xss-{n}")
def test_a_known_xss_vector_is_neutralised(xss_site: Path, number: int) -> None:
    page = topic(xss_site, f"xss-{number}")
    parts = written_parts(page)
    assert len(parts) == 2, "the body and the page's timeline event"
    problems = [problem for part in parts for problem in problems_in(part)]
    assert problems == [], VECTORS[number]
    path = f"topics/xss-{number}/index.html"
    assert scan_html(str(page), path) == [], VECTORS[number]
    assert skeleton(page) == skeleton(topic(xss_site, "xss-baseline")), "nothing escaped"


def test_the_issue_vector_keeps_its_text_and_loses_its_link(xss_site: Path) -> None:
    number = next(n for n, v in enumerate(VECTORS) if "<animate" in v)
    prose = topic(xss_site, f"xss-{number}").select_one(".prose")
    assert prose is not None
    assert prose.find(["svg", "animate", "a"]) is None


LEGITIMATE = """\
<figure id="chart"><img src="../../static/chart.png" alt="A chart" width="640" height="480" \
title="Exports by month"><figcaption>Exports, <em>by month</em></figcaption></figure>
<table><caption>Votes</caption><colgroup><col span="2"></colgroup><thead><tr>\
<th scope="col">Country</th><th scope="col" colspan="2">Vote</th></tr></thead><tbody><tr>\
<td rowspan="2">China</td><td>abstained</td><td><abbr title="United Nations">UN</abbr></td>\
</tr><tr><td>no</td><td><kbd>x</kbd> H<sub>2</sub>O x<sup>2</sup></td></tr></tbody>\
<tfoot><tr><td colspan="3"><small>Source: <mark>UN</mark></small></td></tr></tfoot></table>
<details open><summary>More</summary><p>A <a href="https://example.org/report" \
title="The full report">report</a>, <a href="mailto:desk@example.org">mail</a> and \
<a href="../taiwan/index.html#why">a page</a>; <q>quoted</q>, <del>old</del> <ins>new</ins>.\
</p></details>
<blockquote lang="fr"><p><i>Citation</i> <b>en</b> <u>français</u> <s>x</s></p></blockquote>
<ul><li>one</li></ul><ol start="3"><li>three</li></ol><dl><dt>term</dt><dd>meaning</dd></dl>
<pre><code class="language-python">print(1)</code></pre><hr><p>a<br><span>b</span></p>
<h3 id="own">A heading of one's own</h3><div><cite>A work</cite> <samp>out</samp> <var>v</var></div>
"""


def tree(fragment: str) -> list[object]:
    """Elements with their attributes, and non-blank text, in document order."""
    nodes: list[object] = []
    for node in BeautifulSoup(fragment, "html.parser").descendants:
        if isinstance(node, Tag):
            attrs = {k: " ".join(v) if isinstance(v, list) else v for k, v in node.attrs.items()}
            nodes.append((node.name, sorted(attrs.items())))
        elif isinstance(node, NavigableString) and node.strip():
            nodes.append(node.strip())
    return nodes


FEATURES = """\
Text with *em*, **strong**, ~~struck~~, `code`, a [link](https://example.org "Title"),
<https://example.org/auto>, an image ![alt](pic.png "An image"), a footnote[^1], an inline
one^[inline note], a wikilink [[Taiwan]], a citation [@blinken-meets-wang-yi] and a
[topic link](taiwan.md).

## A heading

> a quote

1. one
2. two

| left | centre | right |
|:-----|:------:|------:|
| a    | b      | c     |

```python
print("<hello>")
```

[^1]: The footnote.
"""
RAW = "\n<p><kbd>raw</kbd></p>\n"


def drop_raw(part: Tag) -> None:
    """Remove the raw HTML the test added (a kbd, alone in its paragraph or inline)."""
    kbd = part.find("kbd")
    assert kbd is not None, "this part went through the sanitiser"
    parent = kbd.parent
    kbd.decompose()
    if parent is not None and parent.name == "p" and not parent.get_text(strip=True):
        parent.decompose()


def test_legitimate_raw_html_and_our_own_markup_survive(tmp_path: Path, site_dir: Path) -> None:
    """Raw HTML a writer needs is kept as written; so is everything our Markdown emits on
    a page that has raw HTML (compared with the same page without it)."""
    project = copy_project(tmp_path / "project")
    edit(project / "briefing.yaml", "allow_raw_html: false", "allow_raw_html: true")
    topics = project / "content/topics"
    (topics / "legit.md").write_text(f"---\ntitle: L\n---\n\n{LEGITIMATE}", encoding="utf-8")
    for slug, body in (("plain", FEATURES), ("raw", FEATURES + RAW)):
        (topics / f"{slug}.md").write_text(f"---\ntitle: F\n---\n\n{body}", encoding="utf-8")
    event = "  text: An event [@blinken-meets-wang-yi] with *em*{}\n  topics: [{}]\n"
    with (project / "content/timeline.yaml").open("a", encoding="utf-8") as timeline:
        for slug, extra in (("plain", ""), ("raw", " <kbd>raw</kbd>")):
            timeline.write("\n- date: 2020-01-01\n" + event.format(extra, slug))
    for path in sorted(topics.glob("*.md")):  # the repository's own pages, with raw HTML
        if path.stem not in ("legit", "plain", "raw"):
            path.write_text(path.read_text(encoding="utf-8") + RAW, encoding="utf-8")
    out = tmp_path / "out"
    build(project, out, base_url=BASE_URL, use_cache=False, search=False)

    legit = topic(out, "legit").select_one(".prose")
    assert legit is not None
    assert tree(legit.decode_contents()) == tree(LEGITIMATE)

    plain, raw = topic(out, "plain"), topic(out, "raw")
    assert plain.select_one("sup.cite a[aria-describedby]") and plain.select("td[style]")
    for selector in (".prose", ".event-text"):
        kept, sanitised = plain.select_one(selector), raw.select_one(selector)
        assert kept is not None and sanitised is not None
        drop_raw(sanitised)
        assert tree(sanitised.decode_contents()) == tree(kept.decode_contents()), selector

    slugs = [path.stem for path in (ROOT / "content/topics").glob("*.md")]
    assert slugs
    for slug in slugs:
        before = topic(site_dir, slug).select_one(".prose")
        after = topic(out, slug).select_one(".prose")
        assert before is not None and after is not None
        drop_raw(after)
        assert tree(after.decode_contents()) == tree(before.decode_contents()), slug


def test_a_site_without_raw_html_is_the_same_bytes_with_it_allowed(
    tmp_path: Path, site_dir: Path
) -> None:
    """Only output holding raw HTML is sanitised: the repository's own site (no raw HTML)
    built with allow_raw_html: true is byte for byte the site built without."""
    project = copy_project(tmp_path / "project")
    edit(project / "briefing.yaml", "allow_raw_html: false", "allow_raw_html: true")
    out = tmp_path / "out"
    build(project, out, base_url=BASE_URL, use_cache=False)
    assert tree_digest(out) == tree_digest(site_dir)
