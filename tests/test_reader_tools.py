"""Reader tools: citation previews, merged markers and the Who says what panel.

The HTML tests read the built site and check each card, marker and panel against what they
compute themselves from the page's own citations, the source pages' highlighted passages
and seeds/sources.yaml. The browser tests (marked `browser`, as tests/test_browser.py)
open a card by hover, keyboard and tap in Chromium, close it by Escape and by a tap
outside, and check that it never covers its marker, never moves the text, and leaves axe
with no serious or critical finding; screenshots go to test-artifacts/screenshots/.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from bs4 import BeautifulSoup, NavigableString, Tag, TemplateString

from generator import build
from generator.coverage import marker_sections
from generator.previews import CONTEXT_CHARS, in_context
from generator.textnorm import quote_form

from .conftest import BASE_URL, ROOT, copy_project, edit
from .deps import AXE
from .test_browser import (
    CHROMIUM,
    CHROMIUM_ARGS,
    SCREENSHOTS,
    TELL_APART_RULES,
    Watched,
    axe_message,
    ensure_browser_dependencies,
    serving,
)
from .test_citations import citations_of, cited_source
from .test_incremental import clean_build, incremental

OPINION = {"opinion", "editorial"}
SENTENCE_END = re.compile(r"[.!?\"\u201d][\"'\u201d\u2019)]*$")


def soup(path: Path) -> BeautifulSoup:
    return BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")


def words(node: Tag | str) -> str:
    """The words of a node, or of a string, whitespace collapsed (words in a <template>
    too, which get_text() leaves out by default)."""
    text = node if isinstance(node, str) else node.get_text(types=(NavigableString, TemplateString))
    return " ".join(text.split())


def sources_yaml(root: Path = ROOT) -> dict[str, dict[str, Any]]:
    entries = yaml.safe_load((root / "seeds/sources.yaml").read_text(encoding="utf-8"))
    return {entry["id"]: entry for entry in entries}


def markers(html: BeautifulSoup) -> list[Tag]:
    return html.select("sup.cite a")


def topic_pages(site: Path) -> list[Path]:
    return sorted(site.glob("topics/*/index.html"))


def pages_with_markers(site: Path) -> list[Path]:
    return [p for p in sorted(site.glob("**/index.html")) if markers(soup(p))]


# ---------------------------------------------------------------------------------------
# Merged markers (issue 19: "2, 2")


def test_no_marker_group_shows_a_number_twice(site_dir: Path) -> None:
    for page in pages_with_markers(site_dir):
        for group in soup(page).select("sup.cite"):
            numbers = [a.get_text() for a in group.select("a")]
            assert len(numbers) == len(set(numbers)), (page, group)


def test_a_merged_marker_stands_for_each_quote_and_reaches_its_note(site_dir: Path) -> None:
    """The spy-balloon page cites one news report twice in one group: one marker, linking
    to its note, which lists both passages; the second marker's id stays on the page, so
    the note's link back to it lands."""
    page = site_dir / "topics/spy-balloon/index.html"
    html = soup(page)
    merged = [m for m in markers(html) if citations_of(m) > 1]
    assert merged, "the page has a group citing one source twice"
    for marker in merged:
        number = marker.get_text()
        passages = marker["data-passages"].split()
        assert len(passages) == citations_of(marker) == len(set(passages))
        assert marker["href"] == f"#ref-{number}"
        note = html.find(id=f"ref-{number}")
        assert note and note.name == "li"
        note_passages = [a["href"].split("#")[1] for a in note.select(".quotes a")]
        assert set(passages) <= set(note_passages)
        backrefs = [a["href"][1:] for a in note.select(".backrefs a")]
        for alias in marker.find_next_siblings("span", id=re.compile(r"^cite-\d+$")):
            assert alias["id"] in backrefs
            assert html.find_all(id=alias["id"]) == [alias]
        quotes = re.findall(r"\u201c(.*?)\u201d", marker["title"])
        assert len(quotes) == len(passages), marker["title"]


