"""Wikilinks `[[Title]]` / `[[slug|label]]`, and Markdown links to content files (`taiwan.md`).

Both resolve to the target page's relative URL; a missing target is a problem with
did-you-mean suggestions. The inline rule only parses; a core rule resolves.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from urllib.parse import unquote, urlsplit

from markdown_it import MarkdownIt
from markdown_it.common.utils import escapeHtml
from markdown_it.renderer import RendererHTML
from markdown_it.rules_core import StateCore
from markdown_it.rules_inline import StateInline
from markdown_it.token import Token
from markdown_it.utils import OptionsDict

from ..models import Page
from ..urls import relative_url
from .state import DocumentState, get_state, inline_blocks

MAX_WIKILINK_CHARS = 300


def _wikilink_rule(state: StateInline, silent: bool) -> bool:
    src, pos = state.src, state.pos
    if not src.startswith("[[", pos):
        return False
    end = src.find("]]", pos + 2, min(state.posMax, pos + MAX_WIKILINK_CHARS))
    if end < 0:
        return False
    inner = src[pos + 2 : end]
    if not inner.strip() or "\n" in inner or "[" in inner:
        return False
    target, _, label = inner.partition("|")
    if not silent:
        token = state.push("wikilink", "", 0)
        token.meta = {
            "target": target.strip(),
            "label": label.strip() or target.strip(),
            "line_offset": src.count("\n", 0, pos),
        }
    state.pos = end + 2
    return True


def _page_link(doc: DocumentState, page: Page) -> str:
    if page not in doc.links and page != doc.page:
        doc.links.append(page)
    return relative_url(doc.page_path, page.url_path)


def _resolve_links(state: StateCore) -> None:
    doc = get_state(state.env)
    if doc is None:
        return
    for block_line, children in inline_blocks(state.tokens):
        for token in children:
            if token.type == "wikilink":
                target = token.meta["target"]
                page = doc.lookup.pages.get(target.casefold())
                if page is None:
                    suggestions = doc.lookup.suggest_pages(target)
                    doc.problem(
                        doc.line(block_line, token.meta["line_offset"]),
                        f"wikilink [[{target}]] matches no page",
                        f"did you mean {', '.join(repr(s) for s in suggestions)}?"
                        if suggestions
                        else "link to a page's title or slug",
                    )
                    continue
                token.meta["href"] = _page_link(doc, page)
            elif token.type == "link_open":
                href = str(token.attrGet("href") or "")
                parts = urlsplit(href)
                if parts.scheme or parts.netloc or not parts.path.endswith(".md"):
                    continue
                name = unquote(parts.path).rsplit("/", 1)[-1]
                page = doc.lookup.files.get(name)
                if page is None:
                    doc.problem(
                        doc.line(block_line),
                        f"link to {href!r}: no content file of that name",
                        "link to a file in content/topics/ or content/pages/, e.g. taiwan.md",
                    )
                    continue
                fragment = f"#{parts.fragment}" if parts.fragment else ""
                token.attrSet("href", _page_link(doc, page) + fragment)


def _render_wikilink(
    self: RendererHTML, tokens: Sequence[Token], idx: int, options: OptionsDict, env: Any
) -> str:
    meta = tokens[idx].meta
    label = escapeHtml(meta["label"])
    if "href" not in meta:
        return f'<span class="wikilink-missing">{label}</span>'
    return f'<a class="wikilink" href="{escapeHtml(meta["href"])}">{label}</a>'


def wikilinks_plugin(md: MarkdownIt) -> None:
    """Register the wikilink inline rule, the link resolver and the renderer."""
    md.inline.ruler.before("link", "wikilink", _wikilink_rule)
    md.core.ruler.after("inline", "wikilink_resolve", _resolve_links)
    md.add_render_rule("wikilink", _render_wikilink)
