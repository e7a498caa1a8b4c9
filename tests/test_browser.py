"""A reader in a real browser: headless Chromium driven by Playwright.

The site is served from a subfolder of a local HTTP server (and opened from file://):
readers follow citations to highlighted passages, search, read on a phone, and use the
keyboard; axe-core finds no serious or critical accessibility violation in light or dark
mode, and no landmarks or links that cannot be told apart; printed to PDF (read back with
pdftotext), pages keep their citations and lose their search box; a sample of known XSS
vectors in raw HTML runs nothing. Screenshots of every page kind go to
test-artifacts/screenshots/.

Run these alone with:  python -m pytest -m browser
"""

from __future__ import annotations

import functools
import re
import shutil
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from generator import build

from .conftest import BASE_URL, ROOT
from .deps import AXE, apt_install, ensure_npm_packages
from .test_sanitize import VECTORS, build_xss_site

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PAGE_KINDS = {
    "home": "index.html",
    "topic": "topics/spy-balloon/index.html",
    "source": "sources/blinken-meets-wang-yi/index.html",
    "original": "sources/blinken-meets-wang-yi/original/index.html",
    "sources": "sources/index.html",
    "tags": "tags/index.html",
    "tag": "tags/spy-balloon/index.html",
    "timeline": "timeline/index.html",
    "about": "about/index.html",
    "search": "search/index.html?q=balloon",
}


def ensure_browser_dependencies() -> None:
    """Install what these tests need when a fresh machine lacks it (Chromium, axe-core)."""
    if not CHROMIUM.exists():
        apt_install("chromium")
    ensure_npm_packages()


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass


