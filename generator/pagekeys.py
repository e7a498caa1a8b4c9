"""Page keys: a hash of everything a page is rendered from. A rebuild keeps the last
build's file for a page whose key is unchanged, so a key must cover all that the page's
template is given, and nothing else (or pages are rendered again for nothing).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from .models import Page, PageLink, Site, Source, Tag
from .pagination import Pagination
from .resolve import CitedSource, Linked, Passage

T = TypeVar("T")


def key_of(value: object) -> str:
    """A hash of value's repr(), which depends only on values (pickle's output also depends
    on which equal objects happen to be shared, e.g. after loading from the cache): the
    keys that decide what a rebuild may reuse."""
    return hashlib.sha256(repr(value).encode()).hexdigest()


class SlotKeys:
    """Keys of values by slot (an output's path, a source's page, a page's digest), each
    taken from the last round's value in the slot when it is equal: serve plans the same
    site again and again, and comparing a value with the last one is cheaper than its repr
    and hash (a third of planning a rebuild at 1,000 sources). Values are built of str,
    int, None, tuples, lists and frozen dataclasses of them, for which equal values have
    equal reprs."""

    def __init__(self) -> None:
        self._last: dict[object, tuple[object, Any]] = {}
        self._now: dict[object, tuple[object, Any]] = {}

    def made(self, slot: object, made_from: object, make: Callable[..., T], *args: Any) -> T:
        """make(*args), or what it made in the slot last round if that was from equal
        values (the plan's outputs of a source or topic shown as it was)."""
        last = self._last.get(slot)
        made = last[1] if last is not None and last[0] == made_from else make(*args)
        self._now[slot] = (made_from, made)
        return made

    def key(self, slot: object, value: object) -> str:
        """key_of(value), taken from the last round's value in the slot if it is equal."""
        return self.made(slot, value, key_of, value)

    def last_key(self, slot: object) -> str | None:
        last = self._last.get(slot)
        return None if last is None else last[1]

    def keep(self, slot: object) -> str:
        """The last round's key of the slot, kept for this round (its value is known to be
        unchanged)."""
        self._now[slot] = self._last[slot]
        return self._last[slot][1]

    def new_round(self) -> None:
        """Start a round: the values of the last one are compared, older ones let go."""
        self._last, self._now = self._now, {}


PLAN_KEYS = SlotKeys()  # the keys of the outputs and what they are made from
MARKDOWN_KEYS = SlotKeys()  # the keys of each Markdown page's rendering (checks.py)


def key_in_slot(slot: tuple[str, str], value: object) -> str:
    """A plan's key of value in slot (see SlotKeys)."""
    return PLAN_KEYS.key(slot, value)


@dataclass
class PageKeys:
    """The keys of one build's pages.

    shared stands for what every page shows (theme, generator code, settings, navigation,
    site date, search); sources and pages stand in keys for their digests, made once: the
    repr of every article was a second of each rebuild at 10,000 sources, and repeating
    every linking topic's text in each topic's key cost more than rendering the topics.
    """

    shared: str
    linked: Linked
    source_digests: dict[str, str]
    _page_digests: dict[str, str] = field(default_factory=dict)
    _link_digests: dict[str, str] = field(default_factory=dict)

    @classmethod
    def make(cls, site: Site, linked: Linked, shared: tuple[Any, ...]) -> PageKeys:
        """shared: everything all pages are rendered from."""
        digests = {source.id: source.digest for source in site.sources}
        PLAN_KEYS.new_round()
        return cls(key_of(shared), linked, digests)

    def page_digest(self, page: Page) -> str:
        if page.path not in self._page_digests:
            self._page_digests[page.path] = key_in_slot(("page", page.path), page)
        return self._page_digests[page.path]

    def link_digest(self, page: Page) -> str:
        """What a list of links (related topics, pages linking here) shows of page: its
        PageLink, all but its Markdown text."""
        if page.path not in self._link_digests:
            slot = ("link", page.path)
            self._link_digests[page.path] = key_in_slot(slot, PageLink.of(page))
        return self._link_digests[page.path]

    def keyed(self, path: str, template: str, shown: object) -> str:
        """The key of the page at path, rendered with template from shown (what it shows)."""
        return key_in_slot(("output", path), (self.shared, template, shown))

    def source(self, source: Source, passages: list[Passage], tags: list[Tag]) -> tuple[str, str]:
        """The keys of everything source.html and original.html are rendered from (not
        the raw bytes themselves: their hash stands for them), and of the searchable part
        of the page: not the pages citing it (Pagefind ignores those lists), but the
        passages, whose ids it records. The second is made of parts of the first, so it
        is the last plan's when the first is."""
        named = [(t.slug, t.name) for t in tags]
        spans = [(p.id, p.block, p.start, p.end) for p in passages]
        citing = [
            [(c.page.title, c.page.url_path, c.marker_id) for c in p.citing] for p in passages
        ]
        cited = [(p.title, p.url_path, n) for p, n in self.linked.cited_in.get(source.id, [])]
        searched = (self.shared, self.source_digests[source.id], source.raw_sha256, named, spans)
        slot, search_slot = ("source", source.id), ("search", source.id)
        last = PLAN_KEYS.last_key(slot)
        key = PLAN_KEYS.key(slot, (searched, cited, citing))
        if key == last and PLAN_KEYS.last_key(search_slot) is not None:
            return key, PLAN_KEYS.keep(search_slot)
        return key, PLAN_KEYS.key(search_slot, searched)

    def topic_shows(
        self,
        topic: Page,
        tags: list[Tag],
        cited: list[CitedSource],
        backlinks: list[Page],
        related: list[Page],
    ) -> tuple[Any, ...]:
        """What topic.html shows of a topic: its page, rendering, tags, sources cited (by
        number and digest), the pages linking to it and related topics. (Its Who says what
        panel and citation previews are made from its rendering and cited sources alone.)"""
        rendered = self.linked.rendered[topic.path]
        return (
            self.page_digest(topic),
            rendered.html,
            rendered.events,
            [(t.slug, t.name) for t in tags],
            self.cited_shows(cited),
            [self.link_digest(p) for p in backlinks],
            [self.link_digest(p) for p in related],
        )

    def cited_shows(self, cited: list[CitedSource]) -> list[Any]:
        """What a page's Sources list shows: each source (by digest) and its citations."""
        return [
            (
                entry.number,
                self.source_digests[entry.source.id],
                [
                    (c.marker_id, c.number, c.quote, c.passage_id, c.source_id)
                    for c in entry.citations
                ],
            )
            for entry in cited
        ]

    def markdown_shows(self, page: Page, cited: list[CitedSource]) -> tuple[Any, ...]:
        """What a page showing a Markdown page (home, plain page, timeline) shows of it:
        the page, its rendering (and timeline events) and its Sources list."""
        rendered = self.linked.rendered[page.path]
        return (self.page_digest(page), rendered.html, rendered.events, self.cited_shows(cited))

    def sources_list_shows(
        self, listing: Pagination[Source], cited_in: dict[str, list[tuple[Page, int]]]
    ) -> tuple[Any, ...]:
        """What a page of sources.html shows: its sources (by digest), the pages citing
        each and how often, and where it is among the pages."""
        return (
            [self.source_digests[s.id] for s in listing.items],
            [[(p.title, p.url_path, n) for p, n in cited_in.get(s.id, [])] for s in listing.items],
            listing.shown(),
        )

    def tag_shows(self, tag: Tag, as_links: bool = False) -> tuple[Any, ...]:
        """What a page shows of a tag: its name, its topics (whole, or as PageLinks on the
        tag's own pages) and its sources."""
        digest = self.link_digest if as_links else self.page_digest
        return (
            tag.slug,
            tag.name,
            [digest(t) for t in tag.topics],
            [self.source_digests[s.id] for s in tag.sources],
        )
