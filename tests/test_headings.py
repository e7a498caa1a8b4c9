"""Heading ids: never empty, unique in a page, never one of the ids the generator makes."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from generator import build
from generator.markdown import make_markdown
from generator.markdown.headings import FALLBACK_ID, is_reserved
from generator.textnorm import passage_id

from .conftest import BASE_URL, ROOT

TEMPLATES = ROOT / "themes" / "default" / "templates"

# title, Markdown, the ids its headings get (in order)
CASES = [
    ("plain words", "## The downing\n", ["the-downing"]),
    ("punctuation only", "## ???\n\n## !!!\n", [FALLBACK_ID, f"{FALLBACK_ID}-2"]),
    ("a heading named like the fallback", "## ???\n\n## Section\n", ["section", "section-2"]),
    ("a citation marker's id", "## Cite 1\n", ["cite-1-2"]),
    ("a Sources entry's id", "## Ref 1\n\n## Ref 1\n", ["ref-1-2", "ref-1-3"]),
    ("a family's stem, twice", "## Cite\n\n## Cite\n", ["cite", "cite-section-2"]),
    ("a template's id", "## Timeline heading\n", ["timeline-heading-2"]),
    ("the main landmark's id", "## Main\n", ["main-2"]),
    ("a footnote's id", "## FN1\n\n## fnref1\n", ["fn1-2", "fnref1-2"]),
    ("repeated words", "## Why\n\n## Why\n\n## Why\n", ["why", "why-2", "why-3"]),
    ("a suffix a writer typed", "## A 2\n\n## A\n\n## A\n", ["a-2", "a", "a-3"]),
    ("levels 2 to 4 only", "# Top\n\n### Mid\n\n##### Low\n", ["mid"]),
]


def heading_ids(html: str) -> list[str]:
    soup = BeautifulSoup(html, "html.parser")
    return [h.get("id") for h in soup.find_all(["h1", "h2", "h3", "h4", "h5", "h6"]) if h.get("id")]


@pytest.mark.parametrize(("title", "markdown", "expected"), CASES, ids=[c[0] for c in CASES])
def test_heading_ids(title: str, markdown: str, expected: list[str]) -> None:
    assert heading_ids(make_markdown().render(markdown)) == expected


def test_headings_avoid_ids_typed_in_raw_html() -> None:
    html = make_markdown(allow_raw_html=True).render('<p id="why">x</p>\n\n## Why\n')
    assert heading_ids(html) == ["why-2"]


def template_ids() -> list[tuple[str, str]]:
    """Each id attribute the default templates write: (template, value with a sample
    number in place of each Jinja expression)."""
    found = []
    for template in sorted(TEMPLATES.glob("*.html")):
        for value in re.findall(r'\bid="([^"]*)"', template.read_text(encoding="utf-8")):
            if value == "{{ id }}":  # a quoted passage's id, made by textnorm.passage_id
                value = passage_id("a-source", "some quoted words")
            found.append((template.name, re.sub(r"\{\{.*?\}\}", "7", value)))
    return found


def test_every_id_the_templates_write_is_reserved() -> None:
    ids = template_ids()
    assert len(ids) > 10
    assert [(name, value) for name, value in ids if not is_reserved(value)] == []


def test_every_id_the_markdown_layer_makes_itself_is_reserved() -> None:
    html = make_markdown().render("Words[^1] and more[^1].\n\n[^1]: A note.\n")
    made = [tag["id"] for tag in BeautifulSoup(html, "html.parser").find_all(id=True)]
    assert made and all(is_reserved(value) for value in made), made


HOSTILE_HEADINGS = """
## ???

## Cite 1

## Ref 1

## Timeline heading

## Sources list heading

## Related heading

## Main

## Cite 1

## \u2014
"""


@pytest.fixture
def hostile_site(project: Path, tmp_path: Path) -> Path:
    """The project with headings that collide with the generator's ids, on a topic with
    citations and timeline events and on the home page."""
    for page in ("content/topics/ukraine-support.md", "content/index.md"):
        path = project / page
        path.write_text(path.read_text(encoding="utf-8") + HOSTILE_HEADINGS, encoding="utf-8")
    out = tmp_path / "output"
    build(project, out, base_url=BASE_URL, use_cache=False)
    return out


def page_soup(path: Path) -> BeautifulSoup:
    return BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")


def test_ids_are_unique_and_never_empty_on_every_page(hostile_site: Path) -> None:
    problems = []
    for path in sorted(hostile_site.rglob("*.html")):
        ids = [tag["id"] for tag in page_soup(path).find_all(id=True)]
        repeated = [value for value, count in Counter(ids).items() if count > 1]
        empty = [value for value in ids if not value.strip()]
        if repeated or empty:
            problems.append(f"{path.relative_to(hostile_site)}: {repeated} {empty}")
    assert problems == []


def test_generator_ids_still_name_their_own_elements(hostile_site: Path) -> None:
    """The back-links of the Sources list land on citation markers, not on headings."""
    for page in ("topics/ukraine-support/index.html", "index.html"):
        soup = page_soup(hostile_site / page)
        assert soup.find(id="cite-1").find_parent("sup", class_="cite"), page
        assert soup.find(id="ref-1").name == "li", page
        assert soup.find(id="sources-list-heading").get_text() == "Sources", page
        assert soup.find(id="main").name == "main", page
        headings = {h.get_text(): h["id"] for h in soup.select(".prose h2")}
        assert headings["???"] == FALLBACK_ID and headings["\u2014"] == f"{FALLBACK_ID}-2"
        assert headings["Cite 1"] == "cite-1-3"  # the last of two; the first is cite-1-2
        assert headings["Timeline heading"] == "timeline-heading-2"
    topic = page_soup(hostile_site / "topics/ukraine-support/index.html")
    assert topic.find(id="timeline-heading").find_parent("section", class_="topic-timeline")
    for link in topic.select(".backrefs a"):
        target = topic.find(id=link["href"][1:])
        assert target.find_parent("sup", class_="cite"), link["href"]


def test_markdown_headings_take_no_id_outside_their_rules(hostile_site: Path) -> None:
    """Every id on a built page is a Markdown heading's or one the generator reserves."""
    stray = []
    for path in sorted(hostile_site.rglob("*.html")):
        soup = page_soup(path)
        headings = {id(h) for h in soup.select(".prose :is(h2, h3, h4)")}
        stray += [
            f"{path.relative_to(hostile_site)}: {tag['id']}"
            for tag in soup.find_all(id=True)
            if id(tag) not in headings and not is_reserved(tag["id"])
        ]
    assert stray == []