@pytest.fixture(scope="module")
def site_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The real site built into www/briefing/, to be served from a subfolder."""
    www = tmp_path_factory.mktemp("www")
    build(ROOT, www / "briefing", base_url=BASE_URL, use_cache=False)
    return www


@pytest.fixture(scope="module")
def server(site_root: Path) -> Iterator[str]:
    with serving(site_root) as url:
        yield url + "briefing/"


@contextmanager
def serving(folder: Path) -> Iterator[str]:
    """Serve folder on a free local port; yield its address."""
    handler = functools.partial(QuietHandler, directory=str(folder))
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_port}/"
    finally:
        httpd.shutdown()
        httpd.server_close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    ensure_browser_dependencies()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


class Watched:
    """A page with its console errors and any request that left the local site."""

    def __init__(self, browser: Any, local_prefix: str, **options: Any):
        self.context = browser.new_context(**options)
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.outside: list[str] = []
        self.page.on("console", lambda m: m.type == "error" and self.errors.append(m.text))
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on(
            "request",
            lambda r: r.url.startswith(local_prefix) or self.outside.append(r.url),
        )

    def close(self) -> None:
        self.context.close()


def base_for(kind: str, server: str, site_root: Path) -> str:
    return server if kind == "http" else (site_root / "briefing").as_uri() + "/"


@pytest.mark.parametrize("kind", ["http", "file"])
def test_reader_follows_a_citation_to_its_highlighted_passage(
    browser: Any, server: str, site_root: Path, kind: str
) -> None:
    base = base_for(kind, server, site_root)
    local = server if kind == "http" else "file://"
    watched = Watched(browser, local, viewport={"width": 1280, "height": 800})
    page = watched.page
    page.goto(base + "index.html")
    page.click(".home-topics a:text('Spy balloon')")
    page.wait_for_url("**/topics/spy-balloon/**")
    marker = page.locator('sup.cite a[href*="#q-"]').first
    title = marker.get_attribute("title") or ""
    marker.click()
    page.wait_for_url("**/sources/**#q-*")
    passage_id = page.url.split("#", 1)[1]
    state = page.evaluate(
        """id => {
            const el = document.getElementById(id);
            const r = el.getBoundingClientRect();
            return {tag: el.tagName, top: r.top, bottom: r.bottom, height: innerHeight,
                    background: getComputedStyle(el).backgroundColor, text: el.textContent};
        }""",
        passage_id,
    )
    assert state["tag"] == "MARK"
    assert 0 <= state["top"] and state["bottom"] <= state["height"], "passage is in view"
    assert state["background"] not in ("rgba(0, 0, 0, 0)", "transparent"), "highlighted"
    quote = title[1 : title.index("\u201d \u2014 ")]
    assert " ".join(quote.split()[:3]) in " ".join(state["text"].split()), (quote, state["text"])
    assert watched.errors == [] and watched.outside == []
    watched.close()


def test_search_finds_the_spy_balloon_topic(browser: Any, server: str) -> None:
    watched = Watched(browser, server, viewport={"width": 1280, "height": 900})
    page = watched.page
    page.goto(server + "topics/taiwan/index.html")
    page.fill("#site-search-input", "balloon")
    page.press("#site-search-input", "Enter")
    page.wait_for_selector("#search-results li", timeout=15000)
    results = page.locator("#search-results > li")
    headings = [results.nth(i).locator("h2").inner_text() for i in range(results.count())]
    assert any("Spy balloon" in h and "TOPIC" in h.upper() for h in headings), headings
    assert results.first.locator("mark").count() > 0, "the match is highlighted"
    hrefs = page.locator("#search-results a:text-is('Spy balloon')").evaluate_all(
        "links => links.map(a => a.href.split('?')[0])"  # ?highlight= marks the words found
    )
    assert server + "topics/spy-balloon/" in hrefs, hrefs  # the topic, in the site's folder
    assert server + "tags/spy-balloon/" in hrefs, hrefs
    assert watched.errors == [] and watched.outside == []
    watched.close()


def test_search_merges_the_index_parts_of_a_large_site(
    browser: Any, server: str, site_root: Path, project: Path
) -> None:
    """A site whose sources and topics are split into search shards finds pages in every
    part."""
    settings = project / "briefing.yaml"
    settings.write_text(
        settings.read_text(encoding="utf-8") + "search_shard_size: 2\n", encoding="utf-8"
    )
    build(project, site_root / "sharded", base_url=BASE_URL, use_cache=False)
    parts = sorted(p.name for p in (site_root / "sharded").glob("pagefind-sources-*"))
    assert len(parts) >= 2, parts
    topic_parts = list((site_root / "sharded").glob("pagefind-topics-*"))
    assert len(topic_parts) >= 2, topic_parts
    sharded = server.replace("/briefing/", "/sharded/")
    watched = Watched(browser, sharded)
    page = watched.page
    page.goto(sharded + "search/index.html?q=Blinken")
    page.wait_for_selector("#search-results li", timeout=15000)
    links = page.locator("#search-results h2 a")
    hrefs = [links.nth(i).get_attribute("href") or "" for i in range(links.count())]
    for expected in (
        "topics/",  # a shard of topics (the main index holds only tags)
        "sources/blinken-meets-wang-yi/",  # one shard
        "sources/wang-yi-signals-support-for-russia/",  # another
    ):
        assert any(h.startswith(sharded + expected) for h in hrefs), (expected, hrefs)
    assert watched.errors == [] and watched.outside == []
    watched.close()


def test_search_says_it_needs_http_when_opened_from_disk(browser: Any, site_root: Path) -> None:
    watched = Watched(browser, "file://")
    page = watched.page
    page.goto((site_root / "briefing/search/index.html").as_uri() + "?q=balloon")
    assert "served over HTTP" in page.inner_text("#search-status")
    assert watched.errors == []
    watched.close()


@pytest.mark.parametrize("name", sorted(PAGE_KINDS))
def test_phone_viewport_has_no_horizontal_overflow(browser: Any, server: str, name: str) -> None:
    watched = Watched(
        browser,
        server,
        viewport={"width": 360, "height": 780},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
    )
    page = watched.page
    page.goto(server + PAGE_KINDS[name])
    page.wait_for_load_state("networkidle")
    # A phone's browser widens its layout to fit content too wide for the screen (and
    # shrinks the text to fit): innerWidth grows with the content, the screen does not.
    widths = page.evaluate("() => [document.documentElement.scrollWidth, innerWidth]")
    assert widths[0] <= 360 and widths[1] == 360, f"{name}: laid out {widths}px wide on 360px"
    assert watched.errors == [] and watched.outside == []
    watched.close()


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_axe_finds_no_serious_violations(browser: Any, server: str, scheme: str) -> None:
    problems = []
    watched = Watched(browser, server, color_scheme=scheme, viewport={"width": 1280, "height": 900})
    page = watched.page
    for name, path in sorted(PAGE_KINDS.items()):
        page.goto(server + path)
        page.wait_for_load_state("networkidle")
        page.add_script_tag(path=str(AXE))
        result = page.evaluate("async () => await axe.run(document)")
        for violation in result["violations"]:
            if violation["impact"] in ("serious", "critical"):
                targets = [node["target"] for node in violation["nodes"][:3]]
                problems.append(f"{name} ({scheme}): {violation['id']}: {targets}")
    watched.close()
    assert problems == [], "\n".join(problems)


# Moderate and minor by axe's measure, but a screen-reader user lists landmarks and links by
# name: two alike must be the same place. Best-practice rules, run explicitly.
TELL_APART_RULES = [
    "landmark-unique",
    "landmark-complementary-is-top-level",
    "identical-links-same-purpose",
]


TELL_APART_PAGES = {**PAGE_KINDS, "source-note": "sources/us-china-exchanging-blows/index.html"}


@pytest.mark.parametrize("name", sorted(TELL_APART_PAGES))
def test_landmarks_and_links_can_be_told_apart(browser: Any, server: str, name: str) -> None:
    """No two landmarks or links share a name unless they are the same place, and no
    complementary landmark hides inside another: violations and results axe leaves for
    review both fail."""
    watched = Watched(browser, server, viewport={"width": 1280, "height": 900})
    page = watched.page
    page.goto(server + TELL_APART_PAGES[name])
    page.wait_for_load_state("networkidle")
    page.add_script_tag(path=str(AXE))
    result = page.evaluate(
        "async rules => await axe.run(document, {runOnly: {type: 'rule', values: rules}})",
        TELL_APART_RULES,
    )
    watched.close()
    ran = {
        r["id"]
        for kind in ("passes", "violations", "incomplete", "inapplicable")
        for r in result[kind]
    }
    assert ran == set(TELL_APART_RULES)
    problems = [
        axe_message(rule, node)
        for rule in result["violations"] + result["incomplete"]
        for node in rule["nodes"]
    ]
    assert problems == [], "\n".join(problems)


def axe_message(rule: dict[str, Any], node: dict[str, Any]) -> str:
    """axe's own words for one failing element, with the elements it clashes with."""
    related = [
        item["html"]
        for check in node["any"] + node["all"] + node["none"]
        for item in check["relatedNodes"]
        if item["html"] != node["html"]
    ]
    summary = " ".join((node.get("failureSummary") or "").split())
    return f"{rule['id']} ({rule['impact']}): {node['html']} {summary} related: {related}"


