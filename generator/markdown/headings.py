"""Heading ids: never empty, unique in their page, and never an id the generator uses itself.

A heading's id is the slug of its text (`## The downing` -> `the-downing`). A heading with
no letters or digits gets `section`; an id already taken on the page, or reserved for the
page's own furniture (citation markers, the Sources list, footnotes, template sections),
gets the first free numbered suffix (`-2`, `-3`, ...). A link to a marker or to the Sources
list therefore never lands on a heading that happens to share its words.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from html.parser import HTMLParser

from markdown_it import MarkdownIt
from markdown_it.rules_core import StateCore
from markdown_it.token import Token

FALLBACK_ID = "section"

# Ids the default theme's templates put on a page beside its Markdown (tests check that
# every literal id in the templates is here).
RESERVED_IDS = frozenset(
    {
        "main",
        "site-search-input",
        "search-page-input",
        "search-status",
        "search-results",
        "topics-heading",
        "sources-heading",
        "timeline-heading",
        "related-heading",
        "backlinks-heading",
        "sources-list-heading",
        "cited-in-heading",
        "coverage-heading",
        "citethis-heading",
        "citethis-text",
        "citethis-bibtex",
        "citethis-csl",
        "search-filters",
    }
)

# Numbered families: citation markers (cite-3), Sources entries (ref-2) and their preview
# cards (preview-2), a source's subheadings (part-2), footnotes and their references (fn1,
# fnref1, fnref1:2) and quoted passages (q- and a hash).
RESERVED_FAMILIES = re.compile(
    r"(?:cite|ref|preview|part)-\d+|fn(?:ref)?\d+(?::\d+)?|q-[0-9a-f]{10}"
)


def is_reserved(candidate: str) -> bool:
    """Whether the generator may put this id on a page itself."""
    return candidate in RESERVED_IDS or RESERVED_FAMILIES.fullmatch(candidate) is not None


def unique_id(slug: str, taken: set[str]) -> str:
    """The slug, or the slug with the first free numbered suffix; recorded as taken."""
    base = slug or FALLBACK_ID
    candidate, number = base, 1
    if is_reserved(f"{base}-2"):  # `cite`, `ref`: numbering them would walk a reserved family
        base = f"{base}-{FALLBACK_ID}"
    while candidate in taken or is_reserved(candidate):
        number += 1
        candidate = f"{base}-{number}"
    taken.add(candidate)
    return candidate


class _IdCollector(HTMLParser):
    """Collects the id attributes of a fragment of raw HTML."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.ids: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.ids.update(value for name, value in attrs if name == "id" and value)


def raw_html_ids(tokens: list[Token]) -> set[str]:
    """Ids a writer typed in raw HTML (allowed by allow_raw_html): headings must avoid them."""
    collector = _IdCollector()
    for token in tokens:
        if token.type == "html_block":
            collector.feed(token.content)
        for child in token.children or ():
            if child.type == "html_inline":
                collector.feed(child.content)
    collector.close()
    return collector.ids


def heading_text(inline: Token) -> str:
    """The words of a heading, without citation markers or markup."""
    return "".join(
        child.content for child in inline.children or () if child.type in ("text", "code_inline")
    )


def heading_ids_plugin(
    md: MarkdownIt, *, min_level: int = 2, max_level: int = 4, slug: Callable[[str], str]
) -> None:
    """Give headings from min_level to max_level ids made by slug, safe within the page."""
    levels = {f"h{level}" for level in range(min_level, max_level + 1)}

    def set_heading_ids(state: StateCore) -> None:
        taken = raw_html_ids(state.tokens)
        for index, token in enumerate(state.tokens):
            if token.type == "heading_open" and token.tag in levels:
                text = heading_text(state.tokens[index + 1])
                token.attrSet("id", unique_id(slug(text), taken))

    md.core.ruler.push("heading_ids", set_heading_ids)
