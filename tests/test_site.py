"""End to end: build the repository's real content and inspect the HTML a reader gets."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
import yaml
from bs4 import BeautifulSoup

from generator import build

from .conftest import BASE_URL, ROOT, edit, tree_digest

SOURCES = yaml.safe_load((ROOT / "seeds" / "sources.yaml").read_text(encoding="utf-8"))
SOURCE_IDS = [entry["id"] for entry in SOURCES]

# Written by reading each seed file: text the reader must see, and scraping leftovers they
# must not. Checked against the cleaned text of each source page.
EXPECTED = {
    "us-china-exchanging-blows": {
        "present": [
            "U.S. Secretary of State Antony Blinken met with top Chinese official Wang Yi",
            "It is disgraceful of China’s top diplomat to become defiant without even apologizing.",
            "its positive-sounding story about inviting Western investment",
        ],
        "absent": [
            "About this publication",
            "About Dorothy Phoenix",
            "Dorothy is an independent video game developer",
            "Be the first to comment",
            "Leave a Reply",
        ],
        "headings": [],
        "note": "Editor’s Note: The one-year anniversary of Russia’s invasion of Ukraine was "
        "Feb. 24, 2023.",
    },
    "blinken-meets-wang-yi": {
        "present": [
            "In a rare meeting with China's top diplomat Wang Yi",
            "take corrective actions to restore the bilateral relationship.",
        ],
        "absent": [
            "Home Updates Politics",
            "Source: Web",
            "Blinken Cautioned China's Wang Yi against Assisting Russia during their Meeting",
            "Blinken Cautioned China’s Wang Yi against Assisting Russia during their Meeting",
            "Read Also",
            "Balancing Bipartisanship",
        ],
        "headings": [
            "Blinken and China's Wang Yi Meet - Blinken Advises China to Refrain from Aiding "
            "Russia",
            "U.S. Seeks to Contribute to Peace and Stability",
            "China’s Response to the Ukraine Conflict Raises Concerns in the West",
            "No Apology",
        ],
    },
    "call-to-uphold-international-law": {
        "present": [
            "As the conflict between Russia and Ukraine rages on",
            "which could have far-reaching economic and geopolitical ramifications.",
        ],
        "absent": ["top of page", "bottom of page"],
        "headings": [],
    },
    "us-accuses-china-of-weighing-arms-for-russia": {
        "present": [
            "The U.S. has accused China of mulling the possibility of sending weapons to Russia",
            'Blinken said that his counterpart had offered him "no apology."',
            "But giving military support to Russia at this late stage of the conflict",
        ],
        "absent": [
            "Advertisement",
            "Other Topics of Interest",
            "Ship Moving N. Korean Arms",
            "The Russian vessel Angara",
            "To suggest a correction",
            "highlight the text and press Ctrl",
            "Comments (0)",
            "kyivpost.com/assets",
            "Write the first comment",
        ],
        "headings": [
            "What has the U.S. actually said?",
            "Has the U.S. shown any proof?",
            "What would China have to gain from sending Russia weapons?",
            "How has China reacted?",
            "What has China’s stance been so far?",
            "What’s the bigger picture?",
        ],
    },
    "wang-yi-signals-support-for-russia": {
        "present": [
            "In China's most forthright yet comments on the mounting US confrontation",
            # paragraphs the scrape split mid-sentence are mended
            "Wang declared that the US attitude toward China had not substantially changed",
            "is the rantings of a right-wing Chinese nationalist blogger",
            "to “strengthen security” and “multilateral cooperation.”",
            # Markdown escapes are rendered
            "exceeded $US100 billion for the first time",
        ],
        "absent": [
            "To contact the WSWS",
            "Socialist Equality Party visit",
            "wsws.org/contact",
            "**",
            "\\$",
            "Peter Symonds",  # the byline moves to the metadata card
            "30 January 2022",
        ],
        "headings": [],
    },
}


def soup(path: Path) -> BeautifulSoup:
    return BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")


def collapse(text: str) -> str:
    return " ".join(text.split())


def test_every_seed_has_expectations() -> None:
    assert sorted(EXPECTED) == sorted(SOURCE_IDS)


def test_every_page_kind_exists(site_dir: Path) -> None:
    expected = [
        "index.html",
        "topics/index.html",
        "sources/index.html",
        "tags/index.html",
        "about/index.html",
        "graph.json",
        "static/style.css",
        "static/favicon.svg",
    ]
    expected += [f"sources/{sid}/index.html" for sid in SOURCE_IDS]
    expected += [f"sources/{sid}/original/index.html" for sid in SOURCE_IDS]
    expected += [f"topics/{p.stem}/index.html" for p in (ROOT / "content/topics").glob("*.md")]
    for path in expected:
        assert (site_dir / path).is_file(), path
    tags = soup(site_dir / "tags/index.html").select(".tag-index a")
    assert tags, "the tag index lists tags"
    for link in tags:
        assert (site_dir / "tags" / unquote(link["href"])).is_file()


def _internal_targets(site_dir: Path) -> list[tuple[Path, str]]:
    found = []
    for page in sorted(site_dir.rglob("*.html")):
        if page.name == "404.html":
            continue  # served at any depth, so its links are root-relative (test_feeds)
        for element in soup(page).find_all(["a", "link", "img", "script"]):
            ref = element.get("href") or element.get("src")
            if ref:
                found.append((page, ref))
    return found


def test_every_internal_link_resolves(site_dir: Path) -> None:
    assert _check_internal_links(site_dir) > 100


def _check_internal_links(site_dir: Path) -> int:
    """Assert every internal link of every page resolves; the number of links checked."""
    checked = 0
    for page, ref in _internal_targets(site_dir):
        parts = urlsplit(ref)
        if parts.scheme in ("http", "https", "mailto"):
            continue
        assert not parts.scheme and not ref.startswith("/"), f"{page}: non-relative link {ref}"
        target = (page.parent / unquote(parts.path)).resolve() if parts.path else page
        assert target.is_file(), f"{page.relative_to(site_dir)} links to missing {ref}"
        assert site_dir.resolve() in target.parents, f"{page}: link leaves the site: {ref}"
        if parts.fragment and target.suffix == ".html":
            assert soup(target).find(id=parts.fragment), f"{page}: no #{parts.fragment} in {ref}"
        checked += 1
    return checked


@pytest.mark.parametrize("source_id", SOURCE_IDS)
def test_source_page_shows_clean_text(site_dir: Path, source_id: str) -> None:
    page = soup(site_dir / "sources" / source_id / "index.html")
    body = page.select_one(".article-text")
    assert body is not None
    for cited in body.select(".passage-cited"):
        cited.decompose()  # links back to topics are ours, not the article's
    text = collapse(body.get_text(" "))
    text_tight = collapse(body.get_text(""))
    expected = EXPECTED[source_id]
    for line in expected["present"]:
        assert collapse(line) in text_tight, f"missing from {source_id}: {line!r}"
    for line in expected["absent"]:
        assert line not in text and line not in text_tight, f"boilerplate in {source_id}: {line!r}"
    headings = [collapse(h.get_text()) for h in body.find_all("h2")]
    assert headings == expected["headings"]
    notes = [collapse(n.get_text()) for n in body.select(".editor-note")]
    assert notes == ([expected["note"]] if "note" in expected else [])
    entry = next(e for e in SOURCES if e["id"] == source_id)
    title = entry["title"]
    if title:
        # the headline is shown once, as the page title, not repeated in the text
        assert collapse(title) not in text_tight


@pytest.mark.parametrize("entry", SOURCES, ids=SOURCE_IDS)
def test_source_metadata_matches_sources_yaml(site_dir: Path, entry: dict) -> None:
    page = soup(site_dir / "sources" / entry["id"] / "index.html")
    if entry["title"]:
        assert collapse(page.h1.get_text()) == entry["title"]
    card = {collapse(div.dt.get_text()): div.dd for div in page.select(".meta-card > div")}
    assert collapse(card["Outlet"].get_text()) == (entry["outlet"] or "Not stated in the text")
    assert collapse(card["Author"].get_text()) == (entry["author"] or "Not stated in the text")
    assert collapse(card["Kind"].get_text()) == entry["kind"].capitalize()
    time = card["Date"].find("time")
    if entry["date"] is None:
        assert time is None
    else:
        assert time["datetime"] == str(entry["date"])
    if entry["kind"] in ("opinion", "editorial"):
        assert page.select_one(".opinion-warning"), "opinion pieces are labelled"
    else:
        assert page.select_one(".opinion-warning") is None
    original = card["Original"].find("a", string="Original text")
    assert original is not None
    raw = (site_dir / "sources" / entry["id"] / "original.txt").read_bytes()
    assert raw == (ROOT / "seeds" / entry["file"]).read_bytes()


def test_first_sentence_title_is_disclosed(site_dir: Path) -> None:
    untitled = [e for e in SOURCES if not e["title"]]
    assert untitled
    for entry in untitled:
        page = soup(site_dir / "sources" / entry["id"] / "index.html")
        assert "has no headline" in page.select_one(".meta-card").get_text()


def test_original_text_page_escapes_and_keeps_everything(site_dir: Path) -> None:
    for entry in SOURCES:
        page = soup(site_dir / "sources" / entry["id"] / "original" / "index.html")
        raw = (ROOT / "seeds" / entry["file"]).read_text(encoding="utf-8")
        assert collapse(page.select_one("pre.raw-text").get_text()) == collapse(raw)


def test_home_lists_topics_and_latest_sources(site_dir: Path) -> None:
    home = soup(site_dir / "index.html")
    topic_titles = {collapse(a.get_text()) for a in home.select(".home-topics h3 a")}
    for path in (ROOT / "content/topics").glob("*.md"):
        page = soup(site_dir / "topics" / path.stem / "index.html")
        assert collapse(page.h1.get_text()) in topic_titles
    latest = home.select(".home-sources li")
    assert len(latest) == len(SOURCES)
    dates = [li.find("time")["datetime"] for li in latest if li.find("time")]
    assert dates == sorted(dates, reverse=True), "newest first"


def test_tag_pages_list_topics_and_sources(site_dir: Path) -> None:
    index = soup(site_dir / "tags/index.html")
    for item in index.select(".tag-index li"):
        link = item.find("a")
        count = int(item.select_one(".count").get_text())
        page = soup(site_dir / "tags" / unquote(link["href"]))
        listed = page.select(".cards li") + page.select(".source-list li")
        assert len(listed) == count
    spy = soup(site_dir / "tags/spy-balloon/index.html")
    sources = {a["href"].split("/")[-2] for a in spy.select(".source-list li > a")}
    expected = {e["id"] for e in SOURCES if "Spy balloon" in e["tags"]}
    assert sources == expected


def test_pages_use_only_local_assets(site_dir: Path) -> None:
    """No CDN, font service or remote script: everything a page loads is in the site."""
    for page in site_dir.rglob("*.html"):
        html = soup(page)
        loaded = [
            link["href"]
            for link in html.find_all("link", href=True)
            if {"stylesheet", "icon", "preload", "manifest"} & set(link.get("rel", []))
        ]
        loaded += [tag["src"] for tag in html.find_all(src=True)]
        for ref in loaded:
            assert not ref.startswith(("http:", "https:", "//")), (page, ref)


def test_no_link_goes_to_a_placeholder_address(site_dir: Path) -> None:
    """Readers follow links: none may lead to a reserved example domain (RFC 2606), but for
    the address the tests build the site for."""
    placeholders = ("example.org", "example.com", "example.net")
    links = [
        (page.relative_to(site_dir).as_posix(), a["href"])
        for page in site_dir.rglob("*.html")
        for a in soup(page).find_all("a", href=True)
        if not a["href"].startswith(BASE_URL)
    ]
    assert len(links) > 100
    bad = [(page, href) for page, href in links if urlsplit(href).hostname in placeholders]
    assert bad == []


def test_two_builds_are_byte_identical(tmp_path: Path, site_dir: Path) -> None:
    again = tmp_path / "again"
    build(ROOT, again, base_url=BASE_URL, use_cache=False)
    assert tree_digest(again) == tree_digest(site_dir)


def test_dates_do_not_follow_the_locale(
    tmp_path: Path, site_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Month names are the same whatever LC_TIME a library sets: calendar.month_name is
    what setlocale() changes, so a German one stands in for it here."""
    import calendar

    german = ["", "Januar", "Februar", "März", "April", "Mai", "Juni", "Juli"]
    german += ["August", "September", "Oktober", "November", "Dezember"]
    monkeypatch.setattr(calendar, "month_name", german)
    again = tmp_path / "again"
    build(ROOT, again, base_url=BASE_URL, use_cache=False)
    assert tree_digest(again) == tree_digest(site_dir)
    home = (again / "index.html").read_text(encoding="utf-8")
    assert "February 2023" in home


