"""RSS and Atom written as text (feedxml.py): hostile titles, summaries, tags and HTML give
well-formed feeds whose text, read back by an XML parser and by feedparser, is what was
written, less only the characters XML cannot hold."""

from __future__ import annotations

import html
from pathlib import Path
from xml.etree import ElementTree

import feedparser
import pytest
import yaml
from bs4 import BeautifulSoup

from generator import build
from generator.feeds import FeedInfo, FeedItem, FeedLinks
from generator.feedxml import FeedWriter
from generator.models import PartialDate
from generator.site import tag_slug

from .conftest import BASE_URL

NS = {
    "atom": "http://www.w3.org/2005/Atom",
    "content": "http://purl.org/rss/1.0/modules/content/",
    "dc": "http://purl.org/dc/elements/1.1/",
}
# Control characters, a CDATA end, markup, both quotes, characters beyond the BMP.
SOURCE_TITLE = "Bell\x07 ]]> & <b>bold</b> \"quoted\" 'single' \U0001f600 \U0001d518\x1b end"
SOURCE_AUTHOR = 'A\x01uthor "Q" <a@b> ]]> \U0001f600'
SOURCE_TEXT = 'Bell\x07 first ]]> & <b>not bold</b> "quoted" \U0001f600 words\x0b here.'
TOPIC_TITLE = "Topic\x02 ]]> & <i>x</i> \"q\" 'q' \U0001f600"
TOPIC_SUMMARY = "Summary\x0c ]]> & <script>alert(1)</script> 'q' \"q\" \U0001d518"
TAG = "Feeds & <Tags> ]]> \U0001f600"


def without_control(text: str) -> str:
    """text as a feed can hold it: the C0 controls but tab, newline and CR dropped."""
    return "".join(c for c in text if c in "\t\n\r" or ord(c) >= 0x20)


def add_hostile_items(project: Path) -> None:
    """A source and a topic, newer than the others, with hostile text everywhere."""
    (project / "seeds/hostile-feed.txt").write_text(SOURCE_TEXT + "\n", encoding="utf-8")
    entry = {
        "id": "hostile-feed",
        "file": "hostile-feed.txt",
        "title": SOURCE_TITLE,
        "author": SOURCE_AUTHOR,
        "date": "2026-11-28",
        "kind": "news",
        "language": "en",
        "tags": [TAG],
    }
    with (project / "seeds/sources.yaml").open("a", encoding="utf-8") as handle:
        handle.write("\n" + yaml.safe_dump([entry], allow_unicode=True, sort_keys=False))
    front = {"title": TOPIC_TITLE, "summary": TOPIC_SUMMARY, "tags": [TAG], "date": "2026-11-29"}
    (project / "content/topics/hostile-feed.md").write_text(
        "---\n" + yaml.safe_dump(front, allow_unicode=True) + "---\n\nBody ]]> & <b>raw</b>.\n",
        encoding="utf-8",
    )


@pytest.fixture
def hostile_site(project: Path, tmp_path: Path) -> Path:
    add_hostile_items(project)
    out = tmp_path / "out"
    build(project, out, base_url=BASE_URL)
    return out


def rss_items(path: Path) -> dict[str, ElementTree.Element]:
    root = ElementTree.fromstring(path.read_bytes())  # raises unless well-formed
    return {item.findtext("link", ""): item for item in root.iter("item")}


def atom_entries(path: Path) -> dict[str, ElementTree.Element]:
    root = ElementTree.fromstring(path.read_bytes())
    return {e.find("atom:link", NS).get("href", ""): e for e in root.iterfind("atom:entry", NS)}


@pytest.mark.parametrize("folder", ["", f"tags/{tag_slug(TAG)}/"])
def test_hostile_text_round_trips_through_rss(hostile_site: Path, folder: str) -> None:
    path = hostile_site / folder / "feed.xml"
    assert feedparser.parse(path.read_bytes()).bozo == 0
    items = rss_items(path)
    source = items[f"{BASE_URL}sources/hostile-feed/"]
    assert source.findtext("title") == "News: " + without_control(SOURCE_TITLE)
    assert source.findtext("dc:creator", namespaces=NS) == without_control(SOURCE_AUTHOR)
    assert [c.text for c in source.iter("category")] == [without_control(TAG)]
    # <description> is HTML: the escaped plain-text summary.
    assert html.unescape(source.findtext("description", "")) == without_control(SOURCE_TEXT)
    content = BeautifulSoup(source.findtext("content:encoded", "", NS), "html.parser")
    assert without_control(SOURCE_TEXT) in content.get_text()
    assert without_control(SOURCE_AUTHOR) in content.get_text()
    topic = items[f"{BASE_URL}topics/hostile-feed/"]
    assert topic.findtext("title") == without_control(TOPIC_TITLE)
    assert html.unescape(topic.findtext("description", "")) == without_control(TOPIC_SUMMARY)
    content = BeautifulSoup(topic.findtext("content:encoded", "", NS), "html.parser")
    assert content.get_text().strip() == "Body ]]> & <b>raw</b>."
    parsed = {e.link: e for e in feedparser.parse(path.read_bytes()).entries}
    assert parsed[f"{BASE_URL}topics/hostile-feed/"].title == without_control(TOPIC_TITLE)
    assert parsed[f"{BASE_URL}sources/hostile-feed/"].author == without_control(SOURCE_AUTHOR)


