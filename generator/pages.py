"""Render one output of the plan to bytes: one short function per kind of output, each
given the typed context every page shares and the output's subject. Nothing here decides
what to render or writes anything (see schedule.py and output.py)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any
from urllib.parse import urlsplit

from jinja2 import Environment
from markupsafe import Markup

from .citing import (
    PageCitation,
    Reference,
    cite_file,
    source_citation,
    source_reference,
    topic_citation,
)
from .config import Settings
from .coverage import Coverage, coverage
from .feedplan import FeedFile, HtmlKeys, make_feed
from .feeds import FeedLinks, absolute_url, robots_txt
from .feedxml import FeedWriter, sitemap
from .models import Page, PageLink, PartialDate, Site, Source, Tag
from .pagination import Pagination
from .previews import InContext, quote_contexts
from .resolve import CitedSource, Linked, Passage, block_pieces, graph_json
from .search import page_filters
from .site import newest_first, tag_slug
from .templates import render
from .urls import text_fragment_url


@dataclass(frozen=True)
class NavItem:
    title: str
    path: str


@dataclass(frozen=True)
class OriginalLinks:
    """A quoted passage in the original article and in its archived copy; words: its
    first words, which tell its links apart from other passages'."""

    original: str
    archive: str
    words: str


@dataclass(frozen=True)
class RenderContext:
    """What every page may show: the site, its links, settings and shared furniture."""

    env: Environment
    site: Site
    linked: Linked
    settings: Settings
    base_url: str | None
    site_date: PartialDate
    search: str  # "available", "unavailable" (Pagefind missing: the page says so) or "off"
    search_parts: tuple[str, ...]  # the index parts the search page merges
    feed_links: FeedLinks
    html_keys: HtmlKeys = field(default_factory=dict)  # see feedplan.html_keys
    _tag_lists: dict[tuple[str, ...], list[Tag]] = field(
        default_factory=dict, repr=False, compare=False
    )

    @cached_property
    def nav(self) -> tuple[NavItem, ...]:
        nav = [NavItem("Topics", "topics/index.html")]
        if self.site.timeline:
            nav.append(NavItem("Timeline", self.site.timeline.url_path))
        nav += [NavItem("Sources", "sources/index.html"), NavItem("Tags", "tags/index.html")]
        return tuple(nav + [NavItem(p.title, p.url_path) for p in self.site.pages])

    @cached_property
    def tags_by_slug(self) -> dict[str, Tag]:
        return {tag.slug: tag for tag in self.site.tags}

    @cached_property
    def sources_by_id(self) -> dict[str, Source]:
        return {s.id: s for s in self.site.sources}

    @cached_property
    def common(self) -> dict[str, Any]:
        """The variables every template is given."""
        return {
            "site": self.settings,
            "nav": list(self.nav),
            "tags_of": self.tags_of,
            "site_date": self.site_date,
            "feeds": True,
            "canonical": self.canonical,
            "search": self.search,
            "original_at": self.original_at,
        }

    def tags_of(self, names: tuple[str, ...]) -> list[Tag]:
        """The site's tags for names as written (made once for each spelling of a list:
        most sources share a few)."""
        found = self._tag_lists.get(names)
        if found is None:
            slugs = dict.fromkeys(tag_slug(n) for n in names)
            found = self._tag_lists[names] = [
                self.tags_by_slug[s] for s in slugs if s in self.tags_by_slug
            ]
        return found

    def canonical(self, path: str) -> str | None:
        return absolute_url(self.base_url, path) if self.base_url else None

    @cached_property
    def passage_texts(self) -> dict[str, str]:
        """Each quoted passage's words in its source, by passage id."""
        texts = {}
        for source_id, passages in self.linked.passages.items():
            blocks = self.sources_by_id[source_id].article.blocks
            for p in passages:
                texts[p.id] = blocks[p.block].text[p.start : p.end]
        return texts

    def original_at(self, source_id: str, passage_id: str) -> OriginalLinks | None:
        """Links to a passage in the source's original article and its archived copy
        (None: the original address is not known)."""
        source = self.sources_by_id.get(source_id)
        text = self.passage_texts.get(passage_id)
        if not source or not source.url or not source.archive_url or not text:
            return None
        words = text.split()
        return OriginalLinks(
            text_fragment_url(source.url, text),
            text_fragment_url(source.archive_url, text),
            " ".join(words[:6]) + ("\u2026" if len(words) > 6 else ""),
        )

    def topic_citation(self, topic: Page) -> PageCitation:
        cited = [entry.source for entry in self.cited(topic)]
        return topic_citation(topic, self.settings, self.base_url, cited)

    def source_citation(self, source: Source) -> PageCitation:
        return source_citation(source, self.settings, self.base_url)

    @cached_property
    def topic_links(self) -> list[PageLink]:
        """The topics as the lists of topics show them: all but their Markdown text."""
        return [PageLink.of(topic) for topic in self.site.topics]

    def cited(self, page: Page) -> list[CitedSource]:
        return self.linked.sources_list(page, self.sources_by_id)

    @cached_property
    def passages_by_id(self) -> dict[str, Passage]:
        return {p.id: p for found in self.linked.passages.values() for p in found}

    def contexts(self, page: Page) -> dict[str, InContext]:
        """The passages the page quotes, in their sentences: its citation previews."""
        citations = self.linked.rendered[page.path].citations
        return quote_contexts(citations, self.passages_by_id, self.sources_by_id)

    def coverage(self, page: Page) -> Coverage:
        """Who says what on the page: its sources by kind and outlet, its sections' notes."""
        rendered = self.linked.rendered[page.path]
        events = [html for _, html in rendered.events]
        return coverage(self.cited(page), rendered.html, events)

    def body(self, page: Page) -> Markup:
        return Markup(self.linked.rendered[page.path].html)

    def page(self, template: str, path: str, **context: Any) -> bytes:
        return render(self.env, template, path, **self.common, **context).encode("utf-8")


