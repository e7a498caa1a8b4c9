"""The XML files, RSS 2.0 and Atom 1.0 feeds and sitemap.xml, written as text.

Each feed is a fixed layout with a few dozen escaped values per item, so it is written
directly: at 1,000 sources, feedgen building its objects and an lxml tree of every item
and serialising it took 0.31 s of the feed stage's 0.45 s; as text, 0.07 s. Every value is
stripped of the characters XML cannot hold and escaped as lxml escapes it, in the layout
lxml's pretty printer gave, so the files are byte for byte those feedgen wrote. The
sitemap, a list of addresses, is written the same way, in the layout ElementTree gave it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from markupsafe import escape

from .feeds import FeedInfo, FeedItem, FeedLinks, absolute_url, guid, midnight_utc, xml_text
from .models import PartialDate

_XML_DECLARATION = "<?xml version='1.0' encoding='UTF-8'?>\n"
_RSS_OPEN = (
    '<rss xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:atom="http://www.w3.org/2005/Atom"'
    ' xmlns:content="http://purl.org/rss/1.0/modules/content/" version="2.0">\n'
)
_ATOM_OPEN = '<feed xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns="http://www.w3.org/2005/Atom"'
_RSS_CLOSE = b"  </channel>\n</rss>\n"
_ATOM_CLOSE = b"</feed>\n"
_SITEMAP_OPEN = '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"'
_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def text(value: str) -> str:
    """value as element text: the characters XML cannot hold dropped, markup escaped."""
    escaped = xml_text(value).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return escaped.replace("\r", "&#13;")


def attribute(value: str) -> str:
    """value inside a double-quoted attribute (whitespace kept as character references,
    which attribute-value normalisation would otherwise turn into spaces)."""
    return text(value).replace('"', "&quot;").replace("\n", "&#10;").replace("\t", "&#9;")


def cdata(value: str) -> str:
    """value as a CDATA section; a ']]>' in it is split across two sections."""
    return "<![CDATA[" + xml_text(value).replace("]]>", "]]]]><![CDATA[>") + "]]>"


def _element(indent: str, name: str, escaped: str, attributes: str = "") -> str:
    """One line: <name attributes>escaped</name>, or <name attributes/> when escaped is
    empty (as lxml writes an element whose text was never set)."""
    if not escaped:
        return f"{indent}<{name}{attributes}/>\n"
    return f"{indent}<{name}{attributes}>{escaped}</{name}>\n"


def rfc822(date: PartialDate) -> str:
    """RSS's date format, in English whatever the locale."""
    day = midnight_utc(date)
    weekday, month = _DAYS[day.weekday()], _MONTHS[day.month - 1]
    return f"{weekday}, {day:%d} {month} {day:%Y} 00:00:00 +0000"


def rfc3339(date: PartialDate) -> str:
    return midnight_utc(date).isoformat()


class FeedWriter:
    """Writes RSS and Atom feeds. An item is in the site's feeds and in each of its tags'
    feeds, so each item's XML is made once and reused: escaping the items' HTML again for
    each feed was more than half the time writing them took. One writer serves a
    process's builds (serve's): what the last build made is reused by the next, the rest
    let go (new_build)."""

    def __init__(self) -> None:
        self._made: dict[tuple[object, ...], bytes] = {}
        self._last: dict[tuple[object, ...], bytes] = {}

    def new_build(self) -> None:
        """Start a build: keep what the last one made, drop what it did not use."""
        self._last, self._made = self._made, {}

    def rss(
        self, info: FeedInfo, items: list[FeedItem], links: FeedLinks, updated: PartialDate
    ) -> bytes:
        """RSS 2.0 with the content and Dublin Core modules; items newest first."""
        up = links.up(info.folder)
        entries = [
            self._once(_rss_item, item, links.page(info.folder, item.url_path), up, links)
            for item in items
        ]
        return b"".join([_rss_channel(info, links, updated).encode(), *entries, _RSS_CLOSE])

    def atom(
        self, info: FeedInfo, items: list[FeedItem], links: FeedLinks, updated: PartialDate
    ) -> bytes:
        """Atom 1.0; items newest first, each 'updated' (required) the feed's own date when
        the item's is unknown."""
        up = links.up(info.folder)
        entries = [
            self._once(
                _atom_entry,
                item,
                links.page(info.folder, item.url_path),
                up,
                links,
                item.updated or updated,
            )
            for item in items
        ]
        return b"".join([_atom_head(info, links, updated).encode(), *entries, _ATOM_CLOSE])

    def _once(self, make: Callable[..., str], item: FeedItem, *args: Any) -> bytes:
        """make(item, *args) as UTF-8, made the first time it is asked for; the key is the
        item itself (all it holds, its HTML too) and the arguments."""
        key = (make, item, *args)
        made = self._made.get(key) or self._last.get(key)
        if made is None:
            made = make(item, *args).encode()
        self._made[key] = made
        return made


