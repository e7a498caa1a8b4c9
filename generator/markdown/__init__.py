"""The Markdown parser for hand-written pages and the rendering of one page."""

from __future__ import annotations

from dataclasses import dataclass

from markdown_it import MarkdownIt
from mdit_py_plugins.footnote import footnote_plugin

from ..models import Citation, Event, Page, Problem
from ..sanitize import sanitize_html
from ..urls import is_safe_url, slugify
from .citations import citations_plugin
from .headings import heading_ids_plugin
from .state import ENV_KEY, DocumentState, Lookup
from .wikilinks import wikilinks_plugin

__all__ = ["Lookup", "Rendered", "make_markdown", "render_page"]


@dataclass(frozen=True)
class Rendered:
    """A page's HTML and what it refers to; checks, backlinks and feeds work on this."""

    page: Page
    html: str
    citations: tuple[Citation, ...]
    links: tuple[Page, ...]
    problems: tuple[Problem, ...]
    events: tuple[tuple[Event, str], ...] = ()  # timeline events shown on the page, as HTML


def make_markdown(*, allow_raw_html: bool = False) -> MarkdownIt:
    """Build the parser; raw HTML stays off unless the site allows it."""
    md = (
        MarkdownIt("commonmark", {"html": allow_raw_html})
        .enable("table")
        .enable("strikethrough")
        .use(footnote_plugin)
        .use(heading_ids_plugin, min_level=2, max_level=4, slug=slugify)
        .use(citations_plugin)
        .use(wikilinks_plugin)
    )
    # Only http(s), mailto and relative links; markdown-it's default would allow e.g. ftp:.
    md.validateLink = is_safe_url  # type: ignore[method-assign]
    return md


def render_page(
    md: MarkdownIt,
    page: Page,
    page_path: str,
    lookup: Lookup,
    events: tuple[Event, ...] = (),
) -> Rendered:
    """Render one page's Markdown, then its timeline events, numbering citations across both."""
    doc = DocumentState(page=page, page_path=page_path, lookup=lookup)
    env = {ENV_KEY: doc}
    html = md.render(page.body, env)
    if md.options["html"]:
        html = sanitize_html(html)
    events_html = []
    for event in events:
        doc.source_file, doc.first_line = "content/timeline.yaml", event.line
        events_html.append((event, md.renderInline(event.text, env)))
    return Rendered(
        page,
        html,
        tuple(doc.citations),
        tuple(doc.links),
        tuple(doc.problems),
        tuple(events_html),
    )
