"""The build plan: every file of the site as a record (its path, the kind of output that
renders it, what it is rendered from, and the key of all of that), made from the checked
site before anything is rendered. Whether a record is kept from the last build or
rendered again is decided in one place, schedule.py, by comparing keys."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from typing import Any

from jinja2 import Environment

from .cache import code_fingerprint
from .citing import CITE_FORMATS, Reference, topic_reference
from .config import Settings
from .feedplan import FeedPlan, feed_files, html_keys
from .feeds import FeedLinks, normalise_base_url
from .models import Page, PageLink, PartialDate, Site, Source, Tag
from .pagekeys import PLAN_KEYS, PageKeys, key_in_slot
from .pages import RenderContext, newest
from .pagination import paginate
from .resolve import Linked, Passage, graph_data
from .search import SearchPlan
from .site import newest_first


@dataclass(frozen=True)
class Output:
    """One file of the site. key stands for everything it is rendered from (None: it is
    rendered on every build, and the writer keeps the old file if the bytes are equal);
    subject is what its kind's render function is given; date is its sitemap date."""

    path: str
    kind: str
    key: str | None
    subject: Any = None
    date: PartialDate | None = None


@dataclass(frozen=True)
class FeedHtml:
    """An item's HTML for feeds up (see FeedLinks.up) from the site's root."""

    page: Page | Source
    up: str


@dataclass(frozen=True)
class Plan:
    """Everything one build makes, and what rendering it needs."""

    outputs: tuple[Output, ...]
    context: RenderContext
    search: SearchPlan
    search_keys: dict[str, str]  # source id -> a key of its page's searchable content
    feed_html: dict[str, FeedHtml]  # key -> the feed item HTML the feeds need
    shared: str  # a key of what every page shows (theme, code, settings, navigation, ...)

    @property
    def paths(self) -> list[str]:
        return [output.path for output in self.outputs]


def make_plan(
    site: Site,
    linked: Linked,
    settings: Settings,
    env: Environment,
    *,
    theme_key: str,
    static: dict[str, bytes],
    site_date: PartialDate,
    search: str,
) -> Plan:
    """The plan of the whole site. theme_key stands for the templates and static files
    (static: output path -> bytes); search is "available", "unavailable" or "off"."""
    base_url = normalise_base_url(settings.url) if settings.url else None
    search_plan = SearchPlan.make(
        [s.id for s in site.sources], settings.search_shard_size, [t.slug for t in site.topics]
    )
    context = RenderContext(
        env=env,
        site=site,
        linked=linked,
        settings=settings,
        base_url=base_url,
        site_date=site_date,
        search=search,
        search_parts=tuple(search_plan.merged),
        feed_links=FeedLinks.make(base_url, settings.title),
    )
    keys = PageKeys.make(site, linked, _shared(context, theme_key))
    outputs = [Output(path, "bytes", _hash(data), data) for path, data in static.items()]
    search_keys: dict[str, str] = {}
    outputs += _source_outputs(site, context, keys, search_keys)
    outputs += _page_outputs(site, context, keys)
    outputs += _tag_outputs(site, context, keys)
    outputs += _site_files(site, linked, keys)
    feeds = FeedPlan.make(site, settings, context.tags_of, context.feed_links)
    page_keys = {o.path: o.key for o in outputs if o.kind == "source" and o.key}
    item_keys = html_keys(site, linked, feeds, page_keys)
    for file, key in feed_files(site, settings, feeds, item_keys, site_date):
        outputs.append(Output(file.path, "feed", _hash(f"{keys.shared}\0{key}"), file))
    if base_url:
        outputs.append(_sitemap(outputs, keys.shared, base_url))
    return Plan(
        outputs=tuple(outputs),
        context=replace(context, html_keys=item_keys),
        search=search_plan,
        search_keys=search_keys,
        feed_html=_feed_html(site, feeds, item_keys),
        shared=keys.shared,
    )


def _shared(context: RenderContext, theme_key: str) -> tuple[Any, ...]:
    """Everything every page shares: a change here renders them all again."""
    return (
        theme_key,
        code_fingerprint(),
        context.settings,
        [(item.title, item.path) for item in context.nav],
        context.site_date,
        context.search,
    )


