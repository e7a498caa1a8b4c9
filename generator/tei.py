"""trafilatura's extracted article (its XML) as our Blocks and Runs.

Every word trafilatura found must reach a block: its block elements (paragraphs,
headings, list items, quotes, table rows) each make one; a code listing makes one, a line
per line; and text it left beside its blocks (the words after a heading with no paragraph
of their own, text between two paragraphs) makes a paragraph of its own. Only emphasis,
inline code and http(s) links are kept of the markup.
"""

from __future__ import annotations

from copy import deepcopy
from typing import Any

from lxml import etree

from .combine import element_runs, strip_runs
from .models import Block, BlockKind, Run, RunStyle
from .textnorm import clean_whitespace
from .urls import is_web_url

_BLOCK_TAGS: dict[str, BlockKind] = {
    "p": "paragraph",
    "head": "heading",
    "item": "list_item",
    "quote": "quote",
    "row": "paragraph",  # a table row becomes a line of text
}
_LINE_BREAKS = ("lb", "row", "tr")  # in a code listing (a table of lines: line numbers beside)
# Between words of a block: a line break, a cell, a block nested in a block (a sub-list)
_SPACES = ("lb", "cell", "td", "th", "list", "table", *_BLOCK_TAGS)


def tei_blocks(body: Any) -> list[Block]:
    """The blocks of trafilatura's article body, in reading order. A body without a single
    block element is no article: it is the bare element of the page (a menu) trafilatura
    hands back when it found none."""
    blocks: list[Block] = []
    if not _holds_blocks(body):
        return blocks
    _container_blocks(body, blocks)
    return blocks


def _container_blocks(container: Any, blocks: list[Block]) -> None:
    """The blocks of an element that holds blocks (the body, a list, a table, a quote of
    paragraphs, a division trafilatura kept): its blocks, its listings, the blocks of the
    containers in it, and its loose text and inline elements as paragraphs between them."""
    in_quote = container.tag == "quote"
    loose_kind: BlockKind = "quote" if in_quote else "paragraph"
    loose = _loose(container.text)
    for child in container:
        if not isinstance(child.tag, str) or not (_is_block(child) or _holds_blocks(child)):
            loose.append(deepcopy(child))  # inline (emphasis, a link, a line break), tail too
            continue
        _add(blocks, loose_kind, _runs(loose))
        if child.tag == "code":
            _add(blocks, "paragraph", _listing_runs(child))
        elif _is_block(child):
            _add(
                blocks,
                "quote" if container.tag == "quote" else _BLOCK_TAGS[child.tag],
                _runs(child),
            )
        else:
            _container_blocks(child, blocks)
        loose = _loose(child.tail)
    _add(blocks, loose_kind, _runs(loose))


def _is_block(element: Any) -> bool:
    """Whether an element is one block: a block element (a quote only when its text is its
    own, not paragraphs), or a code listing (lines, or a table of them)."""
    if element.tag == "quote":
        return element.find("p") is None
    if element.tag == "code":
        return "\n" in "".join(element.itertext()) or any(
            e.tag in _LINE_BREAKS for e in element.iterdescendants()
        )
    return element.tag in _BLOCK_TAGS


def _holds_blocks(element: Any) -> bool:
    """Whether an element holds blocks (then it is a container, not inline text)."""
    return any(e.tag in _BLOCK_TAGS for e in element.iterdescendants())


def _loose(text: str | None) -> Any:
    """A paragraph to gather loose text and inline elements in."""
    paragraph = etree.Element("p")
    paragraph.text = text
    return paragraph


def _add(blocks: list[Block], kind: BlockKind, runs: tuple[Run, ...]) -> None:
    if runs and "".join(r.text for r in runs).strip():
        blocks.append(Block(kind, runs))


def _runs(element: Any) -> tuple[Run, ...]:
    """Text runs of one element: emphasis, inline code and web links kept, all else text."""
    return strip_runs(element_runs(element, _tei_style))


def _tei_style(child: Any, style: RunStyle, href: str | None) -> tuple[RunStyle, str | None, bool]:
    """In trafilatura's XML: hi (bold or italic), code and web links kept; a line break,
    a cell or a nested block a space."""
    tag = child.tag if isinstance(child.tag, str) else ""
    if tag == "hi":
        rend = child.get("rend", "")
        return ("strong" if "#b" in rend else "em" if "#i" in rend else style), href, False
    if tag == "code" and style != "link":
        return "code", href, False
    if tag == "ref":
        target = child.get("target", "")
        return ("link", target, False) if is_web_url(target) else (style, href, False)
    return style, href, tag in _SPACES


def _listing_runs(element: Any) -> tuple[Run, ...]:
    """A code listing's non-empty lines as code runs between line breaks."""
    lines = [clean_whitespace(line).strip() for line in _listing_text(element).splitlines()]
    runs: list[Run] = []
    for line in filter(None, lines):
        runs += [Run("\n", "br"), Run(line, "code")] if runs else [Run(line, "code")]
    return tuple(runs)


def _listing_text(element: Any) -> str:
    """A listing's text with its line breaks (lb elements and table rows) as newlines."""
    parts = [element.text or ""]
    for child in element:
        parts += [
            "\n" if child.tag in _LINE_BREAKS else " " if child.tag in _SPACES else "",
            _listing_text(child),
            child.tail or "",
        ]
    return "".join(parts)
