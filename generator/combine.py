"""Rules that keep trafilatura's article whole, on pages nobody tuned the code on.

trafilatura (in precision mode) gives the article's blocks; the tidy rules (extract.py)
then cut page furniture. Four general rules, measured by cross-validation in
bench/extraction.py, work on what that keeps:

- link lists: a short block (at most `link_max_words` words) of which `link_share` or more
  is link text is a list of related links or tags, not the article's prose;
- the guard: when the link-list rule and the line-pattern tidying together would remove
  more than `guard_share` (a small share) of the words trafilatura found, they are wrong
  about this page, and trafilatura's blocks are kept. A tail of teaser excerpts is cut
  after the guard: its evidence is the contrast between the tail and the text above it
  (extract.cut_teaser_tail), and it may rightly be most of what was found;
- the default mode: when trafilatura's precision mode finds nothing or lacks more than
  `mode_share` of the text its default mode finds (its distinct word 4-shingles: a block
  the default mode repeats is not text lost), the default mode's article is taken;
- embedded posts (a `twitter-tweet` block quote) standing inside the article are part of
  it, as a reader sees it; trafilatura drops most of them;
- the continuation: when readability-lxml's article holds nearly all of trafilatura's
  (90% of its word 4-shingles) and is `continuation_ratio` times as long, trafilatura
  found only part of the article (a story split into several bodies), and readability's
  prose paragraphs after the last one the two share, and between shared ones, are added
  where they stand, unless the article has them already. Prose: a paragraph (or a block
  quote) of at least `continuation_min_words` words, mostly not links, ending in a full
  stop (not an ellipsis: a teaser), not page furniture.

(Filling in every paragraph readability-lxml found and trafilatura missed was tried too:
it won on the pages it was tuned on but not under cross-validation, so it is not here.)
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import takewhile
from typing import Any

from .models import Block, BlockKind, Run, RunStyle
from .textnorm import clean_whitespace
from .urls import is_web_url

_INVISIBLE = ("script", "style", "noscript", "template")
# readability-lxml's block elements, as our blocks' kinds
_READABILITY_KINDS: dict[str, BlockKind] = {
    "p": "paragraph",
    "pre": "paragraph",
    "td": "paragraph",
    "dd": "paragraph",
    "dt": "paragraph",
    "li": "list_item",
    "blockquote": "quote",
    **{f"h{level}": "heading" for level in range(1, 7)},
}
_SENTENCE_END = re.compile(r"[.!?\"\u201d\u2019\u00bb]$")
TRAILING_OFF = re.compile(r"(\u2026|\.\.\.|\[\u2026\]|\[\.\.\.\])\s*$")
_HOLDS = 0.9  # the share of trafilatura's text readability's must hold to continue it
_ANCHOR_SHINGLES = 3  # a paragraph with fewer shingles is too short to say where it stands
_SEEN = 0.5  # a paragraph with more of its shingles in the article already is no new text
_TWEETS = '//blockquote[contains(concat(" ", normalize-space(@class), " "), " twitter-tweet ")]'


@dataclass(frozen=True)
class CombineSettings:
    """The rules' settings; the defaults are what bench/extraction.py's cross-validation
    chose on all 52 development pages (see the README's extraction table)."""

    guard_share: float = 0.35
    embedded_posts: bool = True
    link_share: float = 0.5  # above 1: the link-list rule is off
    link_max_words: int = 40
    mode_share: float = 0.5  # precision mode may lack this share of the default mode's text
    continuation_ratio: float = 1.3  # readability's article this many times as long; 0: off
    continuation_min_words: int = 10


@dataclass(frozen=True)
class EmbeddedPosts:
    """A page's embedded posts, and its visible text without spaces (to find where a
    block stands)."""

    posts: tuple[Block, ...]
    page_text: str


def shingles(text: str) -> Counter[tuple[str, ...]]:
    """Word 4-shingles, as the extraction benchmark counts them."""
    tokens = re.findall(r"\w+", text)
    if len(tokens) < 4:
        return Counter([tuple(tokens)]) if tokens else Counter()
    return Counter(tuple(tokens[i : i + 4]) for i in range(len(tokens) - 3))


def covered(text: str, found: Counter[tuple[str, ...]]) -> float:
    """The share of text's shingles that are in found (1.0 for a text without words)."""
    own = shingles(text)
    total = sum(own.values())
    return sum((own & found).values()) / total if total else 1.0


def words(blocks: Iterable[Block]) -> int:
    return sum(len(b.text.split()) for b in blocks)


# A child element's style and link given its parent's, and whether it stands for a space.
StyleOf = Callable[[Any, RunStyle, str | None], tuple[RunStyle, str | None, bool]]


def element_runs(element: Any, style_of: StyleOf) -> list[Run]:
    """The text of an lxml element and all below it, as runs of one style and link each
    (whitespace cleaned, neighbours of the same style joined)."""
    runs: list[Run] = []

    def add(text: str | None, style: RunStyle, href: str | None) -> None:
        if not text:
            return
        text = clean_whitespace(text)
        if runs and (runs[-1].style, runs[-1].href) == (style, href):
            runs[-1] = Run(runs[-1].text + text, style, href)
        else:
            runs.append(Run(text, style, href))

    def walk(node: Any, style: RunStyle, href: str | None) -> None:
        if isinstance(node.tag, str):  # a comment's or a processing instruction's text is none
            add(node.text, style, href)
        for child in node:
            child_style, child_href, space = style_of(child, style, href)
            if space:
                add(" ", style, href)
            walk(child, child_style, child_href)
            add(child.tail, style, href)

    walk(element, "", None)
    return runs


def _html_style(child: Any, style: RunStyle, href: str | None) -> tuple[RunStyle, str | None, bool]:
    """In a page's HTML: emphasis and web links kept, a line break a space."""
    tag = child.tag if isinstance(child.tag, str) else ""
    if tag in ("em", "i"):
        return "em", href, False
    if tag in ("strong", "b"):
        return "strong", href, False
    if tag == "a" and is_web_url(child.get("href", "")):
        return "link", child.get("href"), False
    return style, href, tag == "br"


def _element_runs(element: Any) -> tuple[Run, ...]:
    """Text runs of an HTML element: emphasis and web links kept, all else as text."""
    return strip_runs(element_runs(element, _html_style))


def strip_runs(runs: list[Run]) -> tuple[Run, ...]:
    """Collapse spaces across runs and trim the ends."""
    out: list[Run] = []
    for run in runs:
        text = re.sub(r"\s+", " ", run.text)
        if out and out[-1].text.endswith(" ") and text.startswith(" "):
            text = text[1:]
        if text:
            out.append(Run(text, run.style, run.href))
    if out:
        out[0] = Run(out[0].text.lstrip(), out[0].style, out[0].href)
        out[-1] = Run(out[-1].text.rstrip(), out[-1].style, out[-1].href)
    return tuple(r for r in out if r.text)


def embedded_posts(html: str) -> EmbeddedPosts:
    """The page's embedded posts (as quotes) and its visible text."""
    import lxml.html

    try:
        tree = lxml.html.document_fromstring(html)
    except Exception:  # lxml raises several kinds on junk: such a page has no posts
        return EmbeddedPosts((), "")
    for element in tree.iter(*_INVISIBLE):
        element.drop_tree()
    page_text = "".join(tree.text_content().split())  # spaceless: see _position
    posts = tuple(Block("quote", runs) for runs in map(_element_runs, tree.xpath(_TWEETS)) if runs)
    return EmbeddedPosts(posts, page_text)


def drop_link_lists(
    blocks: list[Block], share: float, max_words: int
) -> tuple[list[Block], list[str]]:
    """Drop short blocks that are mostly link text (related links, tag lists): a block of
    at most max_words words of which at least share are in links."""
    kept: list[Block] = []
    removed: list[str] = []
    for block in blocks:
        total = len(block.text.split())
        linked = sum(len(r.text.split()) for r in block.runs if r.href)
        if block.kind != "quote" and 0 < total <= max_words and linked >= share * total:
            removed.append(block.text)
        else:
            kept.append(block)
    return kept, removed


@lru_cache(maxsize=256)  # the benchmark combines each reading under many settings
def lost_share(found: tuple[Block, ...], kept: tuple[Block, ...]) -> float:
    """The share of found's distinct text (word 4-shingles) that kept lacks."""
    had = set(shingles("\n".join(b.text for b in found)))
    has = set(shingles("\n".join(b.text for b in kept)))
    return len(had - has) / len(had) if had else 0.0


def guarded(extracted: list[Block], kept: list[Block], share: float) -> bool:
    """Whether kept lost more than `share` of the words extracted had (then the rules that
    made it are wrong about this page, and extracted stands)."""
    total = words(extracted)
    return bool(total) and total - words(kept) > share * total


def add_posts(blocks: list[Block], posts: Sequence[Block], page_text: str) -> list[Block]:
    """Embedded posts that stand between the article's first and last block, where they
    stand, unless the article already holds them."""
    if not posts or not blocks:
        return blocks
    starts = [_position(b.text, page_text) for b in blocks]
    known = [s for s in starts if s is not None]
    if len(known) < 2:
        return blocks
    found = shingles("\n".join(b.text for b in blocks))
    after: dict[int, list[Block]] = {}
    for post in posts:
        where = _position(post.text, page_text)
        if where is None or not min(known) < where < max(known) or covered(post.text, found) >= 0.5:
            continue
        index = max(i for i, s in enumerate(starts) if s is not None and s < where)
        after.setdefault(index, []).append(post)
    result: list[Block] = []
    for index, block in enumerate(blocks):
        result.append(block)
        result.extend(after.get(index, []))
    return result


def _position(text: str, page_text: str) -> int | None:
    """Where text starts in the page's visible text (its first words), if it is found.
    Both without spaces: where a line break stood, one has a space and the other none."""
    key = "".join(text.split())[:60]
    where = page_text.find(key) if key else -1
    return where if where >= 0 else None


def readability_blocks(html: str) -> tuple[Block, ...]:
    """readability-lxml's article as blocks (each innermost block element one; emphasis
    and web links kept): a second reading of the page, to continue trafilatura's."""
    import lxml.html
    from readability import Document

    try:
        summary = Document(html).summary(html_partial=True)
        root = lxml.html.fragment_fromstring(summary, create_parent="div")
    except Exception:  # readability and lxml raise several kinds on junk: no second reading
        return ()
    blocks = []
    for element in root.iter(*_READABILITY_KINDS):
        if next(element.iterdescendants(*_READABILITY_KINDS), None) is None:
            runs = _element_runs(element)
            quoted = next(element.iterancestors("blockquote"), None) is not None
            if runs:
                blocks.append(Block("quote" if quoted else _READABILITY_KINDS[element.tag], runs))
    return tuple(blocks)


def continue_article(
    blocks: list[Block], second: Sequence[Block], is_prose: Callable[[Block], bool], ratio: float
) -> list[Block]:
    """blocks with the prose paragraphs of a second reading that holds nearly all of them
    and is `ratio` times as long: those after the last paragraph the two share, up to the
    first that is not prose, and those between shared ones, each after the block of ours
    that holds the shared paragraph before it. Text already in ours, or added before, is
    not added again."""
    if not ratio or not blocks or words(second) < ratio * words(blocks):
        return blocks
    anchors = _anchors(tuple(blocks), tuple(second))
    if not anchors:
        return blocks
    first, last = min(anchors), max(anchors)
    gaps = {i for i in range(first, last) if i not in anchors and is_prose(second[i])}
    tail = takewhile(lambda i: is_prose(second[i]), range(last + 1, len(second)))
    wanted = gaps.union(tail)
    seen = set(_block_shingles(blocks))
    after: dict[int, list[Block]] = {}
    anchor = first
    for index in range(first, len(second)):
        if index in anchors:
            anchor = index
        elif index in wanted:
            own = set(shingles(second[index].text))
            if len(own & seen) <= _SEEN * len(own):  # else ours has it, or it came already
                seen |= own
                after.setdefault(anchors[anchor], []).append(second[index])
    return [b for index, block in enumerate(blocks) for b in (block, *after.get(index, []))]


@lru_cache(maxsize=256)  # the benchmark combines each reading under many settings
def _anchors(blocks: tuple[Block, ...], second: tuple[Block, ...]) -> dict[int, int]:
    """The paragraphs of the second reading that blocks hold, as {its index: the index of
    the block of ours that holds it}, in the same order in both (the longest such chain: a
    heading that matches a quote further down is no anchor); nothing when the second
    reading holds less than `_HOLDS` of blocks' text (then it is another text). Shingles
    are counted within blocks; a paragraph with fewer than `_ANCHOR_SHINGLES` of them (a
    subheading, a short line) is held only by a block with the very same words, and one
    without words (a separator) anchors nothing."""
    ours = _block_shingles(blocks)
    total = sum(ours.values())
    if not total or sum((ours & _block_shingles(second)).values()) < _HOLDS * total:
        return {}
    where: dict[tuple[str, ...], list[int]] = {}
    short: dict[str, int] = {}  # a short block's words: the first block that has them
    for index, block in enumerate(blocks):
        own = set(shingles(block.text))
        for shingle in own:
            where.setdefault(shingle, []).append(index)
        if own and len(own) < _ANCHOR_SHINGLES:
            short.setdefault(_words_of(block.text), index)
    matches = []
    for index, paragraph in enumerate(second):
        own = set(shingles(paragraph.text))
        if own and len(own) < _ANCHOR_SHINGLES:
            holder = short.get(_words_of(paragraph.text))
            if holder is not None:
                matches.append((index, holder))
            continue
        votes = Counter(k for shingle in own for k in where.get(shingle, ()))
        if votes:
            holder, count = min(votes.items(), key=lambda item: (-item[1], item[0]))
            if 2 * count >= len(own):
                matches.append((index, holder))
    return dict(_in_order(matches))


def _words_of(text: str) -> str:
    """A text's words, case-folded: the same short line in both readings."""
    return " ".join(re.findall(r"\w+", text)).casefold()


def _in_order(matches: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The longest chain of (paragraph, block) matches whose blocks go forward (one
    paragraph per block: a line repeated all over the page cannot outvote the text)."""
    ends: list[int] = []  # ends[n]: the smallest block that ends a chain of n + 1 matches
    chain_end: list[int] = []  # the match (its position) that ends that chain
    previous: list[int | None] = []  # for each match, the one before it in its chain
    for position, (_, block) in enumerate(matches):
        n = bisect_left(ends, block)
        previous.append(chain_end[n - 1] if n else None)
        if n == len(ends):
            ends.append(block)
            chain_end.append(position)
        else:
            ends[n], chain_end[n] = block, position
    chain: list[tuple[int, int]] = []
    step = chain_end[-1] if chain_end else None
    while step is not None:
        chain.append(matches[step])
        step = previous[step]
    return chain[::-1]


def _block_shingles(blocks: Iterable[Block]) -> Counter[tuple[str, ...]]:
    counts: Counter[tuple[str, ...]] = Counter()
    for block in blocks:
        counts.update(shingles(block.text))
    return counts


def is_prose(block: Block, min_words: int, is_furniture: Callable[[str], bool]) -> bool:
    """A paragraph (or a block quote) of running text: long enough, mostly not links,
    ending in a full stop (not trailing off, as a teaser's excerpt does), not furniture."""
    text = block.text.strip()
    total = len(text.split())
    linked = sum(len(r.text.split()) for r in block.runs if r.href)
    return (
        block.kind in ("paragraph", "quote")
        and total >= min_words
        and 2 * linked <= total
        and bool(_SENTENCE_END.search(text))
        and not TRAILING_OFF.search(text)
        and not is_furniture(text)
    )