def test_every_backlink_to_a_marker_lands(site_dir: Path) -> None:
    """Links back from Sources lists and source pages reach a marker's id, merged or not."""
    for page in pages_with_markers(site_dir):
        html = soup(page)
        for link in html.select(".backrefs a"):
            assert html.find(id=link["href"][1:]), (page, link)
    for source_page in sorted(site_dir.glob("sources/*/index.html")):
        for link in soup(source_page).select(".passage-cited a"):
            target, _, fragment = link["href"].partition("#")
            assert soup((source_page.parent / target).resolve()).find(id=fragment), link


# ---------------------------------------------------------------------------------------
# Preview cards


def source_passage(site: Path, page: Path, href: str) -> tuple[Tag, str]:
    """The highlighted passage a card links to, and the text of its paragraph on the source
    page (without the links back to the pages citing it)."""
    target, _, fragment = href.partition("#")
    html = soup((page.parent / target).resolve())
    mark = html.find(id=fragment)
    assert mark is not None and mark.name == "mark", href
    block = mark.find_parent(["p", "li", "blockquote", "h2"])
    for cited in block.select(".passage-cited"):
        cited.decompose()
    return mark, " ".join(block.get_text().split())


def test_every_marker_has_its_card_in_the_page(site_dir: Path) -> None:
    for page in pages_with_markers(site_dir):
        html = soup(page)
        assert html.find("script", src=re.compile(r"static/preview\.js$")), page
        wrapper = html.select_one(".cite-previews")
        assert wrapper.has_attr("hidden") and wrapper.has_attr("data-pagefind-ignore")
        for marker in markers(html):
            card = html.find("template", id=marker["aria-describedby"].replace("ref-", "preview-"))
            assert card is not None, (page, marker)
            shown = {li["data-passage"] for li in card.select("li[data-passage]")}
            assert set(marker.get("data-passages", "").split()) <= shown, (page, marker)


def test_a_card_shows_its_source_as_the_sources_list_does(site_dir: Path) -> None:
    entries = sources_yaml()
    for page in pages_with_markers(site_dir):
        html = soup(page)
        for card in html.select(".cite-previews template"):
            number = card["id"].removeprefix("preview-")
            entry = html.find(id=f"ref-{number}")
            link = card.select_one(".cite-card-source a")
            assert link["href"] == entry.select_one("a")["href"]
            assert words(link) == words(entry.select_one("a"))
            source_id = link["href"].split("/")[-2]
            kind = entries[source_id]["kind"]
            assert words(card.select_one(".kind")) == kind.capitalize()
            assert card.select_one(".kind")["class"] == ["kind", f"kind-{kind}"]
            outlet = entries[source_id]["outlet"] or "Outlet not stated"
            assert words(card.select_one(".cite-card-byline")).startswith(outlet + " · ")


def test_a_card_quotes_the_verified_passage_in_its_sentence(site_dir: Path) -> None:
    """Each passage of a card is the quote as the page cites it (which the build verified),
    highlighted on the source page; the card's text is a stretch of the source's paragraph
    that starts and ends at a sentence's edge (or says with an ellipsis that it does not)."""
    checked = 0
    for page in pages_with_markers(site_dir):
        html = soup(page)
        for item in [li for t in html.select("template") for li in t.select("li")]:
            link = item.select_one("a")
            assert link["href"].endswith("#" + item["data-passage"])
            mark, paragraph = source_passage(site_dir, page, link["href"])
            shown = quote_form(words(item.select_one("mark")))
            pid = item["data-passage"]
            quoted = words(html.select_one(f'.cited-sources .quotes a[href$="#{pid}"]'))
            assert shown == quote_form(quoted[1:-1]), (shown, quoted)  # without its “ ”
            assert shown in quote_form(words(mark))  # overlapping quotes share a highlight
            text = words(item)
            cut_before, cut_after = text.startswith("…"), text.endswith("…")
            core = text.strip("…").strip()
            assert core in paragraph, (page, core, paragraph)
            before, after = paragraph.split(core, 1)
            if not cut_before:
                assert before == "" or SENTENCE_END.search(before.strip()), (before, core)
            if not cut_after:
                assert after == "" or SENTENCE_END.search(core), (core, after)
            checked += 1
    assert checked >= 50


