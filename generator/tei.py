"""trafilatura's extracted article (its XML) as our Blocks and Runs.

Every word trafilatura found must reach a block: its block elements (paragraphs,
headings, list items, quotes, table rows) each make one; a code listing makes one, a line
per line (standing on its own even inside a paragraph); text it left beside its blocks
(the words after a heading with no paragraph of their own, text between two paragraphs)
makes a paragraph of its own; and a sentence its fallback cut in three around a link or an
emphasis is one paragraph again. Only emphasis, inline code and http(s) links are kept of
the markup.
"""

from __future__ import annotations

from copy import deepcopy
from itertools import takewhile
from typing import Any

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
_SENTENCE_ENDS = '.!?:;\u2026"\u201d\u2019\u00bb)]'
_CONTINUING = ",.;:!?)]\u2019\u201d%"  # text that starts so goes on with a sentence
_LINE_BREAKS = ("lb", "row", "tr")  # in a code listing (a table of lines: line numbers beside)
# Between words of a block: a line break, a cell, a block nested in a block (a sub-list)
_SPACES = ("lb", "cell", "td", "th", "list", "table", "div", *_BLOCK_TAGS)


def tei_blocks(body: Any) -> list[Block]:
    """The blocks of trafilatura's article body, in reading order. A body without a single
    block element is no article: it is the bare element of the page (a menu) trafilatura
    hands back when it found none."""
    blocks: list[Block] = []
    if not _holds_blocks(body):
        return blocks
    _container_blocks(deepcopy(body), blocks)  # a copy: paragraphs are rejoined in place
    return blocks


def _container_blocks(container: Any, blocks: list[Block], quoted: bool = False) -> None:
    """The blocks of an element that holds blocks (the body, a list, a table, a quote of
    paragraphs, a division trafilatura kept): its blocks, its listings, the blocks of the
    containers in it, and its loose text and inline elements as paragraphs between them.
    Within a quote, paragraphs are quotes."""
    in_quote = quoted or container.tag == "quote"
    loose_kind: BlockKind = "quote" if in_quote else "paragraph"
    _hoist_listings(container)
    _rejoin_paragraphs(container)
    loose = _loose(container.text)
    for child in list(container):
        if not isinstance(child.tag, str):  # a comment or processing instruction
            _append_text(loose, child.tail)
            continue
        if _is_inline(child):
            loose.append(child)  # inline (emphasis, a link, a line break), tail too
            continue
        _add(blocks, loose_kind, _runs(loose))
        if _is_listing(child):
            _add(blocks, "paragraph", _listing_runs(child))
        elif _is_block(child):
            _add(
                blocks,
                "quote" if in_quote and child.tag in ("p", "quote") else _BLOCK_TAGS[child.tag],
                _runs(child),
            )
        else:
            _container_blocks(child, blocks, in_quote)
        loose = _loose(child.tail)
    _add(blocks, loose_kind, _runs(loose))


def _rejoin_paragraphs(container: Any) -> None:
    """Make one paragraph again of a sentence trafilatura cut around an inline element
    (its fallback does: `<p>... a report by </p><hi>DigiTimes</hi><p>. A preview ...</p>`):
    a paragraph that does not end a sentence takes the inline elements with text after it
    when the text that follows it goes on with the sentence (lower case or punctuation),
    and the paragraph after them when that goes on too."""
    children = [c for c in container if isinstance(c.tag, str)]
    index = 0
    while index < len(children):
        paragraph = children[index]
        index += 1
        if paragraph.tag != "p" or index == len(children):
            continue
        if _ends_sentence(paragraph):
            continue
        inline = list(takewhile(_joins_a_sentence, children[index:]))
        if not inline:
            continue
        rest = children[index + len(inline) :]
        lead, tail = paragraph.tail or "", inline[-1].tail or ""
        following = rest[0] if rest and rest[0].tag == "p" and not tail.strip() else None
        after = following.text if following is not None else tail
        if not "".join("".join(e.itertext()) for e in inline).strip():
            continue  # an image or a line break between paragraphs cuts no sentence
        if not _continues(lead if lead.strip() else after):
            continue
        _append_text(paragraph, _space_before(lead or "".join(inline[0].itertext())) + lead)
        paragraph.tail = None
        paragraph.extend(inline)  # moved, tails and all
        if following is not None and _continues(following.text):
            _append_text(paragraph, _space_before(following.text) + (following.text or ""))
            paragraph.extend(list(following))
            paragraph.tail = following.tail
            container.remove(following)
            rest = rest[1:]
        children[index:] = rest
        index -= 1  # the same paragraph may go on past the next cut


def _joins_a_sentence(element: Any) -> bool:
    """An inline element that may stand inside a cut sentence: not code, which trafilatura
    leaves between paragraphs only where the page displayed it on lines of its own."""
    return element.tag != "code" and _is_inline(element)


def _space_before(text: str | None) -> str:
    """The space trafilatura took out where it cut a paragraph: none before punctuation."""
    return "" if not text or text[0].isspace() or text[0] in _CONTINUING else " "


def _ends_sentence(paragraph: Any) -> bool:
    text = "".join(paragraph.itertext()).rstrip()
    return not text or text[-1] in _SENTENCE_ENDS


def _continues(text: str | None) -> bool:
    """Whether text goes on with a sentence: it starts in lower case or with punctuation."""
    text = (text or "").lstrip()
    return bool(text) and (text[0].islower() or text[0] in _CONTINUING)


def _is_inline(element: Any) -> bool:
    return isinstance(element.tag, str) and not (_is_block(element) or _holds_blocks(element))


def _append_text(element: Any, text: str | None) -> None:
    """Add text at the end of an element's content (after its last child, if any)."""
    if not text:
        return
    if len(element):
        element[-1].tail = (element[-1].tail or "") + text
    else:
        element.text = (element.text or "") + text


def _is_block(element: Any) -> bool:
    """Whether an element is one block: a block element (a quote only when it holds no
    blocks of its own), or a code listing."""
    if element.tag == "quote":
        return not _holds_blocks(element)
    return element.tag in _BLOCK_TAGS or _is_listing(element)


def _is_listing(element: Any) -> bool:
    """A code element of several lines (or a table of them), not code within a sentence."""
    return element.tag == "code" and (
        "\n" in "".join(element.itertext()).strip()
        or any(e.tag in _LINE_BREAKS for e in element.iterdescendants())
    )


def _holds_blocks(element: Any) -> bool:
    """Whether an element holds blocks (then it is a container, not inline text)."""
    return any(e.tag in _BLOCK_TAGS or _is_listing(e) for e in element.iterdescendants())


def _hoist_listings(container: Any) -> None:
    """A code listing inside a paragraph (`<p>Then run:<lb/><code>make\nmake install
    </code></p>`, as trafilatura gives it) stands on its own, between the paragraph's text
    before it and after it."""
    for paragraph in [c for c in container if c.tag == "p"]:
        while (listing := next((c for c in paragraph if _is_listing(c)), None)) is not None:
            rest, listing.tail = _loose(listing.tail), None
            rest.extend(listing.itersiblings())
            rest.tail, paragraph.tail = paragraph.tail, None
            paragraph.addnext(listing)
            listing.addnext(rest)
            paragraph = rest


def _loose(text: str | None) -> Any:
    """A paragraph to gather loose text and inline elements in."""
    from lxml import etree  # imported here: a site without saved pages never needs it

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