def _rss_channel(info: FeedInfo, links: FeedLinks, updated: PartialDate) -> str:
    """The RSS document up to its first <item>."""
    parts = [
        _XML_DECLARATION,
        _RSS_OPEN,
        "  <channel>\n",
        f"    <title>{text(info.title)}</title>\n",
        f"    <link>{text(links.page(info.folder, info.home_path))}</link>\n",
        # RSS readers treat the channel's <description> as HTML, so escape it.
        f"    <description>{text(str(escape(info.description)))}</description>\n",
        f'    <atom:link href="{attribute(links.file(info.folder, "feed.xml"))}" rel="self"/>\n',
        "    <docs>http://www.rssboard.org/rss-specification</docs>\n",
        "    <generator>Briefing</generator>\n",
    ]
    if info.language:
        parts.append(f"    <language>{text(info.language)}</language>\n")
    parts.append(f"    <lastBuildDate>{rfc822(updated)}</lastBuildDate>\n")
    return "".join(parts)


def _rss_item(item: FeedItem, link: str, up: str, links: FeedLinks) -> str:
    """An <item>: the summary as <description>, the HTML as <content:encoded>."""
    # RSS readers treat <description> as HTML, so the plain-text summary is escaped.
    summary = text(str(escape(item.summary or item.title)))
    parts = [
        "    <item>\n",
        f"      <title>{text(item.title)}</title>\n",
        f"      <link>{text(link)}</link>\n",
        f"      <description>{summary}</description>\n",
        f"      <content:encoded>{cdata(item.html_for(up))}</content:encoded>\n",
        f'      <guid isPermaLink="false">{guid(links.identity, item.key)}</guid>\n',
    ]
    parts += [f"      <category>{text(name)}</category>\n" for _, name in item.tags]
    if item.published:
        parts.append(f"      <pubDate>{rfc822(item.published)}</pubDate>\n")
    if item.author:
        parts.append(f"      <dc:creator>{text(item.author)}</dc:creator>\n")
    parts.append("    </item>\n")
    return "".join(parts)


def _atom_head(info: FeedInfo, links: FeedLinks, updated: PartialDate) -> str:
    """The Atom document up to its first <entry>."""
    lang = f' xml:lang="{attribute(info.language)}"' if info.language else ""
    parts = [
        _XML_DECLARATION,
        f"{_ATOM_OPEN}{lang}>\n",
        f"  <id>{guid(links.identity, f'feed/{info.folder}')}</id>\n",
        f"  <title>{text(info.title)}</title>\n",
        f"  <updated>{rfc3339(updated)}</updated>\n",
        _author("  ", info.author),
        f'  <link href="{attribute(links.file(info.folder, "atom.xml"))}" rel="self"/>\n',
        f'  <link href="{attribute(links.page(info.folder, info.home_path))}" rel="alternate"/>\n',
        "  <generator>Briefing</generator>\n",
    ]
    subtitle = text(info.description)  # Atom text: escaped once
    if subtitle:
        parts.append(f"  <subtitle>{subtitle}</subtitle>\n")
    return "".join(parts)


def _atom_entry(item: FeedItem, link: str, up: str, links: FeedLinks, updated: PartialDate) -> str:
    """An <entry>: the HTML as content, the summary (escaped, as HTML) as summary."""
    parts = [
        "  <entry>\n",
        f"    <id>{guid(links.identity, item.key)}</id>\n",
        f"    <title>{text(item.title)}</title>\n",
        f"    <updated>{rfc3339(updated)}</updated>\n",
        _author("    ", item.author),
        _element("    ", "content", text(item.html_for(up)), ' type="html"'),
        f'    <link href="{attribute(link)}"/>\n',  # no rel: "alternate" is the default
        _element("    ", "summary", text(str(escape(item.summary or item.title))), ' type="html"'),
    ]
    for slug, name in item.tags:
        label = f' label="{attribute(name)}"' if xml_text(name) else ""
        parts.append(f'    <category term="{attribute(slug)}"{label}/>\n')
    if item.published:
        parts.append(f"    <published>{rfc3339(item.published)}</published>\n")
    parts.append("  </entry>\n")
    return "".join(parts)


def _author(indent: str, name: str | None) -> str:
    """An Atom <author> with its name, or nothing without one."""
    escaped = text(name or "")
    if not escaped:
        return ""
    return f"{indent}<author>\n{indent}  <name>{escaped}</name>\n{indent}</author>\n"


def sitemap(pages: dict[str, PartialDate | None], base_url: str) -> bytes:
    """sitemap.xml listing each HTML page once, with lastmod when its date is known."""
    head = "<?xml version='1.0' encoding='utf-8'?>\n" + _SITEMAP_OPEN
    if not pages:
        return f"{head} />\n".encode()
    parts = [f"{head}>\n"]
    for path in sorted(pages):
        parts.append(f"  <url>\n    <loc>{text(absolute_url(base_url, path))}</loc>\n")
        date = pages[path]
        if date:
            parts.append(f"    <lastmod>{date.iso}</lastmod>\n")
        parts.append("  </url>\n")
    parts.append("</urlset>\n")
    return "".join(parts).encode()