def _source_outputs(
    site: Site, context: RenderContext, keys: PageKeys, search_keys: dict[str, str]
) -> list[Output]:
    """Each source's original file, its page, the page showing its original text, and
    its cite.bib and cite.json; the last plan's for a source shown as it was (serve plans
    the same sources again and again). Puts the key of each source page's searchable
    content in search_keys."""
    outputs: list[Output] = []
    for source in site.sources:
        tags = context.tags_of(source.tags)
        passages = context.linked.passages.get(source.id, [])
        made_from = (
            source,
            keys.shared,
            [(t.slug, t.name) for t in tags],
            passages,
            context.linked.cited_in.get(source.id, []),
        )
        planned, search_keys[source.id] = PLAN_KEYS.made(
            ("source plan", source.id), made_from, _plan_source, source, keys, passages, tags
        )
        outputs += planned
    return outputs


def _plan_source(
    source: Source, keys: PageKeys, passages: list[Passage], tags: list[Tag]
) -> tuple[tuple[Output, ...], str]:
    """A source's outputs and its search key. Its cite.bib and cite.json are rendered from
    the source, with its page, by the workers: keyed by what every page shares (settings
    included) and the source's digest."""
    key, search_key = keys.source(source, passages, tags)
    folder = source.url_path[: -len("index.html")]
    cited = f"{keys.shared} {keys.source_digests[source.id]}"
    outputs = (
        Output(source.raw_path, "source_raw", source.raw_sha256, source),
        Output(source.url_path, "source", key, source, source.date),
        Output(source.original_path, "original", key, source, source.date),
        *(Output(folder + name, "source_cite", f"{cited} {name}", source) for name in CITE_FORMATS),
    )
    return outputs, search_key


def _cite_outputs(url_path: str, ref: Reference, keys: PageKeys) -> list[Output]:
    """A topic's cite.bib and cite.json, keyed by the reference they are written from (the
    site's title is in every key: it is one of the settings)."""
    folder = url_path[: -len("index.html")]
    return [
        Output(folder + name, "cite", keys.keyed(folder + name, name, ref), ref)
        for name in CITE_FORMATS
    ]


def _page_outputs(site: Site, context: RenderContext, keys: PageKeys) -> list[Output]:
    """The home page, the topic pages and their index, the sources index in pages."""
    linked = context.linked
    # The tags as they are named: lists of topics and events show each one's tags.
    named = [(tag.slug, tag.name) for tag in site.tags]
    topics = [keys.link_digest(t) for t in site.topics]  # lists of topics show PageLinks
    latest = newest_first(site.sources)[: context.settings.latest_sources_on_home]
    home = (
        keys.markdown_shows(site.home, context.cited(site.home)) if site.home else None,
        topics,
        [keys.source_digests[s.id] for s in latest],
        len(site.sources),
        named,
    )
    outputs = [
        Output(
            "index.html",
            "home",
            keys.keyed("index.html", "home.html", home),
            None,
            context.site_date,
        ),
        Output(
            "topics/index.html",
            "topics",
            keys.keyed("topics/index.html", "topics.html", (topics, named)),
            None,
            newest(_topic_dates(site.topics)),
        ),
    ]
    for topic in site.topics:  # the last plan's for a topic shown as it was
        made_from = (
            keys.shared,
            topic,
            linked.rendered[topic.path],
            [(tag.slug, tag.name) for tag in context.tags_of(topic.tags)],
            context.cited(topic),
            linked.backlinks.get(topic.path, []),
            linked.related.get(topic.path, []),
        )
        slot = ("topic plan", topic.path)
        outputs += PLAN_KEYS.made(slot, made_from, _plan_topic, context, keys, topic, made_from)
    for listing in paginate(site.sources, context.settings.sources_per_page, "sources/"):
        cited_in = {s.id: linked.cited_in.get(s.id, []) for s in listing.items}
        shows = keys.sources_list_shows(listing, cited_in)
        key = keys.keyed(listing.path, "sources.html", shows)
        date = newest([s.date for s in listing.items])
        outputs.append(Output(listing.path, "sources", key, listing, date))
    return outputs