def test_the_cards_quote_each_passage_the_page_cites(site_dir: Path) -> None:
    """A page's cards hold exactly the passages its Sources list quotes, each once."""
    for page in pages_with_markers(site_dir):
        html = soup(page)
        for entry in html.select(".cited-sources > ol > li"):
            card = html.find("template", id=entry["id"].replace("ref-", "preview-"))
            quoted = [a["href"].split("#")[1] for a in entry.select(".quotes a")]
            shown = [li["data-passage"] for li in card.select("li[data-passage]")]
            assert shown == quoted, (page, entry["id"])


def test_context_is_the_sentence_around_the_passage() -> None:
    text = "First point. He said the balloon was big, and then it left. Third point."
    start = text.index("the balloon")
    found = in_context(text, start, start + len("the balloon was big"))
    assert (found.before, found.passage, found.after) == (
        "He said ",
        "the balloon was big",
        ", and then it left.",
    )
    assert not found.cut_before and not found.cut_after
    across = in_context(text, text.index("left"), text.index("Third") + 5)
    assert across.before == "He said the balloon was big, and then it " and across.after == (
        " point."
    )
    long = "word " * 100 + "QUOTE" + " word" * 100 + "."
    cut = in_context(long, long.index("QUOTE"), long.index("QUOTE") + 5)
    assert cut.cut_before and cut.cut_after
    assert len(cut.before) <= CONTEXT_CHARS and len(cut.after) <= CONTEXT_CHARS
    assert cut.before.startswith("word") and cut.after.endswith("word")
    lines = in_context("One\nline  and\nanother.", 4, 8)
    assert (lines.before, lines.passage, lines.after) == ("One ", "line", " and another.")


# ---------------------------------------------------------------------------------------
# Who says what


def page_citations(html: BeautifulSoup) -> Counter[str]:
    """How often the page cites each source, counted from its own markers."""
    counts: Counter[str] = Counter()
    for marker in markers(html):
        counts[cited_source(html, marker)] += citations_of(marker)
    return counts


def panel_counts(html: BeautifulSoup) -> dict[tuple[str, str, str], int]:
    """(kind, outlet, source id) -> citations, as the panel shows them."""
    shown = {}
    for group in html.select(".coverage-kind"):
        kind = words(group.select_one(".kind")).lower()
        for outlet in group.select("ul > li"):
            name = words(outlet.select_one(".coverage-outlet"))
            for source in outlet.select(".coverage-source"):
                count = int(words(source.select_one(".count")).split()[0])
                shown[(kind, name, source["data-source"])] = count
    return shown


@pytest.mark.parametrize("slug", ["sanctions", "spy-balloon", "taiwan", "ukraine-support"])
def test_the_panel_counts_what_the_page_cites(site_dir: Path, slug: str) -> None:
    html = soup(site_dir / "topics" / slug / "index.html")
    entries = sources_yaml()
    counts = page_citations(html)
    expected = {
        (entries[s]["kind"], entries[s]["outlet"] or "Outlet not stated", s): n
        for s, n in counts.items()
    }
    assert panel_counts(html) == expected
    total = words(html.select_one(".coverage-total"))
    assert total.startswith(f"{sum(counts.values())} citations of {len(counts)} sources")
    by_kind: Counter[str] = Counter()
    for (kind, _, _), n in expected.items():
        by_kind[kind] += n
    for group in html.select(".coverage-kind"):
        kind = words(group.select_one(".kind")).lower()
        assert words(group.select_one(".kind + .count")) == f"{by_kind[kind]} citations"
    bar = {s["class"][0]: int(s["style"].split(":")[1]) for s in html.select(".coverage-bar span")}
    assert bar == {f"kind-{k}": n for k, n in by_kind.items()}


def expected_notes(html: BeautifulSoup, kinds: dict[str, str]) -> dict[str, set[str]]:
    """The sections (by heading id) that rest on one source or on opinion alone, and their
    sources, worked out from the page's headings and markers."""
    sections: dict[str, set[str]] = defaultdict(set)
    current = None
    for node in html.select(".prose h2, .prose sup.cite a, .topic-timeline h2, .event-text a"):
        if node.name == "h2":
            current = node["id"]
        elif current and node.find_parent("sup", class_="cite"):
            sections[current].add(cited_source(html, node))
    return {
        section: cited
        for section, cited in sections.items()
        if len(cited) == 1 or all(kinds[s] in OPINION for s in cited)
    }


