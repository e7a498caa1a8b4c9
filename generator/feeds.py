"""Feed items and links, JSON Feed 1.1 and robots.txt (RSS, Atom and sitemap.xml: feedxml.py).

With the site's URL known, every link in a feed is absolute. Without it (a fresh clone, a
local preview) feeds are still written, their links relative to the feed file itself:
a reader resolves them against the address it subscribed to, wherever the site is served.
The sitemap needs absolute URLs and is only written with the site's URL.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

from .models import PartialDate
from .urls import relative_url

FEED_FILES = ("feed.xml", "atom.xml", "feed.json")


@dataclass(frozen=True)
class FeedItem:
    """One topic page or source, as feeds and the sitemap see it."""

    key: str  # "topic/<slug>" or "source/<id>": the basis of a guid that never changes
    title: str
    url_path: str  # path in the output, e.g. topics/x/index.html
    published: PartialDate | None
    updated: PartialDate | None  # None: the date is unknown
    author: str | None
    tags: tuple[tuple[str, str], ...]  # (slug, name)
    summary: str
    # The content as written for feeds in each kind of folder: (FeedLinks.up(folder), html).
    html: tuple[tuple[str, str], ...] = ()

    def html_for(self, up: str) -> str:
        return next(html for where, html in self.html if where == up)


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
    """'topics/x/index.html' -> 'topics/x/', the form used in URLs on a web server."""
    if url_path == "index.html":
        return ""
    return url_path[: -len("index.html")] if url_path.endswith("/index.html") else url_path


def absolute_url(base_url: str, url_path: str) -> str:
    """base_url ends with '/' and output paths are clean relative paths: plain joining."""
    return base_url + pretty_path(url_path)


# Links in item HTML are resolved against a page under this stand-in address, then written
# relative to the feed file (a host that cannot occur: .invalid is reserved, RFC 2606).
_STAND_IN = "https://briefing.invalid/"


@dataclass(frozen=True)
class FeedLinks:
    """How feeds name the site's pages: absolute under base_url when it is known, else
    relative to the feed file. identity is what stable ids are made from."""

    base_url: str | None
    identity: str

    @classmethod
    def make(cls, base_url: str | None, title: str) -> FeedLinks:
        return cls(base_url, base_url or f"urn:briefing:{title}")

    def up(self, folder: str) -> str:
        """From a feed in folder to the site's root: '' when links are absolute."""
        return "" if self.base_url else "../" * folder.count("/")

    def page(self, folder: str, url_path: str) -> str:
        """The link, in a feed in folder, to an output page."""
        if self.base_url:
            return absolute_url(self.base_url, url_path)
        return pretty_path(relative_url(folder + "feed.xml", url_path)) or "./"

    def file(self, folder: str, name: str) -> str:
        """The link, in a feed in folder, to a file of that folder (the feed itself)."""
        return urljoin(self.base_url, folder + name) if self.base_url else name

    def html(self, html: str, url_path: str, up: str) -> str:
        """An item's HTML, its links relative to its page, for feeds up (see up()) from
        the site's root."""
        if self.base_url:
            return absolutize(html, absolute_url(self.base_url, url_path))

        def relative(link: str) -> str:
            if not link.startswith(_STAND_IN):
                return link
            path, hash_, fragment = link[len(_STAND_IN) :].partition("#")
            return (up + pretty_path(path) or "./") + hash_ + fragment

        return _rewrite_links(html, _STAND_IN + url_path, relative)


# Characters XML 1.0 cannot hold (control characters, lone surrogates, U+FFFE/U+FFFF): a
# source or topic may contain them, and one would make the whole feed unwritable.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_text(text: str) -> str:
    """text without the characters XML cannot hold."""
    return _NOT_XML.sub("", text)


def midnight_utc(date: PartialDate) -> dt.datetime:
    """The moment a feed gives for a date: midnight UTC (the time of day is not known)."""
    return dt.datetime(date.year, date.month, date.day, tzinfo=dt.UTC)


def absolutize(html: str, page_url: str) -> str:
    """Make every relative link in an HTML fragment absolute (for feed readers)."""
    if not html.strip():
        return html
    return _rewrite_links(html, page_url)


def _rewrite_links(html: str, page_url: str, rewrite: Callable[[str], str] | None = None) -> str:
    """Make every link of an HTML fragment absolute against page_url, then rewrite(link)
    (in one pass over the links: a second took as long as the first)."""
    if not html.strip():
        return html
    import lxml.html  # imported here: a rebuild often reuses every feed

    wrapper = lxml.html.fragment_fromstring(html, create_parent="div")
    if rewrite:
        wrapper.rewrite_links(
            lambda link: rewrite(urljoin(page_url, link)), resolve_base_href=False
        )
    else:
        wrapper.make_links_absolute(page_url, resolve_base_href=False)
    inner = (wrapper.text or "") + "".join(
        lxml.html.tostring(child, encoding="unicode") for child in wrapper
    )
    return inner


def guid(identity: str, key: str) -> str:
    """A stable id: the same site and page give the same id however the page is edited."""
    return uuid.uuid5(uuid.NAMESPACE_URL, f"{identity}#{key}").urn


def json_feed(info: FeedInfo, items: list[FeedItem], links: FeedLinks) -> bytes:
    """JSON Feed 1.1 (https://www.jsonfeed.org/version/1.1/); dates only where known."""
    feed: dict[str, object] = {
        "version": "https://jsonfeed.org/version/1.1",
        "title": info.title,
        "home_page_url": links.page(info.folder, info.home_path),
        "feed_url": links.file(info.folder, "feed.json"),
        "description": info.description,
        "language": info.language,
        "items": [],
    }
    if info.author:
        feed["authors"] = [{"name": info.author}]
    entries = []
    for item in items:
        entry: dict[str, object] = {
            "id": guid(links.identity, item.key),
            "url": links.page(info.folder, item.url_path),
            "title": item.title,
            "summary": item.summary,
            "content_html": item.html_for(links.up(info.folder)),
        }
        if item.published:
            entry["date_published"] = midnight_utc(item.published).isoformat()
        if item.updated:
            entry["date_modified"] = midnight_utc(item.updated).isoformat()
        entry["tags"] = [name for _, name in item.tags]
        if item.author:
            entry["authors"] = [{"name": item.author}]
        entries.append(entry)
    feed["items"] = entries
    return (json.dumps(feed, ensure_ascii=False, indent=1) + "\n").encode("utf-8")


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