def _plan_topic(
    context: RenderContext, keys: PageKeys, topic: Page, made_from: Any
) -> tuple[Output, ...]:
    """A topic's page and its cite.bib and cite.json."""
    cited, backlinks, related = made_from[-3:]
    shows = keys.topic_shows(topic, context.tags_of(topic.tags), cited, backlinks, related)
    key = keys.keyed(topic.url_path, "topic.html", shows)
    ref = topic_reference(topic, context.settings, context.base_url)
    page = Output(topic.url_path, "topic", key, topic, topic.updated or topic.date)
    return (page, *_cite_outputs(topic.url_path, ref, keys))


def _topic_dates(topics: tuple[Page, ...]) -> list[PartialDate | None]:
    return [t.updated or t.date for t in topics]


def _tag_outputs(site: Site, context: RenderContext, keys: PageKeys) -> list[Output]:
    """The tag index; each tag's page, its sources in pages (each page is given the tag
    with only its own sources, and its topics, as PageLinks, on the first page only, so
    that an edit renders again only the page listing the edited source or topic); the
    timeline, the plain pages and the search page."""
    every_tag = [keys.tag_shows(tag) for tag in site.tags]
    outputs = [
        Output(
            "tags/index.html",
            "tags",
            keys.keyed("tags/index.html", "tags.html", every_tag),
            None,
            context.site_date,
        )
    ]
    for tag in site.tags:
        folder = tag.url_path[: -len("index.html")]
        for listing in paginate(tag.sources, context.settings.sources_per_page, folder):
            topics = tag.topics if listing.number == 1 else ()
            shown = replace(tag, sources=listing.items, topics=topics)
            # The tag as its page is given it: links stand in for its topics.
            links = tuple(PageLink.of(t) for t in topics)
            on_page = replace(shown, topics=links)  # type: ignore[arg-type]
            dates = [s.date for s in listing.items] + _topic_dates(topics)
            key = keys.keyed(
                listing.path, "tag.html", (keys.tag_shows(shown, as_links=True), listing.shown())
            )
            outputs.append(Output(listing.path, "tag", key, (on_page, listing), newest(dates)))
    named = [(tag.slug, tag.name) for tag in site.tags]
    if site.timeline:
        date = newest([e.date for e in site.events])
        shows = (keys.markdown_shows(site.timeline, context.cited(site.timeline)), named)
        key = keys.keyed(site.timeline.url_path, "timeline.html", shows)
        outputs.append(Output(site.timeline.url_path, "timeline", key, site.timeline, date))
    for plain in site.pages:
        shows = keys.markdown_shows(plain, context.cited(plain))
        key = keys.keyed(plain.url_path, "page.html", shows)
        outputs.append(Output(plain.url_path, "page", key, plain, plain.updated or plain.date))
    if context.search != "off":
        key = keys.keyed("search/index.html", "search.html", context.search_parts)
        outputs.append(Output("search/index.html", "search", key))
    return outputs


def _site_files(site: Site, linked: Linked, keys: PageKeys) -> list[Output]:
    """404.html, graph.json (keyed by its data), robots.txt and .nojekyll (the site's
    address is in every key: it is one of the settings)."""
    graph = graph_data(site, linked)
    return [
        Output("404.html", "404", keys.keyed("404.html", "404.html", ())),
        Output("graph.json", "graph", key_in_slot(("output", "graph.json"), graph), graph),
        Output("robots.txt", "robots", keys.keyed("robots.txt", "robots.txt", ())),
        Output(".nojekyll", "bytes", _hash(b""), b""),
    ]


def _sitemap(outputs: list[Output], shared: str, base_url: str) -> Output:
    """The sitemap lists every page and its date: kept when none of them changed."""
    dates = {o.path: o.date for o in outputs if o.path.endswith("index.html")}
    key = key_in_slot(("output", "sitemap.xml"), (shared, base_url, tuple(dates.items())))
    return Output("sitemap.xml", "sitemap", key, dates)


def _feed_html(site: Site, feeds: FeedPlan, keys: dict[str, Any]) -> dict[str, FeedHtml]:
    """Every feed item HTML the feeds carry, by key."""
    pages: dict[str, Page | Source] = {f"topic/{t.slug}": t for t in site.topics}
    pages.update((f"source/{s.id}", s) for s in site.sources)
    return {key: FeedHtml(pages[item], up) for item, ups in keys.items() for up, key in ups}


def _hash(data: bytes | str) -> str:
    return hashlib.sha256(data.encode() if isinstance(data, str) else data).hexdigest()
