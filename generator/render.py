"""Render the linked site into output files (path -> bytes); nothing is written here."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from jinja2 import Environment
from markupsafe import Markup

from .config import Settings
from .markdown import Lookup, make_markdown, render_page
from .models import BuildError, Event, Page, Problem, Site, Tag
from .resolve import Linked, block_pieces, graph_data, resolve
from .site import newest_first, tag_slug
from .templates import render

RESERVED_PAGE_SLUGS = frozenset({"topics", "sources", "tags", "static", "search", "timeline"})


@dataclass(frozen=True)
class NavItem:
    title: str
    path: str


def render_markdown(site: Site, settings: Settings) -> Linked:
    """Render every Markdown page, then resolve and check what they cite and link."""
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

    rendered = [render_page(md, page, page.url_path, lookup, events_of(page)) for page in documents]
    linked, problems = resolve(site, rendered)
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


def render_site(site: Site, settings: Settings, env: Environment) -> dict[str, bytes]:
    """Every output file of the site, in memory."""
    linked = render_markdown(site, settings)
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

    common: dict[str, Any] = {"site": settings, "nav": nav, "tags_of": tags_of}
    files: dict[str, bytes] = {}

    def page(path: str, template: str, **context: Any) -> None:
        files[path] = render(env, template, path, **common, **context).encode("utf-8")

    page(
        "index.html",
        "home.html",
        title=settings.title,
        home=site.home,
        overview=body(site.home) if site.home else None,
        cited=linked.sources_list(site.home, sources_by_id) if site.home else [],
        topics=site.topics,
        latest=newest_first(site.sources)[: settings.latest_sources_on_home],
        source_count=len(site.sources),
    )
    page("topics/index.html", "topics.html", title="Topics", topics=site.topics)
    for topic in site.topics:
        page(
            topic.url_path,
            "topic.html",
            title=topic.title,
            topic=topic,
            body=body(topic),
            tags=tags_of(topic.tags),
            events=linked.rendered[topic.path].events,
            cited=linked.sources_list(topic, sources_by_id),
            backlinks=linked.backlinks.get(topic.path, []),
            related=linked.related.get(topic.path, []),
        )
    page(
        "sources/index.html",
        "sources.html",
        title="Sources",
        sources=site.sources,
        cited_in=linked.cited_in,
    )
    for source in site.sources:
        passages = linked.passages.get(source.id, [])
        pieces = [
            block_pieces(block, [p for p in passages if p.block == index])
            for index, block in enumerate(source.article.blocks)
        ]
        page(
            source.url_path,
            "source.html",
            title=source.title,
            source=source,
            pieces=pieces,
            tags=tags_of(source.tags),
            cited_in=linked.cited_in.get(source.id, []),
            passage_count=len(passages),
        )
        page(
            f"sources/{source.id}/original/index.html",
            "original.html",
            title=f"Original text: {source.title}",
            source=source,
            raw_text=source.raw.decode("utf-8-sig", errors="replace"),
        )
        files[source.raw_path] = source.raw
    page("tags/index.html", "tags.html", title="Tags", tags=site.tags)
    for tag in site.tags:
        page(tag.url_path, "tag.html", title=f"Tag: {tag.name}", tag=tag)
    if site.timeline:
        page(
            site.timeline.url_path,
            "timeline.html",
            title=site.timeline.title,
            page=site.timeline,
            events=linked.rendered[site.timeline.path].events,
            cited=linked.sources_list(site.timeline, sources_by_id),
        )
    for plain in site.pages:
        page(
            plain.url_path,
            "page.html",
            title=plain.title,
            page=plain,
            body=body(plain),
            cited=linked.sources_list(plain, sources_by_id),
        )
    files["graph.json"] = (
        json.dumps(graph_data(site, linked), ensure_ascii=False, indent=1, sort_keys=True) + "\n"
    ).encode("utf-8")
    return files
