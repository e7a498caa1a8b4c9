"""Citation previews: each quoted passage in the sentence around it in its source, for the
card a citation marker opens (templates/preview.html, static/preview.js).

Made at build time into the page, so a card needs no request. Everything here follows from
what a page's key already holds: the quotes (in its citations) and the cited sources' text
(in their digests), so a card changes only when the page's key does.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .models import Citation, Source
from .resolve import Passage
from .textnorm import split_sentences

# How much of the sentence a card shows on either side of the passage, at most.
CONTEXT_CHARS = 160

_SPACES = re.compile(r"\s+")


@dataclass(frozen=True)
class InContext:
    """A quoted passage as the source has it, with the rest of its sentence around it;
    cut_before and cut_after say that the sentence goes on beyond what is shown."""

    before: str
    passage: str
    after: str
    cut_before: bool = False
    cut_after: bool = False


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence of text, as split_sentences splits it."""
    spans, position = [], 0
    for sentence in split_sentences(text):
        start = text.find(sentence, position)
        spans.append((start, start + len(sentence)))
        position = start + len(sentence)
    return spans


def in_context(text: str, start: int, end: int) -> InContext:
    """text[start:end] with the rest of the sentences it lies in, each side shortened to
    about CONTEXT_CHARS at a word break."""
    spans = sentence_spans(text)
    first = max((s for s, _ in spans if s <= start), default=0)
    last = min((e for _, e in spans if e >= end), default=len(text))
    before, after = text[first:start], text[end:last]
    cut_before = len(before) > CONTEXT_CHARS
    if cut_before:
        before = before[-CONTEXT_CHARS:].split(" ", 1)[-1]
    cut_after = len(after) > CONTEXT_CHARS
    if cut_after:
        after = after[:CONTEXT_CHARS].rsplit(" ", 1)[0]
    return InContext(
        _one_line(before), _one_line(text[start:end]), _one_line(after), cut_before, cut_after
    )


def _one_line(text: str) -> str:
    """Line breaks and runs of spaces as one space (the spaces at either end matter: they
    part the passage from the words around it)."""
    return _SPACES.sub(" ", text)


def quote_contexts(
    citations: tuple[Citation, ...], passages: dict[str, Passage], sources: dict[str, Source]
) -> dict[str, InContext]:
    """Each passage the citations quote, by passage id, in its context. passages: every
    passage of the site by id."""
    found: dict[str, InContext] = {}
    for citation in citations:
        pid = citation.passage_id
        if pid and pid not in found and pid in passages:
            passage = passages[pid]
            text = sources[passage.source_id].article.blocks[passage.block].text
            found[pid] = in_context(text, passage.start, passage.end)
    return found