def test_paged_lists_are_accessible(
    browser: Any, server: str, site_root: Path, project: Path
) -> None:
    """The sources index and a tag page in pages: no serious axe violation in light or dark mode, no
    horizontal overflow on a phone, and its next link leads to the next page."""
    settings = project / "briefing.yaml"
    settings.write_text(
        settings.read_text(encoding="utf-8") + "sources_per_page: 2\n", encoding="utf-8"
    )
    build(project, site_root / "paged", base_url=BASE_URL, use_cache=False)
    paged = server.replace("/briefing/", "/paged/")
    problems = []
    for scheme in ("light", "dark"):
        watched = Watched(
            browser, paged, color_scheme=scheme, viewport={"width": 360, "height": 780}
        )
        page = watched.page
        for path in ("tags/china/page/2/index.html", "sources/page/2/index.html"):
            page.goto(paged + path)
            page.wait_for_load_state("networkidle")
            widths = page.evaluate("() => [document.documentElement.scrollWidth, innerWidth]")
            assert widths[0] <= widths[1], f"{path} {scheme}: {widths[0]}px in {widths[1]}px"
            page.add_script_tag(path=str(AXE))
            result = page.evaluate("async () => await axe.run(document)")
            problems += [
                f"{path} {scheme}: {v['id']}: {[n['target'] for n in v['nodes'][:3]]}"
                for v in result["violations"]
                if v["impact"] in ("serious", "critical")
            ]
        page.click(".pagination a[rel=next]")
        page.wait_for_load_state("networkidle")
        assert page.url == paged + "sources/page/3/index.html"
        assert page.inner_text(".pagination [aria-current=page]") == "3"
        assert watched.errors == [] and watched.outside == []
        watched.close()
    assert problems == [], "\n".join(problems)


def test_keyboard_reaches_search_and_citations_with_visible_focus(
    browser: Any, server: str
) -> None:
    watched = Watched(browser, server, viewport={"width": 1280, "height": 900})
    page = watched.page
    page.goto(server + "topics/spy-balloon/index.html")
    reached = set()
    for _ in range(60):
        page.keyboard.press("Tab")
        focus = page.evaluate(
            """() => {
                const el = document.activeElement;
                const style = getComputedStyle(el);
                return {id: el.id, cite: !!el.closest('sup.cite'),
                        outline: style.outlineStyle, width: parseFloat(style.outlineWidth)};
            }"""
        )
        visible = focus["outline"] != "none" and focus["width"] > 0
        if focus["id"] == "site-search-input":
            assert visible, "the search box shows focus"
            reached.add("search")
        if focus["cite"]:
            assert visible, "citation links show focus"
            reached.add("citation")
        if reached == {"search", "citation"}:
            break
    assert reached == {"search", "citation"}
    watched.close()


def pdf_text(pdf: bytes, folder: Path) -> str:
    """The words of a PDF as pdftotext reads them, whitespace collapsed."""
    if not shutil.which("pdftotext"):
        apt_install("poppler-utils")
    path = folder / "page.pdf"
    path.write_bytes(pdf)
    result = subprocess.run(
        ["pdftotext", str(path), "-"], check=True, capture_output=True, text=True, timeout=60
    )
    return " ".join(result.stdout.split())