def shown_notes(html: BeautifulSoup) -> dict[str, set[str]]:
    return {
        note["data-section"]: {a["href"].split("/")[-2] for a in note.select("a")[1:]}
        for note in html.select(".coverage-notes li")
    }


@pytest.mark.parametrize("slug", ["sanctions", "spy-balloon", "taiwan", "ukraine-support"])
def test_the_panel_notes_sections_resting_on_one_source_or_opinion(
    site_dir: Path, slug: str
) -> None:
    html = soup(site_dir / "topics" / slug / "index.html")
    kinds = {s: e["kind"] for s, e in sources_yaml().items()}
    assert shown_notes(html) == expected_notes(html, kinds)
    for note in html.select(".coverage-notes li"):
        heading = html.find(id=note["data-section"])
        assert heading.name == "h2" and note.a["href"] == "#" + heading["id"]
        assert words(note.a) == words(heading)


FIXTURE_TOPIC = """---
title: Coverage fixture
summary: A page whose sections rest on different mixes of sources.
tags: [China]
---

The introduction cites two sources
[@blinken-meets-wang-yi; @us-china-exchanging-blows].

## One news report

It says the balloon was shot down
[@blinken-meets-wang-yi "leading to the balloon being shot down"],
and cites it again [@blinken-meets-wang-yi].

## Two opinion pieces

One argues [@us-china-exchanging-blows "Wang retorted that the balloon was for civilian use"],
the other too
[@call-to-uphold-international-law "directly undermine these efforts"].

## One opinion piece

Only this one [@us-china-exchanging-blows].

## News and opinion

Both kinds [@blinken-meets-wang-yi; @us-china-exchanging-blows].

## Two news reports

Both news [@blinken-meets-wang-yi; @us-accuses-china-of-weighing-arms-for-russia].
"""


@pytest.fixture(scope="module")
def fixture_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    project = copy_project(tmp_path_factory.mktemp("coverage") / "project")
    (project / "content/topics/coverage-fixture.md").write_text(FIXTURE_TOPIC, encoding="utf-8")
    out = project / "output"
    build(project, out, base_url=BASE_URL, use_cache=False, search=False)
    return out


def test_the_panel_notes_a_single_source_and_opinion_alone(fixture_site: Path) -> None:
    html = soup(fixture_site / "topics/coverage-fixture/index.html")
    notes = {n["data-section"]: words(n) for n in html.select(".coverage-notes li")}
    assert sorted(notes) == ["one-news-report", "one-opinion-piece", "two-opinion-pieces"]
    assert "rests on a single source, a news report" in notes["one-news-report"]
    assert "rests on a single source, an opinion piece" in notes["one-opinion-piece"]
    assert "rests on opinion and editorial sources alone" in notes["two-opinion-pieces"]
    kinds = {s: e["kind"] for s, e in sources_yaml().items()}
    assert shown_notes(html) == expected_notes(html, kinds)
    assert panel_counts(html) == {
        ("news", "Outlet not stated", "blinken-meets-wang-yi"): 5,
        ("news", "Kyiv Post", "us-accuses-china-of-weighing-arms-for-russia"): 1,
        ("opinion", "Outlet not stated", "us-china-exchanging-blows"): 4,
        ("opinion", "Outlet not stated", "call-to-uphold-international-law"): 1,
    }


def test_sections_are_read_from_the_rendered_headings_and_markers() -> None:
    body = (
        '<p>a<sup class="cite"><a id="cite-1">1</a></sup></p>'
        '<h2 id="x">The <em>first</em><sup class="cite"><a id="cite-2">2</a></sup></h2>'
        '<p><sup class="cite"><a id="cite-3">1</a><span id="cite-4"></span></sup></p>'
        '<h2 id="y">Second</h2><p>none</p>'
    )
    events = ['<sup class="cite"><a id="cite-5">1</a></sup>']
    assert marker_sections(body, events) == [
        ("x", "The first", ["cite-2", "cite-3", "cite-4"]),
        ("y", "Second", []),
        ("timeline-heading", "Timeline", ["cite-5"]),
    ]


