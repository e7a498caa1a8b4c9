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
from .models import Page, PartialDate, Site, Source, Tag
from .resolve import Linked

TagsOf = Callable[[tuple[str, ...]], list[Tag]]  # tag names as written -> the site's Tags


def feed_candidates(site: Site, site_date: PartialDate, tags_of: TagsOf) -> list[Candidate]:
    """Topics and sources as feed candidates, newest first: what choosing the items needs
    (the FeedItem, without HTML yet, is made only for the items a feed carries: making one
    for each of 10,000 sources, with its summary, was a fifth of a second a build)."""
    candidates = [
        Candidate(
            topic.updated or topic.date or site_date,
            f"topic/{topic.slug}",
            tuple((t.slug, t.name) for t in tags_of(topic.tags)),
            topic,
        )
        for topic in site.topics
    ]
    candidates += [
        Candidate(
            source.date or site_date,
            f"source/{source.id}",
            tuple((t.slug, t.name) for t in tags_of(source.tags)),
            source,
        )
        for source in site.sources
    ]
    candidates.sort(key=lambda c: (c.updated.sort_key, c.key), reverse=True)
    return candidates


@dataclass(frozen=True)
class Candidate:
    """A topic or source that a feed may carry."""

    updated: PartialDate  # when it last changed: feeds carry the newest
    key: str  # "topic/<slug>" or "source/<id>"
    tags: tuple[tuple[str, str], ...]  # (slug, name)
    page: Page | Source


def feed_item(candidate: Candidate, settings: Settings) -> FeedItem:
    """The feed item of a topic or source (without HTML yet)."""
    page = candidate.page
    if isinstance(page, Page):
        return FeedItem(
            key=candidate.key,
            title=page.title,
            url_path=page.url_path,
            published=page.date,
            updated=candidate.updated,
            author=settings.author,
            tags=candidate.tags,
            summary=page.summary,
            html="",
        )
    first = page.article.blocks[0].text if page.article.blocks else ""
    words = first.split()
    summary = " ".join(words[:60]) + ("\u2026" if len(words) > 60 else "")
    return FeedItem(
        key=candidate.key,
        title=f"{page.kind.capitalize()}: {page.title}",
        url_path=page.url_path,
        published=page.date,
        updated=candidate.updated,
        author=page.author or page.outlet,
        tags=candidate.tags,
        summary=summary,
        html="",
    )


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
        every = feed_candidates(site, site_date, tags_of)
        chosen, by_tag_chosen = every[:limit], _by_tag(every, limit)
        items: dict[str, FeedItem] = {}

        def item(candidate: Candidate) -> FeedItem:
            if candidate.key not in items:
                items[candidate.key] = feed_item(candidate, settings)
            return items[candidate.key]

        newest = [item(c) for c in chosen]
        by_tag = {slug: [item(c) for c in tagged] for slug, tagged in by_tag_chosen.items()}
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


def _by_tag(items: list[Candidate], limit: int) -> dict[str, list[Candidate]]:
    """The first limit items of each tag, in the items' order (one pass over them)."""
    found: dict[str, list[Candidate]] = {}
    for item in items:
        for slug in dict.fromkeys(slug for slug, _ in item.tags):
            tagged = found.setdefault(slug, [])
            if len(tagged) < limit:
                tagged.append(item)
    return found
