"""The Markdown parser for hand-written pages and the rendering of one page."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from markdown_it import MarkdownIt
from markdown_it.token import Token
from mdit_py_plugins.footnote import footnote_plugin

from ..models import Citation, Event, Page, Problem
from ..sanitize import sanitize_html
from ..urls import is_safe_url, slugify
from .citations import citations_plugin
from .headings import heading_ids_plugin
from .state import ENV_KEY, DocumentState, Lookup
from .wikilinks import wikilinks_plugin

__all__ = ["Lookup", "Rendered", "make_markdown", "render_page"]

RAW_HTML = frozenset({"html_block", "html_inline"})  # the only tokens written unescaped


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
    html = _render(md, md.parse(page.body, env), env)
    events_html = []
    for event in events:
        doc.source_file, doc.first_line = "content/timeline.yaml", event.line
        events_html.append((event, _render(md, md.parseInline(event.text, env), env)))
    return Rendered(
        page,
        html,
        tuple(doc.citations),
        tuple(doc.links),
        tuple(doc.problems),
        tuple(events_html),
    )


def _render(md: MarkdownIt, tokens: list[Token], env: dict[str, DocumentState]) -> str:
    """HTML of parsed Markdown, sanitised when it holds raw HTML: only html_block and
    html_inline tokens are written unescaped, so a page without them is the same bytes
    whether the site allows raw HTML or not."""
    html = md.renderer.render(tokens, md.options, env)
    if any(token.type in RAW_HTML for token in _walk(tokens)):
        html = sanitize_html(html)
    return html


def _walk(tokens: list[Token]) -> Iterator[Token]:
    for token in tokens:
        yield token
        yield from _walk(token.children or [])