def test_sources_carry_their_kind_badge_wherever_they_are_listed(site_dir: Path) -> None:
    """The sources index, tag pages, the home page's latest sources, each page's Sources
    list, the panel and the cards: every listed source shows its kind."""
    kinds = {s: e["kind"] for s, e in sources_yaml().items()}
    listed = 0
    for page in sorted(site_dir.glob("**/index.html")):
        html = soup(page)
        items = html.select(".source-list > li, .cited-sources > ol > li")
        items += [t.select_one(".cite-card-source") for t in html.select("template")]
        for item in items:
            link = item.select_one("a")
            source_id = link["href"].split("/")[-2]
            assert words(item.select_one(".kind")) == kinds[source_id].capitalize(), page
            listed += 1
        for source in html.select(".coverage-source"):
            group = source.find_parent(class_="coverage-kind")
            badge = words(group.select_one(".kind"))
            assert badge == kinds[source["data-source"]].capitalize(), page
            listed += 1
    assert listed >= 50


# ---------------------------------------------------------------------------------------
# Incremental builds


def change_kind_and_outlet(project: Path) -> str:
    """The panel groups sources by kind and outlet; the cards show both."""
    edit(project / "seeds/sources.yaml", "  kind: news\n", "  kind: analysis\n")
    edit(project / "seeds/sources.yaml", "  outlet: Kyiv Post", "  outlet: The Kyiv Post")
    return '<span class="kind kind-analysis">'


def change_a_quoted_sentence(project: Path) -> str:
    """The cards show the words around a passage, which no quote includes."""
    edit(
        project / "seeds/001_aa6b22c0c52c705b.txt",
        "China voiced its anger, claiming",
        "China voiced its fury, claiming",
    )
    return "China voiced its fury"


def cite_a_source_twice_in_a_group(project: Path) -> str:
    """A group that comes to cite one source twice shows one marker for both quotes."""
    edit(
        project / "content/topics/spy-balloon.md",
        '[@blinken-meets-wang-yi "leading to the balloon',
        '[@blinken-meets-wang-yi "the U.S. contended"; @blinken-meets-wang-yi "leading to the'
        " balloon",
    )
    return "\u201cthe U.S. contended\u201d; \u201cleading to the balloon"


@pytest.mark.parametrize(
    "change", [change_kind_and_outlet, change_a_quoted_sentence, cite_a_source_twice_in_a_group]
)
def test_an_incremental_build_shows_the_new_panel_and_cards(  # type: ignore[no-untyped-def]
    project: Path, tmp_path: Path, change
) -> None:
    incremental(project)
    shown = change(project)
    rebuilt = incremental(project)
    assert shown in rebuilt["topics/spy-balloon/index.html"].decode()
    assert rebuilt == clean_build(project, tmp_path / "clean")


# ---------------------------------------------------------------------------------------
# In a browser

TOPIC = "topics/spy-balloon/index.html"
DESKTOP = {"viewport": {"width": 1280, "height": 900}}
PHONE = {
    "viewport": {"width": 390, "height": 800},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
}
MERGED = "sup.cite a[data-passages*=' ']"  # a marker standing for two passages


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    ensure_browser_dependencies()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    www = tmp_path_factory.mktemp("www")
    build(ROOT, www / "briefing", base_url=BASE_URL, use_cache=False, search=False)
    with serving(www) as url:
        yield url + "briefing/"


def box(page: Any, selector: str) -> dict[str, float]:
    return page.locator(selector).first.evaluate(
        "el => { const r = el.getBoundingClientRect();"
        " return {x: r.x + scrollX, y: r.y + scrollY, width: r.width, height: r.height}; }"
    )


def card_state(page: Any) -> dict[str, Any]:
    """The open card: its box, its passages' words, and the box of its marker."""
    return page.evaluate(
        """() => {
            const card = document.querySelector('.cite-card');
            const marker = document.querySelector('sup.cite a[aria-expanded=true]');
            const rect = el => { const r = el.getBoundingClientRect();
                return {left: r.left, right: r.right, top: r.top, bottom: r.bottom}; };
            return {card: rect(card), marker: rect(marker), markerId: marker.id,
                    passages: [...card.querySelectorAll('mark')].map(m => m.textContent),
                    source: card.querySelector('.cite-card-source a').textContent,
                    width: innerWidth, cards: document.querySelectorAll('.cite-card').length};
        }"""
    )


