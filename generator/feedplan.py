"""Which items each feed carries and their HTML with absolute links; the feed files
themselves are written by feeds.py and feedxml.py. Items are chosen before any page is
rendered, so that the workers rendering a source's page also make its feed HTML."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, replace

from .config import Settings
from .feeds import FeedInfo, FeedItem, FeedLinks, json_feed
from .feedxml import FeedWriter
from .models import Page, PartialDate, Site, Source, Tag
from .pagekeys import key_in_slot
from .resolve import Linked

TagsOf = Callable[[tuple[str, ...]], list[Tag]]  # tag names as written -> the site's Tags


def feed_candidates(site: Site, tags_of: TagsOf) -> list[Candidate]:
    """Topics and sources as feed candidates, newest first, those of unknown date last:
    what choosing the items needs (the FeedItem, without HTML yet, is made only for the
    items a feed carries: making one for each of 10,000 sources, with its summary, was a
    fifth of a second a build)."""
    candidates = [
        Candidate(
            topic.updated or topic.date,
            f"topic/{topic.slug}",
            tuple((t.slug, t.name) for t in tags_of(topic.tags)),
            topic,
        )
        for topic in site.topics
    ]
    candidates += [
        Candidate(
            source.date,
            f"source/{source.id}",
            tuple((t.slug, t.name) for t in tags_of(source.tags)),
            source,
        )
        for source in site.sources
    ]
    candidates.sort(key=_newest_first, reverse=True)
    return candidates


def _newest_first(candidate: Candidate) -> tuple[bool, tuple[int, int, int], str]:
    """Sort key, reversed: dated items newest first, then the undated ones."""
    date = candidate.updated
    return (date is not None, date.sort_key if date else (0, 0, 0), candidate.key)


@dataclass(frozen=True)
class Candidate:
    """A topic or source that a feed may carry."""

    updated: PartialDate | None  # when it last changed (None: unknown): feeds carry the newest
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
        )
    first = page.article.blocks[0].text if page.article.blocks else ""
    words = first.split()
    summary = " ".join(words[:60]) + ("\u2026" if len(words) > 60 else "")
    if not page.date:
        retrieved = f", retrieved {page.retrieved.display}" if page.retrieved else ""
        summary = f"(Date of publication unknown{retrieved}.) {summary}"
    return FeedItem(
        key=candidate.key,
        title=f"{page.kind.capitalize()}: {page.title}",
        url_path=page.url_path,
        published=page.date,
        updated=candidate.updated,
        author=page.author or page.outlet,
        tags=candidate.tags,
        summary=summary,
    )


TAG_FOLDER = "tags/{}/"  # where a tag's feeds are


@dataclass(frozen=True)
class FeedPlan:
    """Which items the feeds carry: the newest settings.feed_items of the site and of each
    tag, chosen before any page is rendered, and for which kinds of folder (see FeedLinks.up)
    each item's HTML is needed."""

    links: FeedLinks
    newest: list[FeedItem]  # the site's feeds' items, newest first
    by_tag: dict[str, list[FeedItem]]  # each tag's feeds' items, by tag slug
    selected: dict[str, tuple[str, ...]]  # item key -> the ups its HTML is needed for

    @classmethod
    def make(cls, site: Site, settings: Settings, tags_of: TagsOf, links: FeedLinks) -> FeedPlan:
        limit = settings.feed_items
        every = feed_candidates(site, tags_of)
        chosen, by_tag_chosen = every[:limit], _by_tag(every, limit)
        items: dict[str, FeedItem] = {}

        def item(candidate: Candidate) -> FeedItem:
            if candidate.key not in items:
                items[candidate.key] = feed_item(candidate, settings)
            return items[candidate.key]

        newest = [item(c) for c in chosen]
        by_tag = {slug: [item(c) for c in tagged] for slug, tagged in by_tag_chosen.items()}
        ups: dict[str, dict[str, None]] = {}
        for one in newest:
            ups.setdefault(one.key, {})[links.up("")] = None
        for tagged in by_tag.values():
            for one in tagged:
                ups.setdefault(one.key, {})[links.up(TAG_FOLDER)] = None
        selected = {key: tuple(found) for key, found in ups.items()}
        return cls(links, newest, by_tag, selected)

    def source_ups(self, source: Source) -> tuple[str, ...]:
        """The kinds of folder whose feeds carry the source (none: no feed does)."""
        return self.selected.get(f"source/{source.id}", ())

    def source_key(self, source: Source, page_keys: dict[str, str], up: str) -> str:
        """A source's feed HTML depends on what its page key covers, and on its link."""
        link = self.links.page("", source.url_path)
        return _key(f"{link}\0{up}\0{page_keys[source.url_path]}")


