"""Who says what on a topic page: the sources it draws on grouped by kind and outlet, with
how often each is cited, and the sections (h2) that rest on a single source or on opinion
and editorial sources alone (templates/coverage.html).

Made only from the page's own citations. Everything here follows from what the topic's
key already holds (its rendering, its citations and the digests of the sources cited), so
the panel changes only when that key does.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from html import unescape

from .models import OPINION_KINDS, SOURCE_KINDS, Source
from .resolve import CitedSource

# The topic template's Timeline section (topic.html): its events' citations belong to it.
TIMELINE_SECTION = ("timeline-heading", "Timeline")


@dataclass(frozen=True)
class SourceShare:
    """One cited source: its number in the Sources list and how often the page cites it."""

    number: int
    source: Source
    citations: int


@dataclass(frozen=True)
class OutletGroup:
    outlet: str | None  # None: the outlet is not known
    sources: tuple[SourceShare, ...]

    @property
    def citations(self) -> int:
        return sum(s.citations for s in self.sources)


@dataclass(frozen=True)
class KindGroup:
    kind: str
    outlets: tuple[OutletGroup, ...]

    @property
    def citations(self) -> int:
        return sum(o.citations for o in self.outlets)

    @property
    def sources(self) -> int:
        return sum(len(o.sources) for o in self.outlets)


@dataclass(frozen=True)
class SectionNote:
    """A section that rests on one source, or on opinion and editorial sources alone."""

    section_id: str
    title: str
    sources: tuple[SourceShare, ...]

    @property
    def single(self) -> bool:
        return len(self.sources) == 1

    @property
    def opinion_only(self) -> bool:
        return all(s.source.kind in OPINION_KINDS for s in self.sources)


@dataclass(frozen=True)
class Coverage:
    kinds: tuple[KindGroup, ...]
    notes: tuple[SectionNote, ...]

    @property
    def citations(self) -> int:
        return sum(k.citations for k in self.kinds)

    @property
    def sources(self) -> int:
        return sum(k.sources for k in self.kinds)


def coverage(cited: list[CitedSource], body_html: str, events_html: list[str]) -> Coverage:
    """The panel of a page: its Sources list (cited), read with its body's HTML and its
    timeline events' HTML for the section each marker is in."""
    shares = [SourceShare(e.number, e.source, len(e.citations)) for e in cited]
    sections = marker_sections(body_html, events_html)
    by_marker = {
        c.marker_id: share for share, e in zip(shares, cited, strict=True) for c in e.citations
    }
    return Coverage(_by_kind(shares), _notes(sections, by_marker))


def _by_kind(shares: list[SourceShare]) -> tuple[KindGroup, ...]:
    """Kinds in SOURCE_KINDS order; outlets and sources most cited first (unknown outlet
    last), ties by the Sources list's order."""
    groups = []
    for kind in sorted({s.source.kind for s in shares}, key=_kind_order):
        outlets: dict[str | None, list[SourceShare]] = {}
        for share in sorted(shares, key=lambda s: (-s.citations, s.number)):
            if share.source.kind == kind:
                outlets.setdefault(share.source.outlet, []).append(share)
        ordered = sorted(
            (OutletGroup(name, tuple(found)) for name, found in outlets.items()),
            key=lambda o: (o.outlet is None, -o.citations, o.sources[0].number),
        )
        groups.append(KindGroup(kind, tuple(ordered)))
    return tuple(groups)


def _kind_order(kind: str) -> tuple[int, str]:
    return (SOURCE_KINDS.index(kind) if kind in SOURCE_KINDS else len(SOURCE_KINDS), kind)


def _notes(
    sections: list[tuple[str, str, list[str]]], by_marker: dict[str, SourceShare]
) -> tuple[SectionNote, ...]:
    """A note for each section whose citations come from one source, or from opinion and
    editorial sources only; each source with how often the section cites it."""
    notes = []
    for section_id, title, markers in sections:
        counts = Counter(by_marker[m].number for m in markers if m in by_marker)
        shares = {by_marker[m].number: by_marker[m] for m in markers if m in by_marker}
        cited = tuple(SourceShare(n, shares[n].source, counts[n]) for n in sorted(counts))
        note = SectionNote(section_id, title, cited)
        if cited and (note.single or note.opinion_only):
            notes.append(note)
    return tuple(notes)


def marker_sections(body_html: str, events_html: list[str]) -> list[tuple[str, str, list[str]]]:
    """Each h2 section of a page (id, title, the ids of the citation markers in it), in
    order; the markers before the first h2 are in no section; the events' markers are in
    the Timeline section. Read from our own rendered Markdown, whose shape we know (a
    regular expression over it was ten times faster than an HTML parser)."""
    sections: list[tuple[str, str, list[str]]] = []
    for found in _SECTION_PARTS.finditer(body_html):
        heading_id, inside, marker = found.groups()
        if heading_id is not None:
            sections.append((heading_id, _text(inside), _MARKER_ID_ATTR.findall(inside)))
        elif sections:
            sections[-1][2].append(marker)
    if events_html:
        section_id, title = TIMELINE_SECTION
        sections.append((section_id, title, _MARKER_ID_ATTR.findall("".join(events_html))))
    return sections


# An h2 (its id and what is inside it), or a citation marker's id (a marker merged into
# another keeps its id on an empty span beside it).
_SECTION_PARTS = re.compile(r'<h2\b[^>]*?\bid="([^"]*)"[^>]*>(.*?)</h2>|\bid="(cite-\d+)"', re.S)
_MARKER_ID_ATTR = re.compile(r'\bid="(cite-\d+)"')
_MARKERS = re.compile(r'<sup class="cite\b.*?</sup>', re.S)
_TAG = re.compile(r"<[^>]*>")


def _text(html: str) -> str:
    """A heading's words, without its citation markers."""
    return " ".join(unescape(_TAG.sub("", _MARKERS.sub("", html))).split())