@pytest.mark.parametrize("name", sorted(PAGE_KINDS))
def test_a_printed_page_has_no_screen_furniture_but_keeps_its_citations(
    browser: Any, server: str, tmp_path: Path, name: str
) -> None:
    """Printed to PDF, a page shows no search box, skip link or navigation; the citation
    markers and the Sources list stay."""
    watched = Watched(browser, server, viewport={"width": 1280, "height": 900})
    page = watched.page
    page.goto(server + PAGE_KINDS[name])
    page.wait_for_load_state("networkidle")
    cited = [" ".join(t.split()) for t in page.locator(".cited-sources li > a").all_inner_texts()]
    markers = page.locator("sup.cite a").count()
    page.emulate_media(media="print")
    printed_markers = page.evaluate(
        "() => [...document.querySelectorAll('sup.cite a')]"
        ".filter(a => a.getClientRects().length > 0).length"
    )
    text = pdf_text(page.pdf(), tmp_path)
    watched.close()
    assert "Skip to content" not in text
    if name == "search":  # its heading stays; the form does not
        assert "Search topics, sources and tags" not in text
    else:
        assert re.findall(r"\bSearch\b", text) == []
    if name in ("home", "topic", "timeline"):
        assert cited and markers, "this page cites sources"
    assert printed_markers == markers
    if cited:
        assert "Sources" in text

        # Compared without spaces and hyphens: a printed line may break after a hyphen
        # ("defense-" / "industrial"), which pdftotext joins as "defenseindustrial".
        def flat(words: str) -> str:
            return "".join(words.split()).replace("-", "")

        assert [title for title in cited if flat(title) not in flat(text)] == []


def test_screenshots_of_every_page_kind(browser: Any, server: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    shots = []
    for width, label in ((1280, "desktop"), (390, "phone")):
        for scheme in ("light", "dark"):
            watched = Watched(
                browser, server, viewport={"width": width, "height": 900}, color_scheme=scheme
            )
            for name, path in sorted(PAGE_KINDS.items()):
                watched.page.goto(server + path)
                watched.page.wait_for_load_state("networkidle")
                target = SCREENSHOTS / f"{name}-{label}-{scheme}.png"
                watched.page.screenshot(path=str(target), full_page=True)
                shots.append(target)
            watched.close()
    assert all(shot.stat().st_size > 5000 for shot in shots)


# Vectors that would act on load, on toggle or on a click, found by a piece of their text.
XSS_SAMPLE = (
    '<animate attributeName="href"',
    "<img src=x onerror=alert(1)>",
    'href="java&#x09;script:',
    'href="java\x7fscript:',
    "<details open ontoggle",
    "<iframe srcdoc",
    '<noscript><p title="</noscript>',
    "<math><mtext><table><mglyph><style><!--",
    'style="display:block;position:fixed',
    '<form action="javascript:',
)


# Unsanitised, to show the test below would see a vector that runs.
XSS_CONTROL = (
    '<div class="prose"><a href="javascript:alert(1)">x</a><img src=x onerror=alert(2)></div>'
)


@pytest.fixture(scope="module")
def xss_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    out = build_xss_site(tmp_path_factory.mktemp("xss"))
    (out / "control.html").write_text(XSS_CONTROL, encoding="utf-8")
    with serving(out) as url:
        yield url


def what_runs(browser: Any, server: str, address: str) -> tuple[list[str], list[str]]:
    """Dialogs and javascript:/data: navigations while a page loads and each link the
    writer's HTML left is clicked; asserts no request went to the attacker's host."""
    watched = Watched(browser, server)
    page = watched.page
    dialogs: list[str] = []
    visited: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.on("framenavigated", lambda frame: visited.append(frame.url))
    page.goto(address)
    page.wait_for_timeout(300)  # an animation, a toggle or an error event fires by then
    links = page.locator(".prose a, .event-text a")
    for index in range(links.count()):
        page.goto(address)
        link = links.nth(index)
        if link.is_visible():
            link.click(timeout=2000)
        else:
            link.evaluate("a => a.click()")
        page.wait_for_timeout(100)
    watched.close()
    assert [url for url in watched.outside if "xss.example" in url] == []
    return dialogs, [url for url in visited if url.startswith(("javascript:", "data:"))]


def test_the_xss_check_sees_a_vector_that_runs(browser: Any, xss_server: str) -> None:
    dialogs, _ = what_runs(browser, xss_server, xss_server + "control.html")
    assert set(dialogs) == {"1", "2"}


@pytest.mark.parametrize("needle", XSS_SAMPLE)
def test_an_xss_vector_runs_nothing_in_chromium(browser: Any, xss_server: str, needle: str) -> None:
    number = next(n for n, vector in enumerate(VECTORS) if needle in vector)
    address = f"{xss_server}topics/xss-{number}/index.html"
    assert what_runs(browser, xss_server, address) == ([], []), VECTORS[number]
