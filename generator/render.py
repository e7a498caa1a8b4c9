"""Render the linked site into output files (path -> bytes); nothing is written here."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from jinja2 import Environment
from markupsafe import Markup

from .config import Settings
from .markdown import make_markdown
from .models import Page, Site
from .site import newest_first, tag_slug
from .templates import render

RESERVED_PAGE_SLUGS = frozenset({"topics", "sources", "tags", "static", "search", "index"})


@dataclass(frozen=True)
class NavItem:
    title: str
    path: str


def page_url_path(page: Page) -> str:
    """Plain pages live at the top level (about/), topics under topics/."""
    if page.section == "pages":
        return f"{page.slug}/index.html"
    return page.url_path


def render_site(site: Site, settings: Settings, env: Environment) -> dict[str, bytes]:
    """Every output file of the site, in memory."""
    md = make_markdown(allow_raw_html=settings.allow_raw_html)
    nav = [
        NavItem("Briefing", "index.html"),
        NavItem("Topics", "topics/index.html"),
        NavItem("Sources", "sources/index.html"),
        NavItem("Tags", "tags/index.html"),
    ] + [NavItem(p.title, page_url_path(p)) for p in site.pages]
    common: dict[str, Any] = {"site": settings, "nav": nav, "page_url_path": page_url_path}
    files: dict[str, str | bytes] = {}

    def page(path: str, template: str, **context: Any) -> None:
        files[path] = render(env, template, path, **common, **context)

    def html(page: Page) -> Markup:
        return Markup(md.render(page.body))

    tags_by_slug = {tag.slug: tag for tag in site.tags}
    def tags_of(names: tuple[str, ...]) -> list[Any]:
        return [tags_by_slug[tag_slug(n)] for n in dict.fromkeys(names) if tag_slug(n) in tags_by_slug]

    page(
        "index.html",
        "home.html",
        title=settings.title,
        home=site.home,
        overview=html(site.home) if site.home else None,
        topics=site.topics,
        latest=newest_first(site.sources)[: settings.latest_sources_on_home],
        source_count=len(site.sources),
    )
    page("topics/index.html", "topics.html", title="Topics", topics=site.topics, tags_of=tags_of)
    for topic in site.topics:
        page(topic.url_path, "topic.html", title=topic.title, topic=topic, body=html(topic),
             tags=tags_of(topic.tags))
    page("sources/index.html", "sources.html", title="Sources", sources=site.sources)
    for source in site.sources:
        page(source.url_path, "source.html", title=source.title, source=source,
             tags=tags_of(source.tags))
        page(f"sources/{source.id}/original/index.html", "original.html",
             title=f"Original text: {source.title}", source=source,
             raw_text=source.raw.decode("utf-8-sig", errors="replace"))
        files[source.raw_path] = source.raw
    page("tags/index.html", "tags.html", title="Tags", tags=site.tags)
    for tag in site.tags:
        page(tag.url_path, "tag.html", title=f"Tag: {tag.name}", tag=tag)
    for plain in site.pages:
        page(page_url_path(plain), "page.html", title=plain.title, page=plain, body=html(plain))
    return {path: data.encode("utf-8") if isinstance(data, str) else data
            for path, data in files.items()}
