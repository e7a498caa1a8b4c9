"""Render the linked site into output files (path -> bytes); nothing is written here."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urlsplit

from jinja2 import Environment
from markupsafe import Markup

from .cache import code_fingerprint
from .config import Settings
from .feedplan import FeedPlan, all_feeds
from .feeds import FeedLinks, absolute_url, normalise_base_url, robots_txt, sitemap
from .markdown import Lookup, Rendered, make_markdown, render_page
from .models import BuildError, Event, Page, PartialDate, Problem, Site, Source, Tag
from .pagekeys import PageKeys, key_of
from .pagination import paginate
from .parallel import forked
from .resolve import Linked, block_pieces, graph_data, resolve
from .search import Bundle, SearchPlan, SearchSchedule
from .site import newest_first, tag_slug
from .templates import render
from .timings import stage

RESERVED_PAGE_SLUGS = frozenset(
    {"topics", "sources", "tags", "static", "search", "timeline", "pagefind"}
)


# Below this many sources, forking workers costs more than rendering in one process.
PARALLEL_MIN_SOURCES = 200


@dataclass(frozen=True)
class NavItem:
    title: str
    path: str


def render_markdown(
    site: Site,
    settings: Settings,
    checked: dict[str, list[str]] | None = None,
    memo: dict[str, Rendered] | None = None,
    locations: dict[str, list[int]] | None = None,
) -> Linked:
    """Render every Markdown page, then resolve and check what they cite and link.

    memo holds pages rendered by earlier builds, by a key of everything a page's rendering
    reads: its own text, and the names and addresses of what it may refer to. Pages found
    there are not rendered again; afterwards memo holds this build's pages only."""
    md = make_markdown(allow_raw_html=settings.allow_raw_html)
    pages = list(site.topics) + list(site.pages)
    if site.timeline:
        pages.append(site.timeline)
    lookup = Lookup.build(site.sources, pages)
    documents = ([site.home] if site.home else []) + pages

    def events_of(page: Page) -> tuple[Event, ...]:
        if page is site.timeline:
            return site.events
        if page.section == "topics":
            return tuple(e for e in site.events if page.slug in e.topics)
        return ()

    known = {page.path: page for page in documents}
    shared = key_of((code_fingerprint(), settings.allow_raw_html, lookup.digest()))
    rendered = []
    used: dict[str, Rendered] = {}
    for page in documents:
        events = events_of(page)
        key = key_of((shared, page, page.url_path, events))
        found = (memo or {}).get(key)
        if found is None:
            found = render_page(md, page, page.url_path, lookup, events)
        else:  # the same values, but the objects of this build (linked pages may differ)
            found = _relinked(found, page, known, events)
        used[key] = found
        rendered.append(found)
    if memo is not None:
        memo.clear()
        memo.update(used)
    linked, problems = resolve(site, rendered, checked, locations)
    for page in site.pages:
        if page.slug in RESERVED_PAGE_SLUGS:
            problems.append(
                Problem(
                    page.path,
                    None,
                    f"the URL {page.slug}/ is reserved",
                    "rename the file or set another 'slug:'",
                )
            )
    if problems:
        raise BuildError(problems)
    return linked


def _relinked(
    found: Rendered, page: Page, known: dict[str, Page], events: tuple[Event, ...]
) -> Rendered:
    """A remembered rendering pointing at this build's pages and events."""
    return Rendered(
        page,
        found.html,
        tuple(replace(c, page=page) for c in found.citations),
        tuple(known.get(p.path, p) for p in found.links),
        found.problems,
        tuple((event, html) for event, (_, html) in zip(events, found.events, strict=True)),
    )


def newest_date(site: Site) -> PartialDate | None:
    """The most recent date in the content: the site's date when SOURCE_DATE_EPOCH is unset."""
    dates = [d for t in site.topics for d in (t.date, t.updated) if d]
    dates += [s.date for s in site.sources if s.date]
    dates += [e.date for e in site.events]
    return max(dates, key=lambda d: d.sort_key) if dates else None


