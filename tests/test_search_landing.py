"""Reader tools in a real browser (headless Chromium, as test_browser.py): a search for a
quoted phrase opens the source page at the highlighted passage; the search page narrows
results by kind, outlet, tag and year; "Cite this page" copies its texts, and reads the
same without JavaScript.

Run these alone with:  python -m pytest -m browser tests/test_search_landing.py
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from bs4 import BeautifulSoup

from generator import build

from .conftest import BASE_URL, ROOT
from .test_browser import Watched, serving
from .test_browser import browser as browser  # noqa: F401  (the shared Chromium fixture)

pytestmark = pytest.mark.browser

PHRASE = "leading to the balloon being shot down"
SOURCE = "sources/blinken-meets-wang-yi/"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    www = tmp_path_factory.mktemp("www")
    build(ROOT, www / "briefing", base_url=BASE_URL, use_cache=False)
    return www / "briefing"


@pytest.fixture(scope="module")
def server(site: Path) -> Iterator[str]:
    with serving(site.parent) as url:
        yield url + "briefing/"


def opinion_sources(site: Path) -> set[str]:
    """The source pages the build labelled opinion or editorial."""
    found = set()
    for path in site.glob("sources/*/index.html"):
        soup = BeautifulSoup(path.read_text("utf-8"), "html.parser")
        kind = soup.select_one(".page-header .kind")
        if kind and kind.get_text() in ("Opinion", "Editorial"):
            found.add(path.parent.name)
    return found


def test_a_quoted_phrase_opens_the_source_at_the_highlighted_passage(
    browser: Any, server: str
) -> None:
    watched = Watched(browser, server, viewport={"width": 1280, "height": 800})
    page = watched.page
    page.goto(server + "search/index.html")
    page.fill("#search-page-input", f'"{PHRASE}"')
    page.press("#search-page-input", "Enter")
    page.wait_for_selector("#search-results li", timeout=15000)
    result = page.locator("#search-results > li", has=page.locator(f'h2 a[href*="{SOURCE}"]'))
    passage_link = result.locator(".sub-results a", has_text="Quoted passage")
    assert passage_link.count() >= 1, result.inner_text()
    assert passage_link.first.locator("xpath=..").locator("mark").count() > 0
    passage_link.first.click()
    page.wait_for_url(f"**/{SOURCE}?highlight=*#q-*")
    page.wait_for_selector("mark.search-highlight")
    state = page.evaluate(
        """() => {
            const id = decodeURIComponent(location.hash.slice(1));
            const passage = document.getElementById(id);
            const marks = [...document.querySelectorAll('mark.search-highlight')];
            const first = marks[0].getBoundingClientRect();
            return {
                tag: passage.tagName,
                marked: marks.map(m => m.textContent),
                inPassage: marks.every(m => passage.contains(m)),
                top: first.top, bottom: first.bottom, height: innerHeight,
                outline: getComputedStyle(marks[0]).outlineStyle,
            };
        }"""
    )
    assert state["tag"] == "MARK"
    assert [" ".join(t.split()).lower() for t in state["marked"]] == [PHRASE], state
    assert state["inPassage"], "the words found are in the quoted passage opened"
    assert 0 <= state["top"] and state["bottom"] <= state["height"], "in view"
    assert state["outline"] != "none", "the highlight shows"
    assert watched.errors == [] and watched.outside == []
    watched.close()


def test_search_filters_narrow_results_by_kind(browser: Any, server: str, site: Path) -> None:
    watched = Watched(browser, server, viewport={"width": 1280, "height": 900})
    page = watched.page
    page.goto(server + "search/index.html?q=China")
    page.wait_for_selector("#search-results li", timeout=15000)
    every = page.locator("#search-results > li").count()
    for name in ("kind", "outlet", "tag", "year"):
        assert page.locator(f'#search-filters input[name="{name}"]').count() > 0, name
    page.check('#search-filters input[name="kind"][value="Opinion"]')
    page.wait_for_url("**kind=Opinion*")
    page.wait_for_selector("#search-results li", timeout=15000)
    hrefs = page.locator("#search-results h2 a").evaluate_all("links => links.map(a => a.href)")
    found = {href.split("/sources/")[1].split("/")[0] for href in hrefs if "/sources/" in href}
    assert len(hrefs) == len(found), hrefs  # only source pages
    assert found and found <= opinion_sources(site), (found, opinion_sources(site))
    assert len(hrefs) < every
    assert page.is_checked('#search-filters input[name="kind"][value="Opinion"]')
    assert page.input_value("#search-page-input") == "China"
    assert watched.errors == [] and watched.outside == []
    watched.close()


def test_cite_this_page_copies_its_texts(browser: Any, server: str) -> None:
    watched = Watched(browser, server, viewport={"width": 1280, "height": 900})
    watched.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page = watched.page
    page.goto(server + "topics/spy-balloon/index.html")
    page.click(".cite-this button:text('Copy citation')")
    page.wait_for_selector(".cite-this .copy-status:text('Copied.')")
    assert page.evaluate("navigator.clipboard.readText()") == page.inner_text("#citethis-text")
    page.click(".cite-this summary:text('BibTeX')")
    page.click(".cite-this button:text('Copy BibTeX')")
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied.startswith("@misc{topic-spy-balloon,") and copied.rstrip().endswith("}")
    assert watched.errors == [] and watched.outside == []
    watched.close()


@pytest.mark.parametrize("scheme", ["http", "file"])
def test_cite_this_page_reads_without_javascript(
    browser: Any, server: str, site: Path, scheme: str
) -> None:
    base = server if scheme == "http" else site.as_uri() + "/"
    watched = Watched(browser, base, java_script_enabled=False)
    page = watched.page
    page.goto(base + SOURCE + "index.html")
    assert "Blinken Meets China" in page.inner_text("#citethis-text")
    assert page.locator(".cite-this button").count() == 0, "no button that would do nothing"
    page.click(".cite-this summary:text('BibTeX')")
    assert page.inner_text("#citethis-bibtex").startswith("@misc{blinken-meets-wang-yi,")
    link = page.locator(".cite-this a[href='cite.bib']")
    if scheme == "file":  # from disk the browser opens the file rather than saving it
        target = link.evaluate("a => a.href")
        assert target == (site / SOURCE / "cite.bib").as_uri()
    else:
        with page.expect_download() as download:
            link.click()
        saved = Path(download.value.path()).read_text("utf-8")
        assert saved == (site / SOURCE / "cite.bib").read_text("utf-8")
    watched.close()


def test_a_result_lists_the_source_sections_it_was_found_in(browser: Any, server: str) -> None:
    """Matches under a source's subheading are offered as a section of the result, which
    opens the page at that heading."""
    watched = Watched(browser, server, viewport={"width": 1280, "height": 900})
    page = watched.page
    page.goto(server + "search/index.html?q=proof")
    page.wait_for_selector("#search-results li", timeout=15000)
    source = "sources/us-accuses-china-of-weighing-arms-for-russia/"
    result = page.locator("#search-results > li", has=page.locator(f'h2 a[href*="{source}"]'))
    section = result.locator(".sub-results a", has_text="Has the U.S. shown any proof?")
    assert section.count() == 1, result.inner_text()
    section.click()
    page.wait_for_url(f"**/{source}?highlight=proof#part-*")
    heading = page.evaluate("decodeURIComponent(location.hash.slice(1))")
    assert page.inner_text(f"h2#{heading}") == "Has the U.S. shown any proof?"
    assert page.locator("mark.search-highlight", has_text="proof").count() > 0
    assert watched.errors == [] and watched.outside == []
    watched.close()
