"""The editor's report reads a briefing as claims: each paragraph and list item of a page,
and each timeline event, split into sentences, each sentence with the citation markers
that belong to it. The rules (rules.py) judge these; nothing here judges.

Sentence splitting is a general rule, not a language model. A sentence ends at ".", "!"
or "?" (closing quotes, brackets and citation markers may follow the stop) when white
space and a capital letter, a digit, an opening quote or bracket, or a marker come next;
a stop after an abbreviation ("U.S.", "Feb.", an initial such as "J.") is not an end.
A marker belongs to the sentence it stands in; a marker that opens a sentence (written
after the previous sentence's stop, "... said. [@a]") belongs to the sentence before it.
Headings and table cells are not claims; a footnote's paragraphs and a block quote's are.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property
from typing import Literal

from markdown_it import MarkdownIt
from markdown_it.token import Token

from ..models import Event, Page, Source
from ..textnorm import passage_id

ClaimKind = Literal["paragraph", "list item", "event"]

MAX_ABBREVIATION = 12  # characters looked back for the word a stop ends
MARKER = "\ue000"  # stands for a citation marker in a sentence's text while it is split
ABBREVIATIONS = frozenset(
    "u.s. u.k. u.n. e.u. mr. mrs. ms. dr. prof. st. no. vs. etc. e.g. i.e. cf. gen. col. "
    "sen. rep. gov. jan. feb. mar. apr. jun. jul. aug. sep. sept. oct. nov. dec.".split()
)
_STOP = re.compile(
    r"[.!?]+[\"'\u201d\u2019)\]]*" + MARKER + r"*(?=\s+[\"'\u201c\u2018(\[]*[A-Z0-9" + MARKER + "])"
)
_SPACE_BEFORE_STOP = re.compile(r" ([.,;:!?])")
_INITIAL = re.compile(r"^[(\"'\u201c\u2018]*[A-Z]\.$")


@dataclass(frozen=True)
class Cited:
    """One source cited in a marker, with the quote it gives (if any)."""

    source: Source
    quote: str | None
    group: int = 0  # which `[@...]` of its block it was written in

    @property
    def passage_id(self) -> str | None:
        return passage_id(self.source.id, self.quote) if self.quote else None


@dataclass(frozen=True)
class Sentence:
    """A sentence of a claim: its text without markers, where it starts, and its markers
    (each the sources one `[@...]` cites, in order)."""

    text: str
    line: int | None
    markers: tuple[tuple[Cited, ...], ...]

    @property
    def cited(self) -> tuple[Cited, ...]:
        return tuple(c for marker in self.markers for c in marker)

    @property
    def sources(self) -> tuple[Source, ...]:
        """The distinct sources the sentence cites, in order."""
        return tuple({c.source.id: c.source for c in self.cited}.values())


@dataclass(frozen=True)
class Claim:
    """A paragraph, list item or timeline event: what an editor checks as one unit."""

    kind: ClaimKind
    page: Page | None  # None for a timeline event
    file: str
    line: int | None
    sentences: tuple[Sentence, ...]
    event: Event | None = None

    @cached_property
    def sources(self) -> tuple[Source, ...]:
        """The distinct sources the claim cites (once: rules ask for each sentence)."""
        return tuple({s.id: s for sentence in self.sentences for s in sentence.sources}.values())


def page_claims(md: MarkdownIt, page: Page, sources: dict[str, Source]) -> Iterator[Claim]:
    """The paragraphs and list items of a page's Markdown, in reading order."""
    parents: list[str] = []
    for token in md.parse(page.body, {}):
        if token.nesting == 1:
            parents.append(token.type)
        elif token.nesting == -1:
            parents.pop()
        elif token.type == "inline" and parents and parents[-1] == "paragraph_open":
            line = page.body_line + token.map[0] if token.map else None
            kind: ClaimKind = "list item" if "list_item_open" in parents[-2:] else "paragraph"
            sentences = split_claim(token.children or [], line, sources)
            yield Claim(kind, page, page.path, line, sentences)