def _listed_sources(page: Path) -> list[str]:
    """The ids of the sources a page of the sources index lists, in order."""
    return [a["href"].split("/")[-2] for a in soup(page).select(".source-list li > a")]


def test_long_lists_in_pages(project: Path, site_dir: Path) -> None:
    """With sources_per_page: 2, the five sources are listed newest first over three pages,
    each source once, with previous and next links between the pages, and so are the
    sources of a tag; changing the setting back leaves the same site as a clean build,
    without the extra pages."""
    one_page = _listed_sources(site_dir / "sources/index.html")
    assert soup(site_dir / "sources/index.html").select_one(".pagination") is None
    settings = project / "briefing.yaml"
    original = settings.read_text(encoding="utf-8")
    settings.write_text(original + "\nsources_per_page: 2\n", encoding="utf-8")
    out = project / "output"
    build(project, out, base_url=BASE_URL)
    paths = ["sources/index.html", "sources/page/2/index.html", "sources/page/3/index.html"]
    listed = []
    for number, path in enumerate(paths, start=1):
        page = soup(out / path)
        listed += _listed_sources(out / path)
        expected_range = {1: "Sources 1–2 of 5", 2: "Sources 3–4 of 5", 3: "Source 5 of 5"}
        assert page.select_one(".page-range").get_text().startswith(expected_range[number])
        assert page.select_one(".pagination [aria-current=page]").get_text() == str(number)
        for rel, other in (("prev", number - 1), ("next", number + 1)):
            link = page.select_one(f".pagination a[rel={rel}]")
            if 1 <= other <= 3:
                target = ((out / path).parent / link["href"]).resolve()
                assert target == (out / paths[other - 1]).resolve()
            else:
                assert link is None
    assert listed == one_page and len(listed) == 5
    assert not (out / "sources/page/4").exists()
    assert _check_internal_links(out) > 100
    sitemap = (out / "sitemap.xml").read_text(encoding="utf-8")
    assert f"<loc>{BASE_URL}sources/page/3/</loc>" in sitemap
    # Tag pages too: the topics on the first page, the sources over all of them.
    tag_pages = sorted(
        (out / "tags/china").rglob("index.html"), key=lambda p: (len(p.parts), str(p))
    )
    assert [p.relative_to(out).as_posix() for p in tag_pages] == [
        "tags/china/index.html",
        "tags/china/page/2/index.html",
        "tags/china/page/3/index.html",
    ]
    whole = soup(site_dir / "tags/china/index.html")
    assert [len(soup(p).select(".cards li")) for p in tag_pages] == [
        len(whole.select(".cards li")),
        0,
        0,
    ]
    assert [_listed_sources(p) for p in tag_pages] == [
        _listed_sources(site_dir / "tags/china/index.html")[i : i + 2] for i in (0, 2, 4)
    ]
    assert f"<loc>{BASE_URL}tags/china/page/2/</loc>" in sitemap

    # A source on the second page of a tag is renamed: a rebuild shows the new title there
    # (each page is kept or rendered by what it lists) and equals a clean build.
    edit(
        project / "seeds/sources.yaml",
        'title: "Blinken Meets China’s Wang Yi to Warn China from Aiding Russia"',
        'title: "Blinken meets Wang Yi (renamed)"',
    )
    build(project, out, base_url=BASE_URL)
    assert "Blinken meets Wang Yi (renamed)" in (out / "tags/china/page/2/index.html").read_text(
        encoding="utf-8"
    )
    clean = project / "clean"
    build(project, clean, base_url=BASE_URL, use_cache=False)
    assert tree_digest(out) == tree_digest(clean)

    settings.write_text(original, encoding="utf-8")
    build(project, out, base_url=BASE_URL)  # incremental, from the paged site
    build(project, clean, base_url=BASE_URL, use_cache=False)
    assert tree_digest(out) == tree_digest(clean)
    assert not (out / "sources/page").exists() and not (out / "tags/china/page").exists()