def newest(dates: list[PartialDate | None]) -> PartialDate | None:
    known = [d for d in dates if d]
    return max(known, key=lambda d: d.sort_key) if known else None


def render_home(ctx: RenderContext, path: str, _: object) -> bytes:
    site = ctx.site
    return ctx.page(
        "home.html",
        path,
        title=ctx.settings.title,
        home=site.home,
        overview=ctx.body(site.home) if site.home else None,
        cited=ctx.cited(site.home) if site.home else [],
        contexts=ctx.contexts(site.home) if site.home else {},
        topics=ctx.topic_links,
        latest=newest_first(site.sources)[: ctx.settings.latest_sources_on_home],
        source_count=len(site.sources),
    )


def render_topics(ctx: RenderContext, path: str, _: object) -> bytes:
    return ctx.page("topics.html", path, title="Topics", topics=ctx.topic_links)


def render_topic(ctx: RenderContext, path: str, topic: Page) -> bytes:
    linked = ctx.linked
    return ctx.page(
        "topic.html",
        path,
        title=topic.title,
        topic=topic,
        body=ctx.body(topic),
        tags=ctx.tags_of(topic.tags),
        events=linked.rendered[topic.path].events,
        cited=ctx.cited(topic),
        contexts=ctx.contexts(topic),
        coverage=ctx.coverage(topic),
        backlinks=[PageLink.of(p) for p in linked.backlinks.get(topic.path, [])],
        related=[PageLink.of(p) for p in linked.related.get(topic.path, [])],
        cite=ctx.topic_citation(topic),
        search_filters=page_filters("Topic", None, ctx.tags_of(topic.tags), topic.date),
    )


def render_sources(ctx: RenderContext, path: str, listing: Pagination[Source]) -> bytes:
    cited_in = {s.id: ctx.linked.cited_in.get(s.id, []) for s in listing.items}
    return ctx.page(
        "sources.html",
        path,
        title=listing.titled("Sources"),
        sources=listing.items,
        cited_in=cited_in,
        pagination=listing,
    )


def render_tags(ctx: RenderContext, path: str, _: object) -> bytes:
    return ctx.page("tags.html", path, title="Tags", tags=ctx.site.tags)


def render_tag(ctx: RenderContext, path: str, subject: tuple[Tag, Pagination[Source]]) -> bytes:
    tag, listing = subject
    return ctx.page(
        "tag.html",
        path,
        title=listing.titled(f"Tag: {tag.name}"),
        tag=tag,
        tag_feeds=True,
        sources=listing.items,
        pagination=listing,
        search_filters=page_filters("Tag", None, [tag], None),
    )


def render_timeline(ctx: RenderContext, path: str, timeline: Page) -> bytes:
    return ctx.page(
        "timeline.html",
        path,
        title=timeline.title,
        page=timeline,
        events=ctx.linked.rendered[timeline.path].events,
        cited=ctx.cited(timeline),
        contexts=ctx.contexts(timeline),
    )


def render_plain(ctx: RenderContext, path: str, page: Page) -> bytes:
    return ctx.page(
        "page.html",
        path,
        title=page.title,
        page=page,
        body=ctx.body(page),
        cited=ctx.cited(page),
        contexts=ctx.contexts(page),
    )


def render_search(ctx: RenderContext, path: str, _: object) -> bytes:
    return ctx.page("search.html", path, title="Search", merged=list(ctx.search_parts))