def event_claim(md: MarkdownIt, event: Event, sources: dict[str, Source]) -> Claim:
    """A timeline event as a claim (its text is folded YAML: every sentence is on its line)."""
    children = [c for token in md.parseInline(event.text, {}) for c in token.children or []]
    sentences = tuple(
        Sentence(s.text, event.line, s.markers) for s in split_claim(children, None, sources)
    )
    return Claim("event", None, "content/timeline.yaml", event.line, sentences, event)


def split_claim(
    children: list[Token], line: int | None, sources: dict[str, Source]
) -> tuple[Sentence, ...]:
    """A block's inline tokens as sentences, each with the markers that belong to it."""
    text, markers = _flatten(children, sources)
    pieces: list[tuple[str, int]] = []  # (text with markers, offset in the block)
    start = 0
    for stop in _STOP.finditer(text):
        if _is_abbreviation(text, stop.start()):
            continue
        pieces.append((text[start : stop.end()], start))
        start = stop.end()
    pieces.append((text[start:], start))
    found: list[Sentence] = []
    taken = 0
    lines_before, counted = 0, 0  # newlines in text[:counted]
    for piece, offset in pieces:
        moved = _leading_markers(piece) if found else 0
        if moved:  # "... said. [@a] Next": [@a] closes the sentence before
            last = found.pop()
            closing = tuple(markers[taken : taken + moved])
            found.append(Sentence(last.text, last.line, last.markers + closing))
            taken += moved
        count = piece.count(MARKER) - moved
        own = tuple(markers[taken : taken + count])
        taken += count
        words = _SPACE_BEFORE_STOP.sub(r"\1", " ".join(piece.replace(MARKER, " ").split()))
        if words or own:
            begins = offset + len(piece) - len(piece.lstrip(" \n" + MARKER))
            lines_before += text.count("\n", counted, begins)
            counted = begins
            at = line + lines_before if line is not None else None
            found.append(Sentence(words, at, own))
    return tuple(found)


def _leading_markers(piece: str) -> int:
    """How many markers open the piece, before its first word."""
    head = piece[: len(piece) - len(piece.lstrip(" \n" + MARKER))]
    return head.count(MARKER)


def _is_abbreviation(text: str, stop: int) -> bool:
    """The stop at text[stop] ends an abbreviation or an initial, not a sentence. (The word
    is looked for in the few characters before the stop: a search from the block's start
    at each stop was quadratic in a long paragraph.)"""
    tail = text[max(0, stop - MAX_ABBREVIATION) : stop + 1]
    word = tail.replace("\n", " ").replace(MARKER, " ").rsplit(" ", 1)[-1]
    word = word.lstrip("(\"'\u201c\u2018")
    return word.casefold() in ABBREVIATIONS or bool(_INITIAL.match(word))


def _flatten(
    children: list[Token], sources: dict[str, Source]
) -> tuple[str, list[tuple[Cited, ...]]]:
    """A block's text, with MARKER where each citation stands, and the markers in order.
    Line breaks are kept as newlines (for line numbers); links keep their text. Citations
    side by side (`[@a "x"] [@a "y"]`) are one marker, as a reader sees them; each cited
    item keeps the number of the `[@...]` it was written in (its group)."""
    parts: list[str] = []
    markers: list[tuple[Cited, ...]] = []
    groups, since_marker = 0, None  # the text since the last citation (None: none yet)
    for token in children:
        if token.type in ("text", "code_inline"):
            parts.append(token.content)
        elif token.type in ("softbreak", "hardbreak"):
            parts.append("\n")
        elif token.type == "wikilink":
            parts.append(token.meta["label"])
        if token.type == "citation":
            groups += 1
            items = tuple(
                Cited(sources[item.key], item.quote, groups)
                for item in token.meta["items"]
                if item.key in sources
            )
            if since_marker is not None and not "".join(parts[since_marker:]).strip():
                markers[-1] += items
            else:
                parts.append(MARKER)
                markers.append(items)
            since_marker = len(parts)
    return "".join(parts), markers