def test_site_theme_overrides_one_template(project: Path) -> None:
    theme = project / "themes" / "mine" / "templates"
    theme.mkdir(parents=True)
    (theme / "tags.html").write_text(
        '{% extends "base.html" %}{% block main %}<h1 class="mine">My tags</h1>{% endblock %}',
        encoding="utf-8",
    )
    (project / "themes" / "mine" / "static").mkdir()
    (project / "themes" / "mine" / "static" / "extra.css").write_text("p{}", encoding="utf-8")
    settings = project / "briefing.yaml"
    settings.write_text(
        settings.read_text(encoding="utf-8").replace("theme: default", "theme: mine"),
        encoding="utf-8",
    )
    out = project / "output"
    build(project, out)
    assert soup(out / "tags/index.html").select_one("h1.mine").get_text() == "My tags"
    assert soup(out / "index.html").select_one(".home-topics"), "other templates from default"
    assert (out / "static/extra.css").is_file() and (out / "static/style.css").is_file()


def test_tags_are_normalised_one_way(project: Path) -> None:
    topic = project / "content/topics/spy-balloon.md"
    text = topic.read_text(encoding="utf-8")
    topic.write_text(
        text.replace("tags: [Spy balloon,", "tags: [SPY  Balloon!, Шпионаж,"), encoding="utf-8"
    )
    out = project / "output"
    build(project, out)
    index = soup(out / "tags/index.html")
    names = [a.get_text() for a in index.select(".tag-index a")]
    # four sources spell it "Spy balloon", one topic "SPY  Balloon!": one tag, common spelling
    assert names.count("Spy balloon") == 1 and "SPY  Balloon!" not in names
    page = soup(out / "tags/spy-balloon/index.html")
    assert [a.get_text() for a in page.select(".cards h3 a")] == ["Spy balloon"]
    assert "Шпионаж" in names
    assert (out / "tags" / "шпионаж" / "index.html").is_file()


def test_two_topics_of_one_title_citing_one_source_are_related(project: Path) -> None:
    """Equal score and title are ordered by slug (they once compared two Page objects)."""
    body = "---\ntitle: Twin\n---\n\nA report [@blinken-meets-wang-yi].\n"
    for slug in ("twin-b", "twin-a"):
        (project / f"content/topics/{slug}.md").write_text(body, encoding="utf-8")
    out = project / "output"
    build(project, out)
    related = soup(out / "topics/taiwan/index.html").select(".see-also a")
    hrefs = [str(a["href"]) for a in related]
    assert hrefs.index("../twin-a/index.html") < hrefs.index("../twin-b/index.html")