def render_site(
    site: Site,
    settings: Settings,
    env: Environment,
    emit: Callable[[str, bytes], None],
    site_date: PartialDate | None = None,
    search: str = "off",
    checked: dict[str, list[str]] | None = None,
    jobs: int = 1,
    index: Callable[[list[Bundle]], None] | None = None,
    search_setup: str = "",
    adopt: Callable[[list[str]], None] | None = None,
    reuse: Callable[[list[str], str], bool] | None = None,
    theme_key: str = "",
    feed_memo: dict[str, str] | None = None,
    markdown_memo: dict[str, Rendered] | None = None,
    previous: Callable[[str], bytes] | None = None,
    locations: dict[str, list[int]] | None = None,
    digests: dict[str, str] | None = None,
) -> Linked:
    """Render every output file, handing each to emit(path, bytes) as soon as it is made.

    Every check (quotes, links) runs before the first file is emitted.

    site_date stands for "when the site was last updated" (feeds, footer); it comes from
    SOURCE_DATE_EPOCH or the content, never from the clock. search is "available",
    "unavailable" (Pagefind missing: the search page says so) or "off". checked is the
    last build's record of verified quotes. index(bundles) is called as the HTML pages of
    search indexes are written (the source shards first, then the main index), so that
    Pagefind runs beside the rest of the build.
    reuse(paths, key), if given, puts the previous build's files at paths when they were
    rendered from the same inputs (key) and says whether it did; theme_key stands for the
    templates; feed_memo holds the last build's feed item HTML by key. adopt(paths) is told
    of the files that worker processes wrote with their copy of emit. markdown_memo: see
    render_markdown, locations: resolve's known. previous(path): the bytes of a file reuse()
    kept (given with reuse); digests: the sha256 of the last build's topic and tag pages
    (Linked.page_digests), which spares reading kept ones back. Returns the resolved links,
    with the key of each reusable page, the feed HTML this build used and the page digests.
    """
    with stage("markdown, citations and quotes"):
        linked = render_markdown(site, settings, checked, markdown_memo, locations)
    site_date = site_date or newest_date(site) or PartialDate(1970, 1, 1)
    base_url = normalise_base_url(settings.url) if settings.url else None
    sources_by_id = {s.id: s for s in site.sources}
    nav = [NavItem("Topics", "topics/index.html")]
    if site.timeline:
        nav.append(NavItem("Timeline", site.timeline.url_path))
    nav += [NavItem("Sources", "sources/index.html"), NavItem("Tags", "tags/index.html")]
    nav += [NavItem(p.title, p.url_path) for p in site.pages]
    tags_by_slug = {tag.slug: tag for tag in site.tags}

    def tags_of(names: tuple[str, ...]) -> list[Tag]:
        slugs = dict.fromkeys(tag_slug(n) for n in names)
        return [tags_by_slug[s] for s in slugs if s in tags_by_slug]

    def body(page: Page) -> Markup:
        return Markup(linked.rendered[page.path].html)

    def canonical(path: str) -> str | None:
        return absolute_url(base_url, path) if base_url else None

    common: dict[str, Any] = {
        "site": settings,
        "nav": nav,
        "tags_of": tags_of,
        "site_date": site_date,
        "feeds": True,
        "canonical": canonical,
        "search": search,
    }
    lastmod: dict[str, PartialDate | None] = {}

    # The search index: its parts, and when each can be built.
    search_plan = SearchPlan.make(
        [s.id for s in site.sources], settings.search_shard_size, [t.slug for t in site.topics]
    )
    searching = SearchSchedule(search_plan, index, search_setup, digests)

    def page(path: str, template: str, date: PartialDate | None = None, **context: Any) -> None:
        data = render(env, template, path, **common, **context).encode("utf-8")
        searching.page_written(path, data)
        emit(path, data)
        lastmod[path] = date

    # Everything every page shares: a change here renders them all again.
    shared = (
        theme_key,
        code_fingerprint(),
        settings,
        [(item.title, item.path) for item in nav],
        site_date,
        search,
    )
    keys = PageKeys.make(site, linked, shared)

    def kept(paths: list[str], key: str) -> bool:
        """Record the key of what paths are made from (for the next build); whether the
        last build's files, made from the same, were put in their place."""
        for path in paths:
            linked.page_keys[path] = key
        return bool(reuse and reuse(paths, key))

    def keyed_page(path: str, shown: object, template: str, **context: Any) -> None:
        """page(), or the last build's file when shown (what it shows) is unchanged."""
        if kept([path], keys.keyed(template, shown)):
            assert previous is not None, "reuse needs previous to read a kept page back"
            lastmod[path] = context.get("date")
            searching.page_kept(path, lambda: previous(path))
            return
        page(path, template, **context)

    # Feed items are chosen before the source pages are rendered, so that the workers
    # rendering a source's page also make its feed HTML (the slowest part of the feeds).
    memo = feed_memo if feed_memo is not None else {}
    feeds = FeedPlan.make(site, settings, tags_of, FeedLinks.make(base_url, settings.title))

    def feed_html(source: Source, up: str) -> str:
        """A source's cleaned text as feed HTML, its links as feeds up from the root need."""
        pieces = [block_pieces(block, []) for block in source.article.blocks]
        html = render(
            env, "feed_source.html", source.url_path, **common, source=source, pieces=pieces
        )
        return feeds.links.html(html, source.url_path, up)

    def render_sources(chunk: list[Source]) -> dict[str, str]:
        """Render a source's page and original-text page (in a worker, or here); return the
        feed HTML, by key, of those that a feed carries and the last build did not make."""
        made = {}
        for source in chunk:
            for up in feeds.source_ups(source):
                key = feeds.source_key(source, linked.page_keys, up)
                if key not in memo:
                    made[key] = feed_html(source, up)
            passages = linked.passages.get(source.id, [])
            pieces = [
                block_pieces(block, [p for p in passages if p.block == index])
                for index, block in enumerate(source.article.blocks)
            ]
            emit(
                source.url_path,
                render(
                    env,
                    "source.html",
                    source.url_path,
                    **common,
                    title=source.title,
                    source=source,
                    pieces=pieces,
                    tags=tags_of(source.tags),
                    cited_in=linked.cited_in.get(source.id, []),
                    passage_count=len(passages),
                ).encode("utf-8"),
            )
            emit(
                source.original_path,
                render(
                    env,
                    "original.html",
                    source.original_path,
                    **common,
                    title=f"Original text: {source.title}",
                    source=source,
                    raw_text=source.raw.decode("utf-8-sig", errors="replace"),
                ).encode("utf-8"),
            )
        return made

    # The bulk of the site. Pages whose inputs did not change come from the last build;
    # the rest are rendered by `jobs` worker processes when there are many of them.
    to_render = []
    with stage("source page keys, original files, unchanged pages"):
        for source in site.sources:
            passages, tags = linked.passages.get(source.id, []), tags_of(source.tags)
            key = keys.source(source, passages, tags)
            searching.source_keys[source.id] = keys.search(source, passages, tags)
            lastmod[source.url_path] = lastmod[source.original_path] = source.date
            if not kept([source.raw_path], source.raw_sha256):
                emit(source.raw_path, source.raw)
            if not kept([source.url_path, source.original_path], key):
                to_render.append(source)
    workers = jobs if len(to_render) >= PARALLEL_MIN_SOURCES else 1
    # Chunks of sources to render, shard by shard, so that each search shard is indexed
    # (in the background) as soon as its pages are written.
    chunks = searching.chunks(to_render, max(1, -(-len(to_render) // (workers * 4))))

    def collect(results: Iterator[dict[str, str]]) -> None:
        """Take in the workers' (or this process's) source pages, chunk by chunk, and index
        each search shard once its pages are all written."""
        with stage(
            f"source pages ({len(to_render)} of {len(site.sources)} rendered; the rest of "
            "the wait for the workers)"
        ):
            for number, made in enumerate(results):
                memo.update(made)
                if workers > 1 and adopt:
                    adopt([p for s in chunks[number] for p in (s.url_path, s.original_path)])
                searching.chunk_done(number)
            searching.chunk_done(len(chunks))

    # The workers start on the source pages; meanwhile this process renders the other
    # pages (a core would otherwise wait), then collects what the workers made. Without
    # workers the source pages come first, so that Pagefind indexes their shards while
    # this process renders the rest.
    with forked(render_sources, chunks, workers) as results:
        if workers == 1:
            collect(results)
        with stage("home, topic and index pages"):
            topic_dates = [t.updated or t.date for t in site.topics]
            page(
                "index.html",
                "home.html",
                date=site_date,
                title=settings.title,
                home=site.home,
                overview=body(site.home) if site.home else None,
                cited=linked.sources_list(site.home, sources_by_id) if site.home else [],
                topics=site.topics,
                latest=newest_first(site.sources)[: settings.latest_sources_on_home],
                source_count=len(site.sources),
            )
            page(
                "topics/index.html",
                "topics.html",
                date=_newest(topic_dates),
                title="Topics",
                topics=site.topics,
            )
            for topic in site.topics:
                cited = linked.sources_list(topic, sources_by_id)
                tags = tags_of(topic.tags)
                backlinks = linked.backlinks.get(topic.path, [])
                related = linked.related.get(topic.path, [])
                keyed_page(
                    topic.url_path,
                    keys.topic_shows(topic, tags, cited, backlinks, related),
                    "topic.html",
                    date=topic.updated or topic.date,
                    title=topic.title,
                    topic=topic,
                    body=body(topic),
                    tags=tags,
                    events=linked.rendered[topic.path].events,
                    cited=cited,
                    backlinks=backlinks,
                    related=related,
                )
            searching.topics_done()
            # The sources index, in pages: an edit renders again only the page listing it.
            for listing in paginate(site.sources, settings.sources_per_page, "sources/"):
                cited_in = {s.id: linked.cited_in.get(s.id, []) for s in listing.items}
                keyed_page(
                    listing.path,
                    keys.sources_list_shows(listing, cited_in),
                    "sources.html",
                    date=_newest([s.date for s in listing.items]),
                    title=listing.titled("Sources"),
                    sources=listing.items,
                    cited_in=cited_in,
                    pagination=listing,
                )
        with stage("tag, timeline and other pages"):
            page(
                "tags/index.html",
                "tags.html",
                date=site_date,
                title="Tags",
                tags=site.tags,
            )
            for tag in site.tags:
                # Topics on the first page; the sources in pages, as on the sources index.
                # Each page is given the tag with only its own sources, so that an edit
                # renders again only the page of each tag that lists the edited source.
                tag_folder = tag.url_path[: -len("index.html")]
                for listing in paginate(tag.sources, settings.sources_per_page, tag_folder):
                    on_page = replace(tag, sources=listing.items)
                    dates = [s.date for s in listing.items]
                    if listing.number == 1:
                        dates += [t.updated or t.date for t in tag.topics]
                    keyed_page(
                        listing.path,
                        (keys.tag_shows(on_page), listing.shown()),
                        "tag.html",
                        date=_newest(dates),
                        title=listing.titled(f"Tag: {tag.name}"),
                        tag=on_page,
                        tag_feeds=True,
                        sources=listing.items,
                        pagination=listing,
                    )
            if site.timeline:
                page(
                    site.timeline.url_path,
                    "timeline.html",
                    date=_newest([e.date for e in site.events]),
                    title=site.timeline.title,
                    page=site.timeline,
                    events=linked.rendered[site.timeline.path].events,
                    cited=linked.sources_list(site.timeline, sources_by_id),
                )
            for plain in site.pages:
                page(
                    plain.url_path,
                    "page.html",
                    date=plain.updated or plain.date,
                    title=plain.title,
                    page=plain,
                    body=body(plain),
                    cited=linked.sources_list(plain, sources_by_id),
                )
            if search != "off":
                page("search/index.html", "search.html", title="Search", merged=search_plan.merged)
        if workers > 1:
            collect(results)
    searching.finish()
    linked.page_digests.update(searching.digests)
    not_found = render(
        env,
        "404.html",
        "index.html",
        **{**common, "canonical": lambda path: None},
        title="Page not found",
        root_prefix=urlsplit(base_url).path if base_url else "/",
    )
    emit("404.html", not_found.encode("utf-8"))
    with stage("graph.json"):
        graph = graph_data(site, linked)
        # Keyed by its compact JSON (one call of the C encoder), written only when changed.
        compact = json.dumps(graph, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
        if not kept(["graph.json"], hashlib.sha256(compact.encode()).hexdigest()):
            emit("graph.json", graph_json(graph))
    emit("robots.txt", robots_txt(base_url))
    emit(".nojekyll", b"")
    with stage("feeds and sitemap"):
        files = all_feeds(site, settings, linked, feeds, feed_html, site_date, memo)
        for path, (key, make) in files.items():
            # A feed whose items and their HTML are unchanged is the last build's file.
            if not kept([path], hashlib.sha256(f"{keys.shared}\0{key}".encode()).hexdigest()):
                emit(path, make())
        if base_url:
            # The sitemap lists every page and its date: kept when none of them changed.
            isos = {p: d.iso if d else "" for p, d in lastmod.items()}
            dated = "\n".join(f"{p}\0{isos[p]}" for p in sorted(isos))
            key = hashlib.sha256(f"{keys.shared}\0{base_url}\0{dated}".encode()).hexdigest()
            if not kept(["sitemap.xml"], key):
                emit("sitemap.xml", sitemap(lastmod, base_url))
    return linked


def graph_json(graph: dict[str, list[dict[str, Any]]]) -> bytes:
    """graph.json: one node or edge per line, so that a change shows as a changed line.

    Each line comes from json's C encoder; indented output went through its Python
    encoder instead (0.49 s for the graph of 10,000 sources, now 0.2 s)."""
    encoder = json.JSONEncoder(ensure_ascii=False, sort_keys=True)
    parts = []
    for name in sorted(graph):
        items = ",\n".join("  " + encoder.encode(item) for item in graph[name])
        parts.append(f' "{name}": [\n{items}\n ]' if items else f' "{name}": []')
    return ("{\n" + ",\n".join(parts) + "\n}\n").encode("utf-8")


def _newest(dates: list[PartialDate | None]) -> PartialDate | None:
    known = [d for d in dates if d]
    return max(known, key=lambda d: d.sort_key) if known else None