def render_source(ctx: RenderContext, path: str, source: Source) -> bytes:
    passages = ctx.linked.passages.get(source.id, [])
    pieces = [
        block_pieces(block, [p for p in passages if p.block == index])
        for index, block in enumerate(source.article.blocks)
    ]
    return ctx.page(
        "source.html",
        path,
        title=source.title,
        source=source,
        pieces=pieces,
        tags=ctx.tags_of(source.tags),
        cited_in=ctx.linked.cited_in.get(source.id, []),
        passage_count=len(passages),
        cite=ctx.source_citation(source),
        search_filters=page_filters(
            source.kind.capitalize(), source.outlet, ctx.tags_of(source.tags), source.date
        ),
    )


def render_original(ctx: RenderContext, path: str, source: Source) -> bytes:
    return ctx.page(
        "original.html",
        path,
        title=f"Original text: {source.title}",
        source=source,
        raw_text=source.raw.decode("utf-8-sig", errors="replace"),
    )


def render_not_found(ctx: RenderContext, path: str, _: object) -> bytes:
    """404.html: served for missing pages at any depth, so its links start at the root."""
    base_url = ctx.base_url
    return render(
        ctx.env,
        "404.html",
        "index.html",
        **{**ctx.common, "canonical": lambda path: None},
        title="Page not found",
        root_prefix=urlsplit(base_url).path if base_url else "/",
    ).encode("utf-8")


def render_cite(ctx: RenderContext, path: str, ref: Reference) -> bytes:
    """A topic's cite.bib or cite.json, beside its page."""
    return cite_file(ref, path.rsplit("/", 1)[1], ctx.settings.title)


def render_source_cite(ctx: RenderContext, path: str, source: Source) -> bytes:
    """A source's cite.bib or cite.json, beside its page."""
    ref = source_reference(source, ctx.base_url)
    return cite_file(ref, path.rsplit("/", 1)[1], ctx.settings.title)


def render_bytes(ctx: RenderContext, path: str, data: bytes) -> bytes:
    """A file the plan already holds: a theme's static file, .nojekyll."""
    return data


def render_source_raw(ctx: RenderContext, path: str, source: Source) -> bytes:
    """A source's file as it was saved, beside its page."""
    return source.raw


def render_graph(ctx: RenderContext, path: str, graph: dict[str, list[dict[str, Any]]]) -> bytes:
    return graph_json(graph)


def render_robots(ctx: RenderContext, path: str, _: object) -> bytes:
    return robots_txt(ctx.base_url)


def render_sitemap(ctx: RenderContext, path: str, dates: dict[str, PartialDate | None]) -> bytes:
    assert ctx.base_url, "the sitemap is planned only with the site's URL"
    return sitemap(dates, ctx.base_url)


def source_feed_html(ctx: RenderContext, source: Source, up: str) -> str:
    """A source's cleaned text as feed HTML, its links as feeds up from the root need."""
    pieces = [block_pieces(block, []) for block in source.article.blocks]
    html = render(
        ctx.env, "feed_source.html", source.url_path, **ctx.common, source=source, pieces=pieces
    )
    return ctx.feed_links.html(html, source.url_path, up)


def topic_feed_html(ctx: RenderContext, topic: Page, up: str) -> str:
    """A topic's rendered Markdown as feed HTML."""
    return ctx.feed_links.html(ctx.linked.rendered[topic.path].html, topic.url_path, up)


FEED_WRITER = FeedWriter()  # one for the process: serve's builds reuse items' XML


def feed_renderer(html: dict[str, str]) -> Callable[[RenderContext, str, FeedFile], bytes]:
    """Render a feed file, its items' HTML looked up in html (by key); the feeds rendered
    by one renderer share their items' XML, with those of the process's last build."""
    writer = FEED_WRITER
    writer.new_build()

    def render_feed(ctx: RenderContext, path: str, file: FeedFile) -> bytes:
        return make_feed(file, ctx.feed_links, ctx.html_keys, html, writer)

    return render_feed


RENDERERS: dict[str, Callable[[RenderContext, str, Any], bytes]] = {
    "home": render_home,
    "topics": render_topics,
    "topic": render_topic,
    "sources": render_sources,
    "tags": render_tags,
    "tag": render_tag,
    "timeline": render_timeline,
    "page": render_plain,
    "search": render_search,
    "source": render_source,
    "original": render_original,
    "cite": render_cite,
    "source_cite": render_source_cite,
    "404": render_not_found,
    "bytes": render_bytes,
    "source_raw": render_source_raw,
    "graph": render_graph,
    "robots": render_robots,
    "sitemap": render_sitemap,
}
