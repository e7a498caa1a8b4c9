"""Per-document state the plugins share, kept under one typed key in markdown-it's env."""

from __future__ import annotations

import difflib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from markdown_it.token import Token

from ..models import Citation, Page, Problem, Source

ENV_KEY = "briefing"


@dataclass
class Lookup:
    """What a document may refer to: sources by id or file stem, pages by slug/title/file."""

    sources: dict[str, Source] = field(default_factory=dict)
    pages: dict[str, Page] = field(default_factory=dict)  # case-folded slug and title
    files: dict[str, Page] = field(default_factory=dict)  # content file name, e.g. taiwan.md

    @classmethod
    def build(cls, sources: tuple[Source, ...], pages: list[Page]) -> Lookup:
        lookup = cls()
        for source in sources:
            lookup.sources[source.id] = source
        for source in sources:
            lookup.sources.setdefault(source.file.rsplit(".", 1)[0], source)
        for page in pages:
            lookup.pages.setdefault(page.slug.casefold(), page)
            lookup.pages.setdefault(page.title.casefold(), page)
            lookup.files.setdefault(page.path.rsplit("/", 1)[-1], page)
        return lookup

    def shown(self) -> tuple[list[tuple[str, ...]], ...]:
        """Everything a page's rendering reads from the lookup: source ids, titles and
        addresses; page names and addresses."""
        return (
            sorted((k, s.id, s.title, s.url_path) for k, s in self.sources.items()),
            sorted((k, p.slug, p.title, p.url_path) for k, p in self.pages.items()),
            sorted((k, p.url_path) for k, p in self.files.items()),
        )

    def suggest_sources(self, wrong: str) -> list[str]:
        ids = sorted({s.id for s in self.sources.values()})
        return difflib.get_close_matches(wrong, ids, n=3, cutoff=0.4)

    def suggest_pages(self, wrong: str) -> list[str]:
        names = sorted(
            {p.title for p in self.pages.values()} | {p.slug for p in self.pages.values()}
        )
        return difflib.get_close_matches(
            wrong, names, n=3, cutoff=0.4
        ) or difflib.get_close_matches(
            wrong.casefold(), [n.casefold() for n in names], n=3, cutoff=0.4
        )


@dataclass
class DocumentState:
    """Inputs and outputs of rendering one page."""

    page: Page
    page_path: str  # the output path the HTML will live at, for relative links
    lookup: Lookup
    citations: list[Citation] = field(default_factory=list)
    numbers: dict[str, int] = field(default_factory=dict)  # source id -> marker number
    links: list[Page] = field(default_factory=list)  # pages this one links to
    problems: list[Problem] = field(default_factory=list)
    # Where the Markdown being rendered comes from: the page body, or a timeline event.
    source_file: str = ""
    first_line: int = 0

    def __post_init__(self) -> None:
        self.source_file = self.source_file or self.page.path
        self.first_line = self.first_line or self.page.body_line

    def line(self, block_line: int | None, offset: int = 0) -> int | None:
        """A file line from a 0-based line in the Markdown being rendered."""
        if block_line is None:
            return self.first_line if self.source_file != self.page.path else None
        return self.first_line + block_line + offset

    def problem(self, line: int | None, message: str, hint: str = "") -> None:
        problem = Problem(self.source_file, line, message, hint)
        if problem not in self.problems:
            self.problems.append(problem)


def get_state(env: Any) -> DocumentState | None:
    state = env.get(ENV_KEY) if isinstance(env, dict) else None
    return state if isinstance(state, DocumentState) else None


def inline_blocks(tokens: list[Token]) -> Iterator[tuple[int | None, list[Token]]]:
    """Each inline token's children, with the 0-based line its block starts on."""
    for block in tokens:
        if block.type == "inline" and block.children:
            yield (block.map[0] if block.map else None), block.children
