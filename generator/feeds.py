"""RSS 2.0, Atom and JSON Feed 1.1 from feed items, plus sitemap.xml and robots.txt.

Feeds need absolute URLs; callers only ask for them when the site URL is known. Every
relative link inside an item's HTML is made absolute against the item's own URL.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urljoin, urlsplit
from xml.etree import ElementTree

from markupsafe import escape

if TYPE_CHECKING:
    from feedgen.feed import FeedGenerator

from .models import PartialDate

FEED_FILES = ("feed.xml", "atom.xml", "feed.json")


@dataclass(frozen=True)
class FeedItem:
    """One topic page or source, as feeds and the sitemap see it."""

    key: str  # "topic/<slug>" or "source/<id>": the basis of a guid that never changes
    title: str
    url_path: str  # path in the output, e.g. topics/x/index.html
    published: PartialDate | None
    updated: PartialDate
    author: str | None
    tags: tuple[tuple[str, str], ...]  # (slug, name)
    summary: str
    html: str  # content, every link absolute


@dataclass(frozen=True)
class FeedInfo:
    """What a feed is: the whole site or one tag."""

    title: str
    description: str
    home_path: str  # the HTML page the feed belongs to
    folder: str  # "" for the site, "tags/<slug>/" for a tag
    language: str
    author: str | None


def pretty_path(url_path: str) -> str:
    """'topics/x/index.html' -> 'topics/x/', the form used in absolute URLs."""
    if url_path == "index.html":
        return ""
    return url_path[: -len("index.html")] if url_path.endswith("/index.html") else url_path


def absolute_url(base_url: str, url_path: str) -> str:
    """base_url ends with '/' and output paths are clean relative paths: plain joining."""
    return base_url + pretty_path(url_path)


def _datetime(date: PartialDate) -> dt.datetime:
    return dt.datetime(date.year, date.month, date.day, tzinfo=dt.UTC)


def absolutize(html: str, page_url: str) -> str:
    """Make every relative link in an HTML fragment absolute (for feed readers)."""
    if not html.strip():
        return html
    import lxml.html  # imported here, as feedgen is: a rebuild often reuses every feed

    wrapper = lxml.html.fragment_fromstring(html, create_parent="div")
    wrapper.make_links_absolute(page_url, resolve_base_href=False)
    inner = (wrapper.text or "") + "".join(
        lxml.html.tostring(child, encoding="unicode") for child in wrapper
    )
    return inner


def guid(base_url: str, key: str) -> str:
    """A stable id: the same site and page give the same id however the page is edited."""
    return uuid.uuid5(uuid.NAMESPACE_URL, f"{base_url}#{key}").urn


def _generator(info: FeedInfo, base_url: str, updated: PartialDate) -> FeedGenerator:
    from feedgen.feed import FeedGenerator

    fg = FeedGenerator()
    fg.load_extension("dc")
    fg.id(guid(base_url, f"feed/{info.folder}"))
    fg.title(info.title)
    # feedgen uses this for the Atom subtitle too; RSS readers treat it as HTML, so escape.
    fg.description(str(escape(info.description)))
    fg.language(info.language)
    fg.generator("Briefing")
    fg.updated(_datetime(updated))
    fg.lastBuildDate(_datetime(updated))
    if info.author:
        fg.author({"name": info.author})
    return fg


def _add_entries(fg: FeedGenerator, items: list[FeedItem], base_url: str, *, atom: bool) -> None:
    # feedgen prepends each new entry, so add the oldest first to end newest first.
    for item in reversed(items):
        url = absolute_url(base_url, item.url_path)
        entry = fg.add_entry()
        entry.id(guid(base_url, item.key))
        entry.guid(guid(base_url, item.key), permalink=False)
        entry.title(item.title)
        entry.link(href=url, rel="alternate")
        entry.updated(_datetime(item.updated))
        entry.published(_datetime(item.published or item.updated))
        if item.author:
            if atom:
                entry.author({"name": item.author})
            else:
                entry.dc.dc_creator(item.author)
        for slug, name in item.tags:
            entry.category(term=slug, label=name)
        # RSS readers treat <description> as HTML, so the plain-text summary is escaped.
        entry.summary(str(escape(item.summary or item.title)), type="html")
        content = item.html
        entry.content(content, type="html" if atom else "CDATA")


def rss_feed(info: FeedInfo, items: list[FeedItem], base_url: str, updated: PartialDate) -> bytes:
    fg = _generator(info, base_url, updated)
    # feedgen takes the RSS <link> from the last link added, so the page comes after self.
    fg.link(href=urljoin(base_url, info.folder + "feed.xml"), rel="self")
    fg.link(href=absolute_url(base_url, info.home_path), rel="alternate")
    _add_entries(fg, items, base_url, atom=False)
    return bytes(fg.rss_str(pretty=True))


def atom_feed(info: FeedInfo, items: list[FeedItem], base_url: str, updated: PartialDate) -> bytes:
    fg = _generator(info, base_url, updated)
    fg.link(href=urljoin(base_url, info.folder + "atom.xml"), rel="self")
    fg.link(href=absolute_url(base_url, info.home_path), rel="alternate")
    _add_entries(fg, items, base_url, atom=True)
    return bytes(fg.atom_str(pretty=True))


def json_feed(info: FeedInfo, items: list[FeedItem], base_url: str) -> bytes:
    """JSON Feed 1.1 (https://www.jsonfeed.org/version/1.1/)."""
    feed: dict[str, object] = {
        "version": "https://jsonfeed.org/version/1.1",
        "title": info.title,
        "home_page_url": absolute_url(base_url, info.home_path),
        "feed_url": urljoin(base_url, info.folder + "feed.json"),
        "description": info.description,
        "language": info.language,
        "items": [],
    }
    if info.author:
        feed["authors"] = [{"name": info.author}]
    entries = []
    for item in items:
        url = absolute_url(base_url, item.url_path)
        entry: dict[str, object] = {
            "id": guid(base_url, item.key),
            "url": url,
            "title": item.title,
            "summary": item.summary,
            "content_html": item.html,
            "date_published": _datetime(item.published or item.updated).isoformat(),
            "date_modified": _datetime(item.updated).isoformat(),
            "tags": [name for _, name in item.tags],
        }
        if item.author:
            entry["authors"] = [{"name": item.author}]
        entries.append(entry)
    feed["items"] = entries
    return (json.dumps(feed, ensure_ascii=False, indent=1) + "\n").encode("utf-8")


def sitemap(pages: dict[str, PartialDate | None], base_url: str) -> bytes:
    """sitemap.xml listing each HTML page once, with lastmod when its date is known."""
    urlset = ElementTree.Element("urlset", xmlns="http://www.sitemaps.org/schemas/sitemap/0.9")
    for path in sorted(pages):
        url = ElementTree.SubElement(urlset, "url")
        ElementTree.SubElement(url, "loc").text = absolute_url(base_url, path)
        date = pages[path]
        if date:
            ElementTree.SubElement(url, "lastmod").text = date.iso
    ElementTree.indent(urlset)
    return ElementTree.tostring(urlset, encoding="utf-8", xml_declaration=True) + b"\n"


def robots_txt(base_url: str | None) -> bytes:
    lines = ["User-agent: *", "Allow: /"]
    if base_url:
        lines.append(f"Sitemap: {urljoin(base_url, 'sitemap.xml')}")
    return ("\n".join(lines) + "\n").encode("utf-8")


def normalise_base_url(url: str) -> str:
    """The site URL with a trailing slash, so relative paths join under it."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"{url!r} is not an absolute http(s) URL")
    return url if url.endswith("/") else url + "/"