@pytest.mark.parametrize("folder", ["", f"tags/{tag_slug(TAG)}/"])
def test_hostile_text_round_trips_through_atom(hostile_site: Path, folder: str) -> None:
    path = hostile_site / folder / "atom.xml"
    assert feedparser.parse(path.read_bytes()).bozo == 0
    entries = atom_entries(path)
    source = entries[f"{BASE_URL}sources/hostile-feed/"]
    assert source.findtext("atom:title", namespaces=NS) == "News: " + without_control(SOURCE_TITLE)
    assert source.findtext("atom:author/atom:name", namespaces=NS) == without_control(SOURCE_AUTHOR)
    [category] = source.iterfind("atom:category", NS)
    assert category.get("label") == without_control(TAG)
    summary = source.findtext("atom:summary", namespaces=NS)
    assert html.unescape(summary or "") == without_control(SOURCE_TEXT)
    topic = entries[f"{BASE_URL}topics/hostile-feed/"]
    assert topic.findtext("atom:title", namespaces=NS) == without_control(TOPIC_TITLE)
    assert html.unescape(topic.findtext("atom:summary", "", NS)) == without_control(TOPIC_SUMMARY)
    content = BeautifulSoup(topic.findtext("atom:content", "", NS), "html.parser")
    assert content.get_text().strip() == "Body ]]> & <b>raw</b>."
    parsed = {e.link: e for e in feedparser.parse(path.read_bytes()).entries}
    assert parsed[f"{BASE_URL}topics/hostile-feed/"].title == without_control(TOPIC_TITLE)
    assert [t.label for t in parsed[f"{BASE_URL}sources/hostile-feed/"].tags] == [
        without_control(TAG)
    ]
    for entry in parsed.values():  # a reader renders them as HTML, not as text with tags
        assert entry.summary_detail.type == "text/html"
        assert entry.content[0].type == "text/html"


# What the site cannot carry to a feed but the writer must still hold: a ']]>' in the HTML
# (a CDATA section ends there), characters XML forbids beyond the C0 controls, and
# whitespace an attribute would otherwise lose.
ITEM_HTML = "<p>a ]]> b ]]]]> c</p>\x00\ud800<p>&amp; \U0001f600 \ufffe\uffff end</p>"
ITEM_TITLE = 'Tab\there, CR\rthere, newline\nhere & <x> "]]>"'
ITEM_TAG = ('slug\t"<&>"', "Label\r\n\t'\"<&>]]>\U0001f600")


def hostile_item(up: str) -> FeedItem:
    return FeedItem(
        key="topic/hostile",
        title=ITEM_TITLE,
        url_path="topics/hostile/index.html",
        published=PartialDate(2024, 2, 29),
        updated=None,
        author="\x0bAuthor & <co>",
        tags=(ITEM_TAG,),
        summary="Summary ]]> & <b>",
        html=((up, ITEM_HTML),),
    )


def feed_of(format: str) -> bytes:
    links = FeedLinks.make(BASE_URL, "Title")
    info = FeedInfo("T & <t>\x01", "D ]]> & <d>", "index.html", "", "en", "Ed <e>")
    write = FeedWriter().rss if format == "rss" else FeedWriter().atom
    return write(info, [hostile_item(links.up(""))], links, PartialDate(2024, 3, 1))


def test_the_rss_writer_escapes_what_the_site_cannot_hold() -> None:
    data = feed_of("rss")
    assert feedparser.parse(data).bozo == 0
    [item] = ElementTree.fromstring(data).iter("item")
    clean_html = "<p>a ]]> b ]]]]> c</p><p>&amp; \U0001f600  end</p>"
    assert item.findtext("content:encoded", namespaces=NS) == clean_html
    assert item.findtext("title") == ITEM_TITLE
    assert item.findtext("dc:creator", namespaces=NS) == "Author & <co>"
    assert [c.text for c in item.iter("category")] == [ITEM_TAG[1]]
    assert item.findtext("pubDate") == "Thu, 29 Feb 2024 00:00:00 +0000"


def test_the_atom_writer_escapes_what_the_site_cannot_hold() -> None:
    data = feed_of("atom")
    assert feedparser.parse(data).bozo == 0
    root = ElementTree.fromstring(data)
    assert root.findtext("atom:title", namespaces=NS) == "T & <t>"
    assert root.findtext("atom:subtitle", namespaces=NS) == "D ]]> & <d>"
    [entry] = root.iterfind("atom:entry", NS)
    clean_html = "<p>a ]]> b ]]]]> c</p><p>&amp; \U0001f600  end</p>"
    assert entry.findtext("atom:content", namespaces=NS) == clean_html
    assert entry.findtext("atom:title", namespaces=NS) == ITEM_TITLE
    [category] = entry.iterfind("atom:category", NS)
    assert (category.get("term"), category.get("label")) == ITEM_TAG
    assert entry.findtext("atom:updated", namespaces=NS) == "2024-03-01T00:00:00+00:00"