def assert_clear_of_marker(state: dict[str, Any]) -> None:
    card, marker = state["card"], state["marker"]
    apart = (
        card["top"] >= marker["bottom"]
        or card["bottom"] <= marker["top"]
        or card["left"] >= marker["right"]
        or card["right"] <= marker["left"]
    )
    assert apart, state
    assert 0 <= card["left"] and card["right"] <= state["width"], state
    assert state["cards"] == 1


def expected_passages(page: Any, marker_id: str) -> list[str]:
    """The quotes the marker's title names, for comparison with the card's highlights."""
    title = page.locator(f"#{marker_id}").evaluate(
        "a => a.getAttribute('title') || a.getAttribute('data-title')"
    )
    return re.findall(r"\u201c(.*?)\u201d", title)


def assert_card_quotes(page: Any, state: dict[str, Any]) -> None:
    quotes = expected_passages(page, state["markerId"])
    assert quotes and [quote_form(q) for q in quotes] == [
        quote_form(p) for p in state["passages"]
    ], state


def no_card(page: Any) -> None:
    page.wait_for_function("() => !document.querySelector('.cite-card')", timeout=3000)


@pytest.mark.browser
def test_hover_opens_a_card_that_moves_no_text(chromium: Any, served: str) -> None:
    watched = Watched(chromium, served, **DESKTOP)
    page = watched.page
    page.goto(served + TOPIC)
    page.wait_for_load_state("networkidle")
    marker = page.locator(MERGED).first
    marker.scroll_into_view_if_needed()
    paragraph = f"p:has(#{marker.get_attribute('id')})"
    before = [box(page, paragraph), box(page, f"#{marker.get_attribute('id')}")]
    after_paragraph = box(page, f"{paragraph} + *")
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    marker.hover()
    page.wait_for_selector(".cite-card")
    state = card_state(page)
    assert state["markerId"] == marker.get_attribute("id")
    assert len(state["passages"]) == 2
    assert_card_quotes(page, state)
    assert_clear_of_marker(state)
    assert [box(page, paragraph), box(page, f"#{state['markerId']}")] == before
    assert box(page, f"{paragraph} + *") == after_paragraph
    assert requests == [], "the card's data is in the page"
    assert marker.get_attribute("title") is None, "no tooltip over the card"
    page.hover(".cite-card .cite-card-byline")  # across the gap, into the card: it stays
    page.wait_for_timeout(600)
    assert page.locator(".cite-card").count() == 1
    page.mouse.move(5, 5)
    no_card(page)
    assert marker.get_attribute("title"), "the tooltip is back once the card closes"
    assert watched.errors == [] and watched.outside == []
    watched.close()


@pytest.mark.browser
def test_keyboard_focus_opens_a_card_escape_closes_it(chromium: Any, served: str) -> None:
    watched = Watched(chromium, served, **DESKTOP)
    page = watched.page
    page.goto(served + TOPIC)
    for _ in range(80):
        page.keyboard.press("Tab")
        if page.evaluate("() => !!document.activeElement.closest('sup.cite')"):
            break
    page.wait_for_selector(".cite-card")
    state = card_state(page)
    focused = page.evaluate("() => document.activeElement.id")
    assert state["markerId"] == focused
    assert_clear_of_marker(state)
    assert page.evaluate("() => document.activeElement.getAttribute('aria-expanded')") == "true"
    page.keyboard.press("Tab")  # into the card: its link to the source
    assert page.evaluate("() => !!document.activeElement.closest('.cite-card')")
    page.keyboard.press("Escape")
    no_card(page)
    assert page.evaluate("() => document.activeElement.id") == focused, "focus returns"
    page.keyboard.press("Tab")  # on past the card's marker: the next marker opens its own
    page.keyboard.press("Shift+Tab")
    page.wait_for_selector(".cite-card")
    assert card_state(page)["markerId"] == focused
    assert watched.errors == []
    watched.close()