def _key(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass(frozen=True)
class FeedFile:
    """One feed file: its format, what feed it is, its items (their HTML is looked up by
    the keys in html_keys when the file is made) and its date."""

    path: str
    format: str  # "rss", "atom" or "json"
    info: FeedInfo
    items: tuple[FeedItem, ...]
    updated: PartialDate


HtmlKeys = dict[str, tuple[tuple[str, str], ...]]  # item key -> ((up, key of its HTML), ...)


def html_keys(site: Site, linked: Linked, plan: FeedPlan, page_keys: dict[str, str]) -> HtmlKeys:
    """The key of each carried item's HTML, for each kind of folder it is needed in: a
    topic's is its rendered Markdown, a source's what its page key covers."""
    links = plan.links
    topics = {f"topic/{t.slug}": t for t in site.topics}
    sources = {f"source/{s.id}": s for s in site.sources}
    keys: HtmlKeys = {}
    for key, ups in plan.selected.items():
        if key in topics:
            topic = topics[key]
            html = linked.rendered[topic.path].html
            link = links.page("", topic.url_path)
            keys[key] = tuple((up, _key(f"{link}\0{up}\0{html}")) for up in ups)
        else:
            keys[key] = tuple((up, plan.source_key(sources[key], page_keys, up)) for up in ups)
    return keys


def feed_files(
    site: Site, settings: Settings, plan: FeedPlan, keys: HtmlKeys, site_date: PartialDate
) -> list[tuple[FeedFile, str]]:
    """The site's RSS, Atom and JSON feeds, and an RSS and Atom feed per tag, each holding
    the newest settings.feed_items items, with a key of everything each is made from."""
    info = FeedInfo(
        title=settings.title,
        description=settings.description,
        home_path="index.html",
        folder="",
        language=settings.language,
        author=settings.author,
    )
    files = [
        FeedFile("feed.xml", "rss", info, tuple(plan.newest), site_date),
        FeedFile("atom.xml", "atom", info, tuple(plan.newest), site_date),
        FeedFile("feed.json", "json", info, tuple(plan.newest), site_date),
    ]
    for tag in site.tags:
        tagged = tuple(plan.by_tag.get(tag.slug, []))
        tag_info = FeedInfo(
            title=f"{settings.title}: {tag.name}",
            description=f"Topics and sources tagged {tag.name}.",
            home_path=tag.url_path,
            folder=TAG_FOLDER.format(tag.slug),
            language=settings.language,
            author=settings.author,
        )
        dates = [i.updated for i in tagged if i.updated]
        newest = max(dates, key=lambda d: d.sort_key, default=site_date)
        files.append(FeedFile(f"{tag_info.folder}feed.xml", "rss", tag_info, tagged, newest))
        files.append(FeedFile(f"{tag_info.folder}atom.xml", "atom", tag_info, tagged, newest))
    # What each item shows, keyed once: an item is in up to one feed per tag.
    described = {
        key: key_in_slot(("feed item", key), (item, keys[key]))
        for key, item in _carried(plan).items()
    }
    return [
        (
            file,
            repr(
                (
                    file.format,
                    file.info,
                    [described[i.key] for i in file.items],
                    plan.links,
                    file.updated if file.format != "json" else None,
                )
            ),
        )
        for file in files
    ]


def _carried(plan: FeedPlan) -> dict[str, FeedItem]:
    return {i.key: i for i in [*plan.newest, *(i for t in plan.by_tag.values() for i in t)]}


def make_feed(
    file: FeedFile, links: FeedLinks, keys: HtmlKeys, html: dict[str, str], writer: FeedWriter
) -> bytes:
    """The feed's bytes; html holds each item's HTML by the key in keys."""
    items = [
        replace(item, html=tuple((up, html[key]) for up, key in keys[item.key]))
        for item in file.items
    ]
    if file.format == "json":
        return json_feed(file.info, items, links)
    if file.format == "rss":
        return writer.rss(file.info, items, links, file.updated)
    return writer.atom(file.info, items, links, file.updated)


def _by_tag(items: list[Candidate], limit: int) -> dict[str, list[Candidate]]:
    """The first limit items of each tag, in the items' order (one pass over them)."""
    found: dict[str, list[Candidate]] = {}
    for item in items:
        for slug in dict.fromkeys(slug for slug, _ in item.tags):
            tagged = found.setdefault(slug, [])
            if len(tagged) < limit:
                tagged.append(item)
    return found
