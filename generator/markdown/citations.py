"""Pandoc-style citations as a markdown-it inline rule.

`[@id]` cites a source, `[@a; @b]` several, `[@id "verbatim quote"]` a passage. Ids are
source ids or seed file stems. Parsing happens in the inline rule; numbering and
resolution in a core rule after it, so markers are numbered in reading order.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.common.utils import escapeHtml
from markdown_it.renderer import RendererHTML
from markdown_it.rules_core import StateCore
from markdown_it.rules_inline import StateInline
from markdown_it.token import Token
from markdown_it.utils import OptionsDict

from ..models import Citation
from ..textnorm import passage_id
from ..urls import relative_url
from .state import get_state, inline_blocks

_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")
_CLOSING_QUOTE = {'"': '"', "\u201c": "\u201d"}
MAX_CITATION_CHARS = 5000


@dataclass(frozen=True)
class CiteItem:
    key: str
    quote: str | None


class CitationSyntaxError(ValueError):
    """A `[@` that starts a citation but does not finish one."""


def parse_citation(src: str, start: int, end: int) -> tuple[list[CiteItem], int]:
    """Parse a citation starting at src[start] == '['; return items and the index after ']'."""
    pos = start + 1
    items: list[CiteItem] = []
    limit = min(end, start + MAX_CITATION_CHARS)
    while True:
        while pos < limit and src[pos] in " \t\n":
            pos += 1
        if pos >= limit or src[pos] != "@":
            raise CitationSyntaxError("expected '@' and a source id")
        match = _ID.match(src, pos + 1, limit)
        if not match:
            raise CitationSyntaxError("expected a source id after '@'")
        key = match.group()
        pos = match.start() + len(key)
        while pos < limit and src[pos] in " \t\n":
            pos += 1
        quote = None
        if pos < limit and src[pos] in _CLOSING_QUOTE:
            closing = _CLOSING_QUOTE[src[pos]]
            pos += 1
            chars: list[str] = []
            while pos < limit and src[pos] != closing:
                if src[pos] == "\\" and pos + 1 < limit and src[pos + 1] in '"\u201d\\':
                    pos += 1
                chars.append(src[pos])
                pos += 1
            if pos >= limit:
                raise CitationSyntaxError("the quote is not closed")
            pos += 1
            quote = " ".join("".join(chars).split())
            if not quote:
                raise CitationSyntaxError("the quote is empty")
            while pos < limit and src[pos] in " \t\n":
                pos += 1
        items.append(CiteItem(key, quote))
        if pos < limit and src[pos] == ";":
            pos += 1
            continue
        if pos < limit and src[pos] == "]":
            return items, pos + 1
        raise CitationSyntaxError("expected ';' or ']' after a citation")


def _citation_rule(state: StateInline, silent: bool) -> bool:
    src, pos = state.src, state.pos
    if src[pos] != "[" or pos + 1 >= state.posMax or src[pos + 1] != "@":
        return False
    try:
        items, after = parse_citation(src, pos, state.posMax)
    except CitationSyntaxError as err:
        if silent:
            return False
        # Keep the text as written, and leave a marker so the resolver can report it.
        error = state.push("citation_error", "", 0)
        error.meta = {"message": str(err), "line_offset": src.count("\n", 0, pos)}
        state.pending += "["
        state.pos += 1
        return True
    if not silent:
        token = state.push("citation", "", 0)
        token.meta = {"items": items, "line_offset": src.count("\n", 0, pos)}
    state.pos = after
    return True


def _resolve_citations(state: StateCore) -> None:
    """Number markers in reading order and resolve their targets (runs after inline)."""
    doc = get_state(state.env)
    if doc is None:
        return
    for block_line, children in inline_blocks(state.tokens):
        _attach_markers(children)
        for token in children:
            if token.type == "citation_error":
                doc.problem(
                    doc.line(block_line, token.meta["line_offset"]),
                    f"malformed citation: {token.meta['message']}",
                    'write [@source-id], [@a; @b] or [@source-id "exact words"]',
                )
                continue
            if token.type != "citation":
                continue
            line = doc.line(block_line, token.meta["line_offset"])
            rendered = []
            for item in token.meta["items"]:
                source = doc.lookup.sources.get(item.key)
                if source is None:
                    suggestions = doc.lookup.suggest_sources(item.key)
                    doc.problem(
                        line,
                        f"unknown source id {item.key!r}",
                        f"did you mean {', '.join(repr(s) for s in suggestions)}?"
                        if suggestions
                        else "ids are listed in seeds/sources.yaml",
                    )
                    continue
                number = doc.numbers.setdefault(source.id, len(doc.numbers) + 1)
                marker_id = f"cite-{len(doc.citations) + 1}"
                pid = passage_id(source.id, item.quote) if item.quote else None
                target = source.url_path + (f"#{pid}" if pid else "")
                citation = Citation(
                    doc.page, doc.source_file, line, source.id, number, marker_id, item.quote, pid
                )
                doc.citations.append(citation)
                rendered.append(
                    {
                        "number": number,
                        "marker_id": marker_id,
                        "href": relative_url(doc.page_path, target),
                        "quote": item.quote,
                        "passage_id": pid,
                        "source_title": source.title,
                    }
                )
            token.meta["rendered"] = _merge_repeats(rendered)


def _attach_markers(children: list[Token]) -> None:
    """Set markers against the word they follow: drop the space or line break before them."""
    for index, token in enumerate(children):
        if token.type != "citation" or index == 0:
            continue
        previous = children[index - 1]
        if previous.type == "softbreak":
            previous.type, previous.content = "text", ""
            previous = children[index - 2] if index > 1 else previous
        if previous.type == "text":
            previous.content = previous.content.rstrip(" \t")


def _merge_repeats(markers: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """The markers of one group, those citing the same source together (in the order each
    source first appears): a group citing a source twice shows its number once ("2, 2"
    reads as noise), and the one marker stands for every quote."""
    merged: dict[int, list[dict[str, Any]]] = {}
    for marker in markers:
        merged.setdefault(marker["number"], []).append(marker)
    return list(merged.values())


def _marker_html(markers: list[dict[str, Any]]) -> str:
    """One marker for one source: a link to the quoted passage, or to the source's entry
    in the Sources list when it stands for several passages (which that entry lists). The
    ids of the markers merged into it stay on the page, so links back to them still land;
    data-passages names the passages the preview card shows."""
    first, number = markers[0], markers[0]["number"]
    targets = dict.fromkeys(m["href"] for m in markers)
    href = first["href"] if len(targets) == 1 else f"#ref-{number}"
    quotes = [m["quote"] for m in markers if m["quote"]]
    quoted = "; ".join(f"\u201c{q}\u201d" for q in dict.fromkeys(quotes))
    title = f"{quoted} \u2014 {first['source_title']}" if quoted else first["source_title"]
    passages = " ".join(dict.fromkeys(m["passage_id"] for m in markers if m["passage_id"]))
    data = f' data-passages="{passages}"' if passages else ""
    if href.startswith("#"):  # its name says where it leads, as the other markers' do not
        data += f' aria-label="{number} (see the Sources list)"'
    aliases = "".join(f'<span id="{m["marker_id"]}"></span>' for m in markers[1:])
    return (
        f'<a id="{first["marker_id"]}" href="{escapeHtml(href)}" title="{escapeHtml(title)}" '
        f'aria-describedby="ref-{number}"{data}>{number}</a>{aliases}'
    )


def _render_citation(
    self: RendererHTML, tokens: Sequence[Token], idx: int, options: OptionsDict, env: Any
) -> str:
    groups = tokens[idx].meta.get("rendered") or []
    if not groups:
        return '<sup class="cite cite-missing">[?]</sup>'
    return f'<sup class="cite">{", ".join(_marker_html(g) for g in groups)}</sup>'


def citations_plugin(md: MarkdownIt) -> None:
    """Register the citation inline rule, its resolver and its renderer."""
    md.inline.ruler.before("link", "citation", _citation_rule)
    md.core.ruler.after("inline", "citation_resolve", _resolve_citations)
    md.add_render_rule("citation", _render_citation)
    md.add_render_rule("citation_error", lambda *args: "")