@pytest.mark.browser
def test_a_tap_opens_a_card_on_a_phone_and_a_tap_outside_closes_it(
    chromium: Any, served: str
) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    watched = Watched(chromium, served, **PHONE)
    page = watched.page
    page.goto(served + TOPIC)
    page.wait_for_load_state("networkidle")
    marker = page.locator(MERGED).first
    marker.scroll_into_view_if_needed()
    paragraph = f"p:has(#{marker.get_attribute('id')})"
    before = box(page, paragraph)
    marker.tap()
    page.wait_for_selector(".cite-card")
    assert page.url == served + TOPIC, "the first tap opens the card, not the link"
    state = card_state(page)
    assert_card_quotes(page, state)
    assert_clear_of_marker(state)
    assert box(page, paragraph) == before
    # a phone widens its layout (innerWidth) to fit content too wide for the screen
    widths = page.evaluate("() => [document.documentElement.scrollWidth, innerWidth]")
    screen = PHONE["viewport"]["width"]  # type: ignore[index]
    assert widths[0] <= screen and widths[1] == screen, widths
    page.screenshot(path=str(SCREENSHOTS / "citation-preview-phone.png"))
    page.locator("h1").tap()
    no_card(page)
    marker.tap()
    page.wait_for_selector(".cite-card")
    marker.tap()  # a second tap follows the link: to the note listing both passages
    page.wait_for_url(f"**#ref-{marker.inner_text()}")
    assert watched.errors == [] and watched.outside == []
    watched.close()


@pytest.mark.browser
def test_a_tap_on_a_card_link_opens_the_passage(chromium: Any, served: str) -> None:
    watched = Watched(chromium, served, **PHONE)
    page = watched.page
    page.goto(served + TOPIC)
    marker = page.locator("sup.cite a[href*='#q-']").first
    passage = (marker.get_attribute("href") or "").split("#")[1]
    marker.scroll_into_view_if_needed()
    marker.tap()
    page.wait_for_selector(".cite-card")
    page.locator(".cite-card mark").first.tap()
    page.wait_for_url("**/sources/**#q-*")
    assert page.url.split("#")[1] == passage
    assert page.evaluate("() => document.querySelector(':target').tagName") == "MARK"
    watched.close()


@pytest.mark.browser
def test_without_javascript_a_marker_is_a_plain_link(chromium: Any, served: str) -> None:
    watched = Watched(chromium, served, java_script_enabled=False, **DESKTOP)
    page = watched.page
    page.goto(served + TOPIC)
    marker = page.locator(MERGED).first
    marker.hover()
    page.wait_for_timeout(400)
    assert page.locator(".cite-card").count() == 0
    number = marker.inner_text()
    marker.click()
    page.wait_for_url(f"**#ref-{number}")
    assert page.locator(f"#ref-{number} .quotes a").count() >= 2
    watched.close()


@pytest.mark.browser
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_axe_finds_nothing_serious_with_a_card_open(
    chromium: Any, served: str, scheme: str
) -> None:
    problems = []
    for name, options in (("desktop", DESKTOP), ("phone", PHONE)):
        watched = Watched(chromium, served, color_scheme=scheme, **options)
        page = watched.page
        page.goto(served + TOPIC)
        page.wait_for_load_state("networkidle")
        marker = page.locator(MERGED).first
        marker.scroll_into_view_if_needed()
        if name == "phone":
            marker.tap()
        else:
            marker.hover()
        page.wait_for_selector(".cite-card")
        if scheme == "light":
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SCREENSHOTS / f"citation-preview-{name}.png"))
        page.add_script_tag(path=str(AXE))
        result = page.evaluate("async () => await axe.run(document)")
        problems += [
            f"{name} {scheme}: {v['id']}: {[n['target'] for n in v['nodes'][:3]]}"
            for v in result["violations"]
            if v["impact"] in ("serious", "critical")
        ]
        told_apart = page.evaluate(
            "async rules => await axe.run(document, {runOnly: {type: 'rule', values: rules}})",
            TELL_APART_RULES,
        )
        problems += [
            axe_message(rule, node)
            for rule in told_apart["violations"] + told_apart["incomplete"]
            for node in rule["nodes"]
        ]
        assert page.locator(".cite-card").count() == 1, "the card was open while axe ran"
        watched.close()
    assert problems == [], "\n".join(problems)
