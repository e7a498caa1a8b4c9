"""The Markdown parser for hand-written pages: CommonMark, tables, footnotes, heading anchors."""

from __future__ import annotations

from markdown_it import MarkdownIt
from mdit_py_plugins.anchors import anchors_plugin
from mdit_py_plugins.footnote import footnote_plugin

from .urls import is_safe_url, slugify


def make_markdown(*, allow_raw_html: bool = False) -> MarkdownIt:
    """Build the parser; raw HTML stays off unless the site allows it."""
    md = (
        MarkdownIt("commonmark", {"html": allow_raw_html})
        .enable("table")
        .enable("strikethrough")
        .use(footnote_plugin)
        .use(anchors_plugin, min_level=2, max_level=4, slug_func=slugify)
    )
    # Only http(s), mailto and relative links; markdown-it's default would allow e.g. ftp:.
    md.validateLink = is_safe_url  # type: ignore[method-assign]
    return md
