"""Which items each feed carries and their HTML with absolute links; the feed files
themselves are written by feeds.py. Items are chosen before any page is rendered, so that
the workers rendering a source's page also make its feed HTML."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from .config import Settings
from .feeds import FeedInfo, FeedItem, absolute_url, absolutize, atom_feed, json_feed, rss_feed
from .models import PartialDate, Site, Source, Tag
from .resolve import Linked

TagsOf = Callable[[tuple[str, ...]], list[Tag]]  # tag names as written -> the site's Tags


def feed_items(
    site: Site, settings: Settings, site_date: PartialDate, tags_of: TagsOf
) -> list[FeedItem]:
    """Topics and sources as feed items, newest first (without HTML yet: only the items a
    feed carries get it)."""
    items = []
    for topic in site.topics:
        items.append(
            FeedItem(
                key=f"topic/{topic.slug}",
                title=topic.title,
                url_path=topic.url_path,
                published=topic.date,
                updated=topic.updated or topic.date or site_date,
                author=settings.author,
                tags=tuple((t.slug, t.name) for t in tags_of(topic.tags)),
                summary=topic.summary,
                html="",
            )
        )
    for source in site.sources:
        first = source.article.blocks[0].text if source.article.blocks else ""
        words = first.split()
        summary = " ".join(words[:60]) + ("\u2026" if len(words) > 60 else "")
        items.append(
            FeedItem(
                key=f"source/{source.id}",
                title=f"{source.kind.capitalize()}: {source.title}",
                url_path=source.url_path,
                published=source.date,
                updated=source.date or site_date,
                author=source.author or source.outlet,
                tags=tuple((t.slug, t.name) for t in tags_of(source.tags)),
                summary=summary,
                html="",
            )
        )
    items.sort(key=lambda i: (i.updated.sort_key, i.key), reverse=True)
    return items


@dataclass(frozen=True)
class FeedPlan:
    """Which items the feeds carry: the newest settings.feed_items of the site and of each
    tag, chosen before any page is rendered."""

    base_url: str
    newest: list[FeedItem]  # the site's feeds' items, newest first
    by_tag: dict[str, list[FeedItem]]  # each tag's feeds' items, by tag slug
    selected: list[FeedItem]  # those some feed carries (an item may be listed twice)
    source_ids: frozenset[str]  # sources among them

    @classmethod
    def make(
        cls, site: Site, settings: Settings, site_date: PartialDate, tags_of: TagsOf, base_url: str
    ) -> FeedPlan:
        limit = settings.feed_items
        every = feed_items(site, settings, site_date, tags_of)
        newest, by_tag = every[:limit], _by_tag(every, limit)
        selected = newest + [item for tagged in by_tag.values() for item in tagged]
        source_ids = frozenset(
            i.key.removeprefix("source/") for i in selected if i.key.startswith("source/")
        )
        return cls(base_url, newest, by_tag, selected, source_ids)

    def source_key(self, source: Source, page_keys: dict[str, str]) -> str:
        """A source's feed HTML depends on what its page key covers, and on its URL."""
        url = absolute_url(self.base_url, source.url_path)
        return hashlib.sha256(f"{url}\0{page_keys[source.url_path]}".encode()).hexdigest()


def all_feeds(
    site: Site,
    settings: Settings,
    linked: Linked,
    plan: FeedPlan,
    source_html: Callable[[Source], str],
    site_date: PartialDate,
    memo: dict[str, str],
) -> dict[str, tuple[str, Callable[[], bytes]]]:
    """The site's RSS, Atom and JSON feeds, and an RSS and Atom feed per tag, each holding
    the newest settings.feed_items items: path -> (a key of everything the file is made
    from, a function that makes it). memo holds feed HTML by key, made by this build's
    workers or kept from the last build; what is missing is made here."""
    base_url = plan.base_url
    topics = {f"topic/{t.slug}": t for t in site.topics}
    sources = {f"source/{s.id}": s for s in site.sources}

    html_keys: dict[str, str] = {}  # item key -> key of its HTML

    def content(item: FeedItem) -> str:
        if item.key in topics:
            url = absolute_url(base_url, item.url_path)
            html = linked.rendered[topics[item.key].path].html
            key = hashlib.sha256(f"{url}\0{html}".encode()).hexdigest()
            if key not in memo:
                memo[key] = absolutize(html, url)
        else:
            source = sources[item.key]
            key = plan.source_key(source, linked.page_keys)
            if key not in memo:
                memo[key] = source_html(source)
        linked.feed_html[key] = memo[key]
        html_keys[item.key] = key
        return memo[key]

    # Render and rewrite links once per item that some feed carries, not once per feed.
    absolute = {item.key: replace(item, html=content(item)) for item in plan.selected}
    info = FeedInfo(
        title=settings.title,
        description=settings.description,
        home_path="index.html",
        folder="",
        language=settings.language,
        author=settings.author,
    )
    files: dict[str, tuple[str, Callable[[], bytes]]] = {}

    # What each item shows, once: an item is in up to one feed per tag.
    described_items: dict[str, str] = {}

    def described(item: FeedItem) -> str:
        text = described_items.get(item.key)
        if text is None:
            text = described_items[item.key] = repr(
                (replace(item, html=""), html_keys.get(item.key))
            )
        return text

    def add(path: str, make: Callable[..., bytes], *args: Any) -> None:
        info, chosen = args[0], args[1]
        key = repr((make.__name__, info, [described(i) for i in chosen], args[2:]))
        files[path] = (key, lambda: make(*args))

    latest = [absolute[item.key] for item in plan.newest]
    add("feed.xml", rss_feed, info, latest, base_url, site_date)
    add("atom.xml", atom_feed, info, latest, base_url, site_date)
    add("feed.json", json_feed, info, latest, base_url)
    for tag in site.tags:
        tagged = [absolute[item.key] for item in plan.by_tag.get(tag.slug, [])]
        tag_info = FeedInfo(
            title=f"{settings.title}: {tag.name}",
            description=f"Topics and sources tagged {tag.name}.",
            home_path=tag.url_path,
            folder=f"tags/{tag.slug}/",
            language=settings.language,
            author=settings.author,
        )
        newest = max((i.updated for i in tagged), key=lambda d: d.sort_key, default=site_date)
        add(f"tags/{tag.slug}/feed.xml", rss_feed, tag_info, tagged, base_url, newest)
        add(f"tags/{tag.slug}/atom.xml", atom_feed, tag_info, tagged, base_url, newest)
    return files


def _by_tag(items: list[FeedItem], limit: int) -> dict[str, list[FeedItem]]:
    """The first limit items of each tag, in the items' order (one pass over them)."""
    found: dict[str, list[FeedItem]] = {}
    for item in items:
        for slug in dict.fromkeys(slug for slug, _ in item.tags):
            tagged = found.setdefault(slug, [])
            if len(tagged) < limit:
                tagged.append(item)
    return found
